/* cdiff shim for <linux/fs.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_FS_H
#define _LINUX_FS_H
#include "../cdiff_kernel.h"
#endif
