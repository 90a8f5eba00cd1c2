// fs/fuse/famfs_kfmap.h (v9): the in-kernel form of a famfs file map and of the
// per-connection daxdev table. Enums are numerically identical to the uapi ones,
// so fm_extent_type is assigned straight from the wire's ext_type.
import type { dax_device } from './lib/dax';
import type { kstr } from './lib/slab';
import type { famfs_fast_form } from './famfs_fast';

/*
 * Two extent formats (patch 09 doc block, "KABI version 43 (aka v2)"):
 *  - simple: (devindex, offset, length) tuples; the list must cover >= file_size.
 *  - interleaved: nstrips strips (each one contiguous extent on one daxdev), data
 *    laid out chunk by chunk across the strips: chunk c lives on strip c % nstrips
 *    at strip offset (c / nstrips) * chunk_size. O(1) per interleaved extent.
 *    (The doc's "% nchunks" is a typo for "% nstrips".)
 */

export enum famfs_file_type {
  FAMFS_REG = 0,
  FAMFS_SUPERBLOCK = 1,
  FAMFS_LOG = 2,
}

export enum famfs_extent_type {
  SIMPLE_DAX_EXTENT = 0,
  INTERLEAVED_EXTENT = 1,
  INVALID_EXTENT_TYPE = 2,
}

export interface famfs_meta_simple_ext {
  dev_index: bigint; // u64
  ext_offset: bigint; // u64, byte offset within the daxdev
  ext_len: bigint; // u64, bytes
}

export interface famfs_meta_interleaved_ext {
  fie_nstrips: bigint; // u64
  fie_chunk_size: bigint; // u64
  fie_nbytes: bigint; // u64
  ie_strips: famfs_meta_simple_ext[] | null;
}

/** Hung from fuse_inode->famfs_meta. The C keeps {fm_nextents, se} and {fm_niext, ie} in a union. */
export interface famfs_file_meta {
  error: boolean;
  file_type: number;
  file_size: bigint; // size_t
  fm_extent_type: number;
  dev_bitmap: bigint; // u64: bit i set <=> some extent/strip references daxdev i
  fm_nextents: number;
  se: famfs_meta_simple_ext[] | null;
  fm_niext: number;
  ie: famfs_meta_interleaved_ext[] | null;
  /** (port, not in the C) the resolvers' precomputed fast form, kernel/famfs_fast.ts; undefined until first built */
  fast?: famfs_fast_form | null;
}

export const new_famfs_file_meta = (): famfs_file_meta => ({
  error: false, file_type: 0, file_size: 0n, fm_extent_type: 0, dev_bitmap: 0n,
  fm_nextents: 0, se: null, fm_niext: 0, ie: null, fast: undefined,
});

export const new_simple_ext = (): famfs_meta_simple_ext => ({ dev_index: 0n, ext_offset: 0n, ext_len: 0n });
export const new_interleaved_ext = (): famfs_meta_interleaved_ext => ({ fie_nstrips: 0n, fie_chunk_size: 0n, fie_nbytes: 0n, ie_strips: null });

/** One slot of the daxdev table. */
export interface famfs_daxdev {
  valid: boolean;
  error: boolean; // dax reported a memory error (probably poison)
  dax_err: boolean; // fs_dax_get() failed (patch 07)
  devno: number; // dev_t
  devp: dax_device | null;
  name: kstr | null; // kstrdup of the server-supplied path
}

export const new_famfs_daxdev = (): famfs_daxdev => ({ valid: false, error: false, dax_err: false, devno: 0, devp: null, name: null });

export const MAX_DAXDEVS = 24;

export interface famfs_dax_devlist {
  nslots: number;
  ndevs: number; // never updated in v9
  devlist: famfs_daxdev[] | null;
}
