/* cdiff shim for <linux/minmax.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_MINMAX_H
#define _LINUX_MINMAX_H
#include "../cdiff_kernel.h"
#endif
