/* cdiff shim for <linux/compiler.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef __LINUX_COMPILER_H
#define __LINUX_COMPILER_H
#include "../cdiff_kernel.h"
#endif
