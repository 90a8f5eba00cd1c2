// (port) The resolvers' fast form: not in the C. Once an fmap is parsed, the
// common case of famfs_fileofs_to_daxofs / famfs_interleave_fileofs_to_daxofs
// (the offset falls in an extent on a healthy device) is resolved here on plain
// numbers, which is exact only because every value involved is proven below
// FAST_LIMIT when the form is built. Everything else (a value not proven, an
// offset or length out of range, a bad file, a missing or failed device, an
// offset past the extents, a PMD_SIZE changed since the build) is declined, and
// the caller runs the port of the C (kernel/famfs.ts), which then decides the
// result, the errno, the log lines and the side effects exactly as before.
import type { famfs_file_meta, famfs_meta_simple_ext } from './famfs_kfmap';
import { famfs_extent_type } from './famfs_kfmap';
import type { inode } from './fuse_i';
import { S_DAX } from './fuse_i';
import type { iomap } from './lib/iomap';
import { IOMAP_MAPPED } from './lib/iomap';
import { arch } from './lib/params';
import { number_to_u64, u64_to_number } from './lib/types';

/** 2^53: every offset, length and sum in the form stays below it, so doubles hold them exactly. */
const FAST_LIMIT = 2 ** 53;
const FAST_LIMIT_BIG = BigInt(FAST_LIMIT);

/** Returned instead of a resolver result (0 or -errno) when the fast form does not apply. */
const FAMFS_FAST_DECLINED = 1;

interface fast_extent {
  /** ext_offset - start, as a bigint: a simple extent's daxdev offset is file_offset + delta */
  delta: bigint;
  /** file offset where the extent starts and ends (prefix sums of the extent lengths) */
  start: number;
  end: number;
  dev_index: number;
}

/** One strip of an interleaved extent: where it starts on its device. */
interface fast_strip {
  ext_offset: number;
  dev_index: number;
}

interface fast_iext {
  start: number;
  /** start + min(fie_nbytes, file_size) */
  end: number;
  chunk_size: number;
  /** 1 / chunk_size when chunk_size is a power of two (then local * it is exact), else 0 */
  per_chunk: number;
  /** log2(nstrips) when nstrips is a power of two, else -1 */
  strip_shift: number;
  strips: fast_strip[];
}

/** k when the integer x is exactly 2^k, else -1 (Math.log2 alone rounds: log2(2^52 + 2) is 52). */
function pow2_log(x: number): number {
  const k = Math.round(Math.log2(x));
  return k >= 0 && 2 ** k === x ? k : -1;
}

export interface famfs_fast_form {
  kind: famfs_extent_type;
  /** PMD_SIZE when the chunk sizes were checked against it */
  pmd: bigint;
  extents: fast_extent[];
  /** extents[i].end, for the binary search (ends never decrease) */
  ends: Float64Array;
  /** 1 / granule; the granule is PMD_SIZE at the build, a power of two, so pos * per_granule is exact */
  per_granule: number;
  /**
   * When every end is a multiple of the granule and the file spans at most
   * MAX_TABLE granules: table[g] = the extent holding file offsets
   * [g * granule, (g + 1) * granule). Otherwise empty (binary search).
   */
  table: Uint8Array;
  iexts: fast_iext[];
}

/** How often each outcome happened (tests check that vectors reach every one). */
const famfs_fast_stats = { simple: 0, simple_searched: 0, interleaved: 0, declined: 0, no_form: 0 };

// Exported by name at the end of their declarations, so that this module's own
// uses compile to plain locals rather than loads from `exports` on every call.
export { FAST_LIMIT, FAMFS_FAST_DECLINED, famfs_fast_stats };

const below = (x: bigint): boolean => x >= 0n && x < FAST_LIMIT_BIG;

function fast_extents(exts: famfs_meta_simple_ext[] | null, n: number): fast_extent[] | null {
  if (!exts || exts.length < n) return null;
  const out: fast_extent[] = [];
  let start = 0n;
  for (let i = 0; i < n; i++) {
    const e = exts[i];
    const end = start + e.ext_len;
    if (!below(e.ext_len) || !below(end) || !below(e.ext_offset + e.ext_len) || !below(e.dev_index)) return null;
    out.push({ delta: e.ext_offset - start, start: Number(start), end: Number(end), dev_index: Number(e.dev_index) });
    start = end;
  }
  return out;
}

/**
 * Build the form of a parsed fmap, or null when some value is not proven below
 * FAST_LIMIT or the interleaved checks of the C (chunk size PMD-aligned and not
 * 0, extent size not 0, nstrips >= 1) do not hold: such fmaps always resolve
 * through the port of the C.
 */
