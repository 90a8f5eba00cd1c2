/* cdiff shim for <linux/mm.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#include "../cdiff_kernel.h"
#endif
