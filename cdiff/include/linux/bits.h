/* cdiff shim for <linux/bits.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef __LINUX_BITS_H
#define __LINUX_BITS_H
#include "../cdiff_kernel.h"
#endif
