/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cdiff: the kernel, as far as famfs.c sees it, in user space.
 *
 * Written for famfs-harness from the kernel's documented behaviour (kernel-doc,
 * Documentation/, the famfs spec in shared/spec); no kernel header is copied.
 * Every linux/*.h under cdiff/include/ includes this one file, the way
 * tools/testing/vma/vma_internal.h stands in for the headers mm/vma.c includes.
 *
 * Each shim carries one comment:
 *   faithful   - same observable behaviour as the kernel for famfs's use
 *   simplified - how it differs, and why that does not change famfs's results
 *   unreachable - no vector drives it; calling it is a named oops (cdiff_oops)
 */
#ifndef CDIFF_KERNEL_H
#define CDIFF_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>	/* simplified: glibc's errno values are the kernel's (asm-generic/errno*.h) */
#include <sys/types.h>	/* simplified: loff_t, off_t, ssize_t, dev_t are glibc's (same sizes on LP64 except dev_t, 8 bytes here, 4 in the kernel; no famfs result depends on it) */

/* ---- types (faithful: LP64 kernel sizes; u64 is unsigned long long as in int-ll64.h) ---- */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s32 __s32;
typedef s64 __s64;
typedef unsigned int gfp_t;
typedef unsigned int vm_fault_t;
typedef unsigned long pgoff_t;
typedef unsigned short umode_t;

/* ---- the run-time world of one case (set by the driver) ---- */
struct cdiff_arch { unsigned long page_size, pmd_size; };
extern struct cdiff_arch cdiff_arch;

/* A named oops: the case ends here, reported as the kernel would crash. */
__attribute__((noreturn)) void cdiff_oops(const char *kind, const char *what);

/* ---- compiler / bits helpers ---- */
/* faithful */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
/* simplified: no compile-time type check of the two operands */
#define min(a, b) ({ __auto_type _a = (a); __auto_type _b = (b); _a < _b ? _a : _b; })
/* faithful */
#define min_t(type, a, b) ({ type _a = (a); type _b = (b); _a < _b ? _a : _b; })
/* faithful */
#define max(a, b) ({ __auto_type _a = (a); __auto_type _b = (b); _a > _b ? _a : _b; })
/* faithful */
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
/* faithful */
#define BIT(nr) (1UL << (nr))
/* faithful */
#define BIT_ULL(nr) (1ULL << (nr))
/* faithful (GENMASK for the FIELD_* helpers) */
#define GENMASK_ULL(h, l) (((~0ULL) << (l)) & (~0ULL >> (63 - (h))))
/* simplified: no compile-time mask checks */
#define FIELD_GET(mask, reg) ((__typeof__(mask))(((reg) & (mask)) >> __builtin_ctzll(mask)))
/* simplified: no compile-time mask checks */
#define FIELD_PREP(mask, val) ((((__typeof__(mask))(val)) << __builtin_ctzll(mask)) & (mask))
/* faithful */
#define BITS_PER_LONG 64
/* faithful */
#define likely(x) __builtin_expect(!!(x), 1)
/* faithful */
#define unlikely(x) __builtin_expect(!!(x), 0)
/* faithful */
#define __maybe_unused __attribute__((unused))
/* faithful */
#define __must_check __attribute__((warn_unused_result))
/* faithful */
#define fallthrough __attribute__((__fallthrough__))
/* simplified: single-threaded driver, so a volatile access is READ_ONCE's whole effect */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
/* simplified: as READ_ONCE */
#define WRITE_ONCE(x, val) (*(volatile __typeof__(x) *)&(x) = (val))
/* faithful: a full barrier is at least wmb() */
#define wmb() __sync_synchronize()
/* faithful */
#define smp_wmb() __sync_synchronize()
/* faithful: atomic compare-and-exchange returning the old value */
#define cmpxchg(ptr, old, new) __sync_val_compare_and_swap((ptr), (old), (new))

/* faithful */
unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset);
/* faithful */
#define find_first_bit(addr, size) find_next_bit((addr), (size), 0)
/* faithful */
#define for_each_set_bit(bit, addr, size) \
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size); (bit) = find_next_bit((addr), (size), (bit) + 1))

/* ---- cleanup.h ---- */
/* faithful: DEFINE_FREE(name, type, free) makes __free_<name>(type *) run `free` on _T */
#define DEFINE_FREE(_name, _type, _free) \
	static inline void __free_##_name(void *p) { _type _T = *(_type *)p; _free; }
