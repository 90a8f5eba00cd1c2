/* cdiff shim for <linux/uaccess.h>: takes the kernel header's include guard so the real one is never pulled in; everything lives in cdiff_kernel.h */
#ifndef __LINUX_UACCESS_H__
#define __LINUX_UACCESS_H__
#include "../cdiff_kernel.h"
#endif
