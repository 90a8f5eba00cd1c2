/* cdiff shim for <linux/uio.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef __LINUX_UIO_H
#define __LINUX_UIO_H
#include "../cdiff_kernel.h"
#endif