/* faithful */
#define __free(_name) __attribute__((__cleanup__(__free_##_name)))
/* faithful */
#define __get_and_null(p, nullvalue) ({ __auto_type __ptr = &(p); __auto_type __val = *__ptr; *__ptr = nullvalue; __val; })
/* faithful */
#define no_free_ptr(p) ((__typeof__(p))__get_and_null(p, NULL))
/* faithful */
#define return_ptr(p) return no_free_ptr(p)
/* faithful */
#define retain_and_null_ptr(p) ((void)__get_and_null(p, NULL))
/* faithful */
#define __CDIFF_CAT2(a, b) a##b
#define __CDIFF_CAT(a, b) __CDIFF_CAT2(a, b)
#define __UNIQUE_ID(prefix) __CDIFF_CAT(__CDIFF_CAT(__unique_, prefix), __COUNTER__)

/* ---- rw_semaphore + guards ---- */
/* simplified: one thread; a reader/writer count that turns a self-deadlock or
 * an unbalanced release into the named oops "lock_imbalance" */
struct rw_semaphore { int readers; int writer; };
/* simplified: as struct rw_semaphore */
void down_read(struct rw_semaphore *sem);
/* simplified: as struct rw_semaphore */
void up_read(struct rw_semaphore *sem);
/* simplified: as struct rw_semaphore */
void down_write(struct rw_semaphore *sem);
/* simplified: as struct rw_semaphore */
void up_write(struct rw_semaphore *sem);
/* faithful */
#define init_rwsem(sem) do { (sem)->readers = 0; (sem)->writer = 0; } while (0)
/* faithful: the guard classes of DEFINE_GUARD(rwsem_read/rwsem_write, ...) */
typedef struct rw_semaphore *class_rwsem_read_t;
typedef struct rw_semaphore *class_rwsem_write_t;
static inline class_rwsem_read_t class_rwsem_read_constructor(struct rw_semaphore *s) { down_read(s); return s; }
static inline void class_rwsem_read_destructor(class_rwsem_read_t *s) { if (*s) up_read(*s); }
static inline class_rwsem_write_t class_rwsem_write_constructor(struct rw_semaphore *s) { down_write(s); return s; }
static inline void class_rwsem_write_destructor(class_rwsem_write_t *s) { if (*s) up_write(*s); }
/* faithful: a for-scope whose guard variable is released by __cleanup__, so a
 * `return` or `break` inside the block releases the lock as in the kernel */
#define __scoped_guard(_name, _scope, _done, ...) \
	for (class_##_name##_t _scope __attribute__((__cleanup__(class_##_name##_destructor))) = \
		     class_##_name##_constructor(__VA_ARGS__), *_done = NULL; \
	     !_done; _done = (void *)1)
#define scoped_guard(_name, ...) __scoped_guard(_name, __UNIQUE_ID(scope), __UNIQUE_ID(done), __VA_ARGS__)
/* faithful: guard() holds the lock to the end of the enclosing scope */
#define guard(_name) class_##_name##_t __UNIQUE_ID(guard) __attribute__((__cleanup__(class_##_name##_destructor))) = class_##_name##_constructor

/* ---- slab ---- */
/* faithful */
#define GFP_KERNEL 0x0cc0u
/* faithful */
#define GFP_NOFS 0x0c40u
/* faithful: ZERO_SIZE_PTR is ((void *)16), what kmalloc(0) returns */
#define ZERO_SIZE_PTR ((void *)16)
/* faithful */
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)
/* faithful */
#define IS_ERR_OR_NULL(p) (!(p) || (unsigned long)(p) >= (unsigned long)-4095)
/* faithful: zeroed memory, NULL on failure (injected by --fail-nth); kmalloc(0) -> ZERO_SIZE_PTR;
 * each live object is in the driver's allocation table (leaks, double and wild frees reported) */
void *kzalloc(size_t size, gfp_t gfp);
/* faithful */
void *kmalloc(size_t size, gfp_t gfp);
/* faithful: n * size overflow -> NULL; n or size 0 -> ZERO_SIZE_PTR */
void *kcalloc(size_t n, size_t size, gfp_t gfp);
/* faithful */
void *kmalloc_array(size_t n, size_t size, gfp_t gfp);
/* faithful: kfree(NULL) and kfree(ZERO_SIZE_PTR) are no-ops; a double free is the oops "double_free" */
void kfree(const void *p);
/* faithful: NULL in -> NULL out; one allocation */
char *kstrdup(const char *s, gfp_t gfp);
/* faithful */
DEFINE_FREE(kfree, void *, if (!IS_ERR_OR_NULL(_T)) kfree(_T))

