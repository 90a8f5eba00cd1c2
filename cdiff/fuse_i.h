/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cdiff shim for fs/fuse/fuse_i.h: only the members and helpers famfs.c uses,
 * written from the fuse documentation and the famfs spec (no kernel text).
 * It is copied beside the revision's famfs.c, which includes "fuse_i.h" from
 * its own folder. A member famfs.c uses and this file lacks stops the build
 * with one line naming it (see Documentation/cdiff.md).
 */
#ifndef _FS_FUSE_I_H
#define _FS_FUSE_I_H

#include <linux/fs.h>
#include <linux/fuse.h>

struct famfs_dax_devlist;

/* faithful: one argument of a request */
struct fuse_arg {
	unsigned int size;
	void *value;
};

/* faithful: the members famfs sets (in_args unused by GET_FMAP / GET_DAXDEV) */
struct fuse_args {
	u64 nodeid;
	u32 opcode;
	u8 in_numargs;
	u8 out_numargs;
	bool out_argvar;
	bool noreply;
	struct fuse_arg in_args[3];
	struct fuse_arg out_args[2];
};

/* faithful */
#define FUSE_ARGS(args) struct fuse_args args = {}

/* faithful: the famfs members of struct fuse_conn */
struct fuse_conn {
	struct famfs_dax_devlist *dax_devlist;
	struct rw_semaphore famfs_devlist_sem;
};

/* faithful: famfs reads only ->fc (and finds the mount from an inode through i_sb->s_fs_info) */
struct fuse_mount {
	struct fuse_conn *fc;
};

/* faithful: the members famfs uses */
struct fuse_inode {
	struct inode inode;
	u64 nodeid;
	void *famfs_meta;
};

/* faithful */
static inline struct fuse_inode *get_fuse_inode(const struct inode *inode)
{
	return container_of(inode, struct fuse_inode, inode);
}

/* faithful */
static inline struct fuse_mount *get_fuse_mount_super(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* faithful */
static inline struct fuse_mount *get_fuse_mount(struct inode *inode)
{
	return get_fuse_mount_super(inode->i_sb);
}

/* faithful */
static inline struct fuse_conn *get_fuse_conn(struct inode *inode)
{
	return get_fuse_mount_super(inode->i_sb)->fc;
}

/* faithful */
static inline u64 get_node_id(struct inode *inode)
{
	return get_fuse_inode(inode)->nodeid;
}

/* faithful: installs meta iff none is there (cmpxchg NULL -> meta), returns the old value */
static inline void *famfs_meta_set(struct fuse_inode *fi, void *meta)
{
	return cmpxchg(&fi->famfs_meta, NULL, meta);
}

/* simplified: the reply comes from the case's scripted server (the frames the
 * port's server wrote, in request order), checked and copied as fuse_dev_write
 * and copy_out_args do: error replies must be header-only, the payload must
 * fill the out args exactly except that a variable last arg may come short
 * (anything else is -EIO to the caller); no reply aborts the connection
 * (-ENOTCONN now and for every later request). Returns the error, the size of
 * the variable arg, or 0. */
ssize_t fuse_simple_request(struct fuse_mount *fm, struct fuse_args *args);

#endif /* _FS_FUSE_I_H */
