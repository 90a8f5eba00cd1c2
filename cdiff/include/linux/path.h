/* cdiff shim for <linux/path.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_PATH_H
#define _LINUX_PATH_H
#include "../cdiff_kernel.h"
#endif
