/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cdiff default for "famfs_kfmap.h" when no --kfmap is given: the in-memory
 * famfs metadata of the v9 series, written for famfs-harness from the layout
 * facts the port records in kernel/famfs_kfmap.ts (names, types, order).
 */
#ifndef FAMFS_KFMAP_H
#define FAMFS_KFMAP_H

/* the file kinds a famfs fmap describes */
enum famfs_file_type { FAMFS_REG, FAMFS_SUPERBLOCK, FAMFS_LOG };

/* numerically equal to the uapi ext_type, so the parser assigns it directly */
enum famfs_extent_type { SIMPLE_DAX_EXTENT, INTERLEAVED_EXTENT, INVALID_EXTENT_TYPE };

/* one (device, offset, length) run */
struct famfs_meta_simple_ext {
	u64 dev_index;
	u64 ext_offset;
	u64 ext_len;
};

/* one striped extent: nstrips strips, chunk_size bytes per chunk, nbytes of file */
struct famfs_meta_interleaved_ext {
	u64 fie_nstrips;
	u64 fie_chunk_size;
	u64 fie_nbytes;
	struct famfs_meta_simple_ext *ie_strips;
};

/* hangs from fuse_inode->famfs_meta; the two extent forms share storage */
struct famfs_file_meta {
	bool error;
	enum famfs_file_type file_type;
	size_t file_size;
	enum famfs_extent_type fm_extent_type;
	u64 dev_bitmap;
	union {
		struct {
			size_t fm_nextents;
			struct famfs_meta_simple_ext *se;
		};
		struct {
			size_t fm_niext;
			struct famfs_meta_interleaved_ext *ie;
		};
	};
};

/* one slot of the connection's daxdev table */
struct famfs_daxdev {
	bool valid;
	bool error;
	bool dax_err;
	dev_t devno;
	struct dax_device *devp;
	char *name;
};

#define MAX_DAXDEVS 24

/* the connection's daxdev table */
struct famfs_dax_devlist {
	int nslots;
	int ndevs;
	struct famfs_daxdev *devlist;
};

#endif /* FAMFS_KFMAP_H */