/* ---- printk ---- */
/* simplified: into the case's captured dmesg, level prefixed; pr_debug is captured too (dynamic debug on) */
void cdiff_printk(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define pr_emerg(fmt, ...) cdiff_printk("emerg", fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) cdiff_printk("err", fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) cdiff_printk("warn", fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) cdiff_printk("notice", fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) cdiff_printk("info", fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) cdiff_printk("debug", fmt, ##__VA_ARGS__)
/* simplified: a WARNING line in dmesg (no backtrace); evaluates to the condition */
#define WARN_ON(cond) ({ int __c = !!(cond); if (__c) cdiff_printk("warn", "WARNING: %s:%d: WARN_ON(%s)\n", __FILE__, __LINE__, #cond); __c; })
/* simplified: as WARN_ON, once per call site */
#define WARN_ON_ONCE(cond) WARN_ON(cond)
/* faithful: BUG() is an oops */
#define BUG() cdiff_oops("bug", __FILE__)
/* faithful */
#define BUG_ON(cond) do { if (cond) BUG(); } while (0)

/* ---- page geometry ---- */
/* simplified: a run-time parameter of the case (x86-64 default 4 KiB) */
#define PAGE_SIZE (cdiff_arch.page_size)
/* simplified: a run-time parameter of the case (x86-64 default 2 MiB) */
#define PMD_SIZE (cdiff_arch.pmd_size)

/* ---- dax ---- */
struct dax_device;
/* faithful: .notify_failure is the only member famfs sets */
struct dax_holder_operations {
	int (*notify_failure)(struct dax_device *dax_dev, u64 offset, u64 len, int mf_flags);
};
/* simplified: looks devno up in the case's simulated device list; takes a reference */
struct dax_device *dax_dev_get(dev_t devno);
/* simplified: drops the reference dax_dev_get took */
void put_dax(struct dax_device *dax_dev);
/* simplified: exclusive holder: -EBUSY if another holder has it, -ENXIO if the device is gone */
int fs_dax_get(struct dax_device *dax_dev, void *holder, const struct dax_holder_operations *ops);
/* simplified: releases the holder if it is this one */
void fs_put_dax(struct dax_device *dax_dev, void *holder);
/* faithful: the holder data fs_dax_get stored */
void *dax_holder(struct dax_device *dax_dev);

/* ---- fs / inode ---- */
/* faithful: the fuse_mount hangs off s_fs_info, as get_fuse_mount_super() reads it */
struct super_block { void *s_fs_info; };
struct address_space;
struct folio;
/* faithful: famfs sets only .dirty_folio */
struct address_space_operations {
	bool (*dirty_folio)(struct address_space *mapping, struct folio *folio);
};
struct inode;
/* faithful: the members famfs touches */
struct address_space {
	struct inode *host;
	const struct address_space_operations *a_ops;
};
/* faithful: the members famfs touches; i_size is read through i_size_read */
struct inode {
	umode_t i_mode;
	unsigned int i_flags;
	unsigned long i_ino;
	dev_t i_rdev;
	loff_t i_size;
	struct super_block *i_sb;
	struct address_space i_data;
	struct address_space *i_mapping;
	int i_lock_held;
};
/* faithful (64-bit: a plain load) */
static inline loff_t i_size_read(const struct inode *inode) { return inode->i_size; }
/* faithful (64-bit: a plain store) */
static inline void i_size_write(struct inode *inode, loff_t i_size) { inode->i_size = i_size; }
/* simplified: a held flag; relocking or unlocking an unlocked inode is "lock_imbalance" */
void inode_lock(struct inode *inode);
/* simplified: as inode_lock */
void inode_unlock(struct inode *inode);
/* faithful */
#define S_DAX (1 << 13)
/* faithful (CONFIG_FS_DAX=y) */
#define IS_DAX(inode) (((inode)->i_flags & S_DAX) != 0)
/* faithful: the no-op dirty_folio for memory without writeback */
bool noop_dirty_folio(struct address_space *mapping, struct folio *folio);

/* faithful */
struct file {
	struct address_space *f_mapping;
	struct inode *f_inode;
};
/* faithful */
static inline struct inode *file_inode(const struct file *f) { return f->f_inode; }
/* unreachable: the read/write/fault paths are not driven by cdiff (scenario vectors run on the port) */
void file_accessed(struct file *file);
/* unreachable: as file_accessed */
int file_update_time(struct file *file);
/* unreachable: as file_accessed */
void sb_start_pagefault(struct super_block *sb);
/* unreachable: as file_accessed */
void sb_end_pagefault(struct super_block *sb);

/* ---- mm ---- */
/* faithful values */
#define VM_SHARED 0x00000008UL
#define VM_HUGEPAGE 0x20000000UL
#define FAULT_FLAG_WRITE 0x01u
#define VM_FAULT_SIGBUS 0x000002u
#define VM_FAULT_NEEDDSYNC 0x002000u
struct vm_operations_struct;
/* faithful: the members famfs touches */
struct vm_area_struct {
	unsigned long vm_flags;
	struct file *vm_file;
	const struct vm_operations_struct *vm_ops;
};
/* faithful */
struct vm_fault {
	struct vm_area_struct *vma;
	unsigned int flags;
	pgoff_t pgoff;
};
/* faithful: the members famfs sets */
struct vm_operations_struct {
	vm_fault_t (*fault)(struct vm_fault *vmf);
	vm_fault_t (*huge_fault)(struct vm_fault *vmf, unsigned int order);
	vm_fault_t (*map_pages)(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);
	vm_fault_t (*page_mkwrite)(struct vm_fault *vmf);
	vm_fault_t (*pfn_mkwrite)(struct vm_fault *vmf);
};
/* faithful */
static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long flags) { vma->vm_flags |= flags; }
/* unreachable: as file_accessed */
vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);

