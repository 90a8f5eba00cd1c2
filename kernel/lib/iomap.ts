// include/linux/iomap.h: the parts famfs fills in.
import type { dax_device } from './dax';

export const IOMAP_HOLE = 0;
export const IOMAP_DELALLOC = 1;
export const IOMAP_MAPPED = 2;
export const IOMAP_UNWRITTEN = 3;
export const IOMAP_INLINE = 4;

/* iomap_begin request flags */
export const IOMAP_WRITE = 1 << 0;
export const IOMAP_ZERO = 1 << 1;
export const IOMAP_REPORT = 1 << 2;
export const IOMAP_FAULT = 1 << 3;
export const IOMAP_DIRECT = 1 << 4;
export const IOMAP_NOWAIT = 1 << 5;
export const IOMAP_OVERWRITE_ONLY = 1 << 6;
export const IOMAP_UNSHARE = 1 << 7;
export const IOMAP_DAX = 1 << 8;

export interface iomap {
  addr: bigint; // disk (dax device) offset of the mapping, bytes
  offset: bigint; // file offset of the mapping, bytes (loff_t)
  length: bigint; // length of the mapping, bytes (u64)
  type: number;
  flags: number;
  dax_dev: dax_device | null;
}

export function iomap_zero(): iomap {
  return { addr: 0n, offset: 0n, length: 0n, type: IOMAP_HOLE, flags: 0, dax_dev: null };
}

/** Back to iomap_zero()'s state (an iomap reused between calls). */
export function iomap_reset(map: iomap): iomap {
  map.addr = 0n;
  map.offset = 0n;
  map.length = 0n;
  map.type = IOMAP_HOLE;
  map.flags = 0;
  map.dax_dev = null;
  return map;
}

export interface iomap_ops<I> {
  iomap_begin(inode: I, offset: bigint, length: bigint, flags: number, iomap: iomap, srcmap: iomap | null): number;
  iomap_end?(inode: I, offset: bigint, length: bigint, written: bigint, flags: number, iomap: iomap): number;
}