export function famfs_fast_form_build(meta: famfs_file_meta): famfs_fast_form | null {
  const form: famfs_fast_form = { kind: meta.fm_extent_type, pmd: arch.PMD_SIZE, extents: [], ends: new Float64Array(0), per_granule: 0, table: new Uint8Array(0), iexts: [] };
  if (meta.fm_extent_type === famfs_extent_type.SIMPLE_DAX_EXTENT) {
    const ex = fast_extents(meta.se, meta.fm_nextents);
    if (!ex) return null;
    form.extents = ex;
    form.ends = Float64Array.from(ex, (e) => e.end);
    extent_table(form);
    return form;
  }
  if (meta.fm_extent_type !== famfs_extent_type.INTERLEAVED_EXTENT || !meta.ie) return null;
  let start = 0n;
  for (let i = 0; i < meta.fm_niext; i++) {
    const fei = meta.ie[i];
    const size = fei.fie_nbytes < meta.file_size ? fei.fie_nbytes : meta.file_size;
    const C = fei.fie_chunk_size;
    if (C === 0n || C % arch.PMD_SIZE !== 0n || size === 0n || fei.fie_nstrips < 1n) return null;
    if (!below(C) || !below(start + size) || !fei.ie_strips || BigInt(fei.ie_strips.length) !== fei.fie_nstrips) return null;
    if (size / C >= 2n ** 31n) return null; // chunk_num and nstrips stay int32 (the resolver divides them as such)
    // the largest strip offset is below size (strip_offset <= local < size)
    const strips: fast_strip[] = [];
    for (const s of fei.ie_strips) {
      if (!below(s.ext_offset + size) || !below(s.dev_index)) return null;
      strips.push({ ext_offset: Number(s.ext_offset), dev_index: Number(s.dev_index) });
    }
    const k = pow2_log(Number(C));
    form.iexts.push({ start: Number(start), end: Number(start + size), chunk_size: Number(C), per_chunk: k >= 0 ? 2 ** -k : 0, strip_shift: pow2_log(strips.length), strips });
    start += size;
  }
  return form;
}

/** Files up to this many PMD-sized granules get the direct extent table. */
const MAX_TABLE = 4096;

/** The direct table of a simple form, when its extent ends are granule-aligned (they are PMD-aligned once parsed). */
function extent_table(form: famfs_fast_form): void {
  const granule = Number(arch.PMD_SIZE);
  const ex = form.extents;
  const total = ex.length ? ex[ex.length - 1].end : 0;
  const pow2 = arch.PMD_SIZE > 0n && (arch.PMD_SIZE & (arch.PMD_SIZE - 1n)) === 0n;
  if (!pow2 || total / granule > MAX_TABLE || ex.length > 255 || ex.some((e) => e.end % granule !== 0)) return;
  const table = new Uint8Array(total / granule);
  for (let i = 0; i < ex.length; i++) table.fill(i, ex[i].start / granule, ex[i].end / granule);
  form.per_granule = 1 / granule;
  form.table = table;
}

/** The form of this meta, built on first use (the fmap does not change once parsed). */
function form_of(meta: famfs_file_meta): famfs_fast_form | null {
  if (meta.fast === undefined) meta.fast = famfs_fast_form_build(meta);
  return meta.fast;
}

/** The daxdev of slot idx if it is valid, without dax_err or memory error; else null. */
function healthy_dev(ino: inode, idx: number): NonNullable<iomap['dax_dev']> | null {
  const devlist = ino.fc.dax_devlist;
  if (!devlist || !devlist.devlist || idx >= devlist.nslots) return null;
  const dd = devlist.devlist[idx];
  return dd.valid && !dd.dax_err && !dd.error && dd.devp ? dd.devp : null;
}

function fill(map: iomap, addr: bigint, file_offset: bigint, len: bigint, lenN: number, rem: number, dev: NonNullable<iomap['dax_dev']>, flags: number): number {
  map.addr = addr;
  map.offset = file_offset;
  map.length = lenN <= rem ? len : number_to_u64(rem); // min_t(loff_t, len, rem): len is in [0, FAST_LIMIT)
  map.dax_dev = dev;
  map.type = IOMAP_MAPPED;
  map.flags = flags;
  return 0;
}

/**
 * floor(x / d) for integers 0 <= x < 2^53, d > 0: exact. If x / d is not an
 * integer it lies at least 1/d below the next one, while rounding moves it by
 * at most x / (d * 2^53) < 1/d; so the rounded quotient never reaches it.
 */
