/* cdiff shim for <linux/iomap.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef LINUX_IOMAP_H
#define LINUX_IOMAP_H
#include "../cdiff_kernel.h"
#endif
