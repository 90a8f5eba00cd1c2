/* cdiff shim for <linux/printk.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef __KERNEL_PRINTK__
#define __KERNEL_PRINTK__
#include "../cdiff_kernel.h"
#endif
