/* cdiff shim for <linux/bitfield.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_BITFIELD_H
#define _LINUX_BITFIELD_H
#include "../cdiff_kernel.h"
#endif
