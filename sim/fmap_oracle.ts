// The resolution oracle: does a result of famfs_fuse_iomap_begin lie wholly
// inside one extent (or strip), and if not, which known flaw put it outside?
// It walks the fmap with plain unsigned, unbounded arithmetic (what the fmap
// means), independent of the port's loff_t / u64 walk (what v9 computes). The
// fuzzer and `fmap resolve` both use it.
import { famfs_extent_type, famfs_file_meta, famfs_meta_simple_ext } from '../kernel/famfs_kfmap';

/** Where a resolution went wrong, by the flaw that explains it. */
export const OUTSIDE_CLASSES = {
  /** review-history B-17: interleave strip_offset never checked against the strip's ext_len */
  'B-17': 'interleave strip overrun: the strip offset runs past the strip (nbytes larger than the strips hold)',
  /** found by the fuzzer: simple resolver, loff_t ext_len */
  'EXT-LEN-SIGN': 'simple resolver: an ext_len >= 2^63 is negative as loff_t, local_offset wraps and a later extent yields a huge addr / negative length',
} as const;

export type OutsideClass = keyof typeof OUTSIDE_CLASSES;

export type Verdict = { inside: true } | { inside: false; flaw: OutsideClass | null; why: string };

const S64_SIGN = 1n << 63n;
const hx = (v: bigint) => (v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16));

function extentsOf(meta: famfs_file_meta): famfs_meta_simple_ext[] {
  return meta.fm_extent_type === famfs_extent_type.INTERLEAVED_EXTENT ? (meta.ie ?? []).flatMap((ie) => ie.ie_strips ?? []) : meta.se ?? [];
}

/** [addr, addr+length) within one extent or strip, length > 0. */
export function whollyInside(meta: famfs_file_meta, addr: bigint, length: bigint): boolean {
  if (length <= 0n) return false;
  for (const e of extentsOf(meta)) if (addr >= e.ext_offset && addr + length <= e.ext_offset + e.ext_len) return true;
  return false;
}

/** Simple fmap: the extent holding `off` by the unsigned walk, and whether the walk crossed an ext_len >= 2^63. */
function simpleWalk(meta: famfs_file_meta, off: bigint): { signedLen: boolean } {
  let local = off;
  let signedLen = false;
  for (const e of meta.se ?? []) {
    if (e.ext_len >= S64_SIGN) signedLen = true;
    if (local < e.ext_len) break;
    local -= e.ext_len;
  }
  return { signedLen };
}

/** Interleaved fmap: how far past its strip the chunk holding `off` runs (0n if it fits, null if off is beyond). */
function stripOverrun(meta: famfs_file_meta, off: bigint, length: bigint): bigint | null {
  let local = off;
  for (const ie of meta.ie ?? []) {
    const size = ie.fie_nbytes < meta.file_size ? ie.fie_nbytes : meta.file_size;
    if (local < size) {
      const c = ie.fie_chunk_size;
      const n = BigInt(ie.fie_nstrips);
      if (c === 0n || n === 0n) return null;
      const chunk = local / c;
      const chunkOff = local % c;
      const strip = (ie.ie_strips ?? [])[Number(chunk % n)];
      if (!strip) return null;
      const stripOff = chunkOff + (chunk / n) * c;
      const len = length > 0n && length < c - chunkOff ? length : c - chunkOff;
      const over = stripOff + len - strip.ext_len;
      return over > 0n ? over : 0n;
    }
    local -= size;
  }
  return null;
}

/**
 * Judge one successful resolution of file offset `off` to [addr, addr+length)
 * (`requested`: the length asked for, when known).
 */
export function judgeResolution(meta: famfs_file_meta, off: bigint, addr: bigint, length: bigint, requested?: bigint): Verdict {
  if (whollyInside(meta, addr, length)) return { inside: true };
  const where = `offset ${hx(off)} -> addr ${hx(addr)} length ${hx(length)} lies in no extent`;
  if (requested !== undefined && requested >= S64_SIGN) return { inside: false, flaw: null, why: `${where}: the requested length ${hx(requested)} is negative as loff_t` };
  if (meta.fm_extent_type === famfs_extent_type.INTERLEAVED_EXTENT) {
    const over = stripOverrun(meta, off, length);
    if (over !== null && over > 0n) return { inside: false, flaw: 'B-17', why: `${where}: ${hx(over)} past the end of its strip (B-17)` };
    return { inside: false, flaw: null, why: `${where} (no known flaw explains it)` };
  }
  if (simpleWalk(meta, off).signedLen) return { inside: false, flaw: 'EXT-LEN-SIGN', why: `${where}: an extent of length >= 2^63 wrapped the signed offset (EXT-LEN-SIGN)` };
  return { inside: false, flaw: null, why: `${where} (no known flaw explains it)` };
}
