/* cdiff shim for <linux/string.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_
#include "../cdiff_kernel.h"
#endif
