/* cdiff shim for <linux/namei.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_NAMEI_H
#define _LINUX_NAMEI_H
#include "../cdiff_kernel.h"
#endif