function div_floor(x: number, d: number): number {
  return Math.floor(x / d);
}

function declined(): number {
  famfs_fast_stats.declined++;
  return FAMFS_FAST_DECLINED;
}

/**
 * The common case of famfs_fileofs_to_daxofs on the fast form: 0 with the iomap
 * filled exactly as the port of the C would fill it, or FAMFS_FAST_DECLINED
 * (nothing touched) for the caller to run the port.
 */
export function famfs_fast_fileofs_to_daxofs(ino: inode, meta: famfs_file_meta, map: iomap, file_offset: bigint, len: bigint, flags: number): number {
  const form = form_of(meta);
  if (!form) { famfs_fast_stats.no_form++; return FAMFS_FAST_DECLINED; }
  // famfs_file_bad() as a precondition: any doubt declines
  if (meta.error || ino.i_size !== meta.file_size || (ino.i_flags & S_DAX) === 0) return declined();
  // Both in [0, FAST_LIMIT): asUintN(64) keeps x only if x is in [0, 2^64), so
  // the stored u64 is x itself, and then the halves give x < 2^53 exactly (at
  // 2^53 and above the sum stays >= 2^53 however it rounds). V8 lowers these
  // to 64-bit compares; four bigint range compares cost a tenth of the call.
  const pos = u64_to_number(file_offset);
  const lenN = u64_to_number(len);
  if (pos >= FAST_LIMIT || lenN >= FAST_LIMIT || BigInt.asUintN(64, file_offset) !== file_offset || BigInt.asUintN(64, len) !== len) return declined();
  return form.kind === famfs_extent_type.SIMPLE_DAX_EXTENT
    ? fast_simple(ino, form, map, file_offset, pos, len, lenN, flags)
    : fast_interleaved(ino, form, map, file_offset, pos, len, lenN, flags);
}

/*
 * The two resolvers' common case, each its own small function (V8 inlines
 * small functions only: one big one was a call of its own on every read).
 */

function fast_simple(ino: inode, form: famfs_fast_form, map: iomap, file_offset: bigint, pos: number, len: bigint, lenN: number, flags: number): number {
  // The C walks the extents subtracting lengths: it stops at the first one
  // whose end (prefix sum) is past pos: the table entry of pos's granule, or
  // a binary search (ends never decrease).
  const ends = form.ends;
  let lo = 0;
  if (form.table.length) {
    const g = Math.floor(pos * form.per_granule); // exact: a power-of-two reciprocal
    lo = g < form.table.length ? form.table[g] : ends.length;
  } else {
    famfs_fast_stats.simple_searched++;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pos < ends[mid]) hi = mid; else lo = mid + 1;
    }
  }
  if (lo === ends.length) return declined();
  const e = form.extents[lo];
  const dev = healthy_dev(ino, e.dev_index);
  if (!dev) return declined();
  famfs_fast_stats.simple++;
  // ext_offset + (pos - start), exact and in [0, FAST_LIMIT): asUintN(64) is the
  // identity here, and lets V8 add in 64 bits without a heap BigInt in between
  const addr = BigInt.asUintN(64, file_offset + e.delta);
  return fill(map, addr, file_offset, len, lenN, e.end - pos, dev, flags);
}

function fast_interleaved(ino: inode, form: famfs_fast_form, map: iomap, file_offset: bigint, pos: number, len: bigint, lenN: number, flags: number): number {
  if (form.pmd !== arch.PMD_SIZE) return declined(); // the interleave resolver checks chunk sizes against it
  const ie = form.iexts;
  for (let i = 0; i < ie.length; i++) {
    const fei = ie[i];
    if (pos >= fei.end) continue;
    const local = pos - fei.start;
    const chunk_size = fei.chunk_size;
    // a division costs several multiplies: by a power of two, multiply and shift
    const chunk_num = fei.per_chunk ? Math.floor(local * fei.per_chunk) : div_floor(local, chunk_size);
    const chunk_offset = local - chunk_num * chunk_size;
    const nstrips = fei.strips.length;
    const stripe_num = fei.strip_shift >= 0 ? chunk_num >>> fei.strip_shift : (chunk_num / nstrips) | 0; // int32 operands (checked at build): exact
    const strip = fei.strips[chunk_num - stripe_num * nstrips];
    const dev = healthy_dev(ino, strip.dev_index);
    if (!dev) return declined();
    famfs_fast_stats.interleaved++;
    return fill(map, number_to_u64(strip.ext_offset + chunk_offset + stripe_num * chunk_size), file_offset, len, lenN, chunk_size - chunk_offset, dev, flags);
  }
  return declined();
}