/* ---- iomap ---- */
/* faithful values */
#define IOMAP_HOLE 0
#define IOMAP_DELALLOC 1
#define IOMAP_MAPPED 2
#define IOMAP_UNWRITTEN 3
#define IOMAP_INLINE 4
#define IOMAP_WRITE (1 << 0)
#define IOMAP_ZERO (1 << 1)
#define IOMAP_REPORT (1 << 2)
#define IOMAP_FAULT (1 << 3)
#define IOMAP_DIRECT (1 << 4)
#define IOMAP_NOWAIT (1 << 5)
#define IOMAP_DAX (1 << 8)
/* faithful: the members famfs fills */
struct iomap {
	u64 addr;
	loff_t offset;
	u64 length;
	u16 type;
	u16 flags;
	struct dax_device *dax_dev;
	void *private;
};
/* faithful: famfs sets only .iomap_begin */
struct iomap_ops {
	int (*iomap_begin)(struct inode *inode, loff_t pos, loff_t length, unsigned int flags,
			   struct iomap *iomap, struct iomap *srcmap);
	int (*iomap_end)(struct inode *inode, loff_t pos, loff_t length, ssize_t written,
			 unsigned int flags, struct iomap *iomap);
};
/* faithful: the members famfs touches */
struct kiocb {
	struct file *ki_filp;
	loff_t ki_pos;
};
/* simplified: only the byte count */
struct iov_iter {
	size_t count;
};
/* faithful */
static inline size_t iov_iter_count(const struct iov_iter *i) { return i->count; }
/* faithful */
static inline void iov_iter_truncate(struct iov_iter *i, u64 count) { if (i->count > count) i->count = count; }
/* unreachable: as file_accessed */
ssize_t dax_iomap_rw(struct kiocb *iocb, struct iov_iter *iter, const struct iomap_ops *ops);
/* unreachable: as file_accessed */
vm_fault_t dax_iomap_fault(struct vm_fault *vmf, unsigned int order, unsigned long *pfnp, int *errp,
			   const struct iomap_ops *ops);
/* unreachable: as file_accessed */
vm_fault_t dax_finish_sync_fault(struct vm_fault *vmf, unsigned int order, unsigned long pfn);

/* ---- namei / path ---- */
/* faithful values */
#define LOOKUP_FOLLOW 0x0001
#ifndef S_IFMT
#define S_IFMT 00170000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#endif
/* faithful: the members famfs touches */
struct dentry { struct inode *d_inode; };
/* faithful */
struct vfsmount { int mnt_flags; };
/* faithful */
struct path { struct vfsmount *mnt; struct dentry *dentry; };
/* simplified: looks the name up in the case's namespace (symlinks already resolved
 * by the harness, as the port's machine does); unknown names are -ENOENT */
int kern_path(const char *name, unsigned int flags, struct path *path);
/* faithful */
static inline struct inode *d_backing_inode(const struct dentry *d) { return d->d_inode; }
/* simplified: the namespace's objects live for the whole case, so there is no reference to drop */
void path_put(const struct path *path);
/* faithful: false on a nodev mount */
bool may_open_dev(const struct path *path);
/* faithful */
#define MNT_NODEV 0x02

#endif /* CDIFF_KERNEL_H */
