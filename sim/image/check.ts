// The image checker shared by fsck and every writer: superblock, log header and
// every log entry, one Problem per defect (entry index, field, why). fsck
// reports them all; a writer refuses to touch an image that has any; `image cat`
// refuses with the first. Stricter than famfs's fsck, which counts only
// allocation collisions (Documentation/images.md lists the differences).
import { decodeStruct } from '../../uapi/layout';
import {
  famfs_log, famfs_log_ext_type, FAMFS_ALLOC_UNIT, FAMFS_CURRENT_VERSION, FAMFS_LOG_MAGIC, FAMFS_LOG_OFFSET, FAMFS_MAX_INTERLEAVED_EXTENTS,
  FAMFS_MAX_PATHLEN, FAMFS_MAX_SIMPLE_EXTENTS, FAMFS_SUPER_MAGIC, FAMFS_FM_ALL_HOSTS_RO, FAMFS_FM_ALL_HOSTS_RW, LOG_ENTRY_SIZE,
  logHeaderCrc, logLastIndex, superblockCrc, validLogLen, famfs_superblock,
} from './format';
import { AllocBitmap } from './alloc';
import { FamfsImage, FileEntry, LogEntry, LogExtent, MkdirEntry, validateEntryAt, viewOf } from './image';

export interface Problem {
  /** log entry index; null for the superblock, the log header or the image */
  index: number | null;
  field: string;
  why: string;
}

export interface ImageCheck {
  problems: Problem[];
  /** a superblock or log-header problem: entries were not read */
  fatal: boolean;
  /** entries whose seqnum and crc are good, in log order */
  entries: LogEntry[];
  /** every extent of every good FILE entry claimed (with the superblock and log) */
  bitmap: AllocBitmap | null;
  next_index: number;
  capacity: number;
  /** files and directories the log plays into, and the sum of the file sizes */
  files: number;
  directories: number;
  size_sum: bigint;
}

export function problemLine(p: Problem): string {
  return `${p.index === null ? 'image' : `entry ${p.index}`}: ${p.field}: ${p.why}`;
}

const hx = (v: bigint) => '0x' + v.toString(16);
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** Superblock and log header; fatal problems stop the check there. */
function checkHeads(img: FamfsImage, out: Problem[]): { logOffset: bigint; logLen: bigint; allocUnit: bigint; next: number; capacity: number } | null {
  const size = img.store.size;
  const bad = (field: string, why: string) => { out.push({ index: null, field, why }); return null; };
  if (size < BigInt(famfs_superblock.size)) return bad('superblock', `the image is ${size} bytes, shorter than a superblock`);
  const raw = img.superblockBytes();
  const sb = decodeStruct(famfs_superblock, raw, 0);
  if (sb.ts_magic !== FAMFS_SUPER_MAGIC) return bad('ts_magic', `${hx(sb.ts_magic)}, expected ${hx(FAMFS_SUPER_MAGIC)}`);
  if (sb.ts_version !== FAMFS_CURRENT_VERSION) return bad('ts_version', `${sb.ts_version}, expected ${FAMFS_CURRENT_VERSION}`);
  const crc = superblockCrc(raw);
  if (sb.ts_crc !== crc) return bad('ts_crc', `${hx(sb.ts_crc)}, computed ${hx(crc)}`);
  if (sb.ts_alloc_unit !== 4096n && sb.ts_alloc_unit !== FAMFS_ALLOC_UNIT) return bad('ts_alloc_unit', `${sb.ts_alloc_unit} is not 4096 or 2 MiB`);
  if (sb.ts_log_offset !== FAMFS_LOG_OFFSET) return bad('ts_log_offset', `${hx(sb.ts_log_offset)}, famfs keeps the log at ${hx(FAMFS_LOG_OFFSET)}`);
  if (!validLogLen(sb.ts_log_len)) return bad('ts_log_len', `${sb.ts_log_len} is not a power of two of at least 8 MiB`);
  if (sb.ts_log_offset + sb.ts_log_len > size) return bad('ts_log_len', `the log ends at ${hx(sb.ts_log_offset + sb.ts_log_len)}, the image at ${hx(size)}`);
  const ddSize = (sb.ts_daxdev as { dd_size: bigint }).dd_size;
  if (ddSize > size) out.push({ index: null, field: 'dd_size', why: `the superblock records a ${ddSize}-byte device, the image file is ${size} bytes` });
  const hraw = img.store.view?.(Number(sb.ts_log_offset), famfs_log.size) ?? (() => { const b = new Uint8Array(famfs_log.size); img.store.read(Number(sb.ts_log_offset), b); return b; })();
  const h = decodeStruct(famfs_log, hraw, 0);
  if (h.famfs_log_magic !== FAMFS_LOG_MAGIC) return bad('famfs_log_magic', `${hx(h.famfs_log_magic)}, expected ${hx(FAMFS_LOG_MAGIC)}`);
  const hcrc = logHeaderCrc(hraw);
  if (h.famfs_log_crc !== hcrc) return bad('famfs_log_crc', `${hx(h.famfs_log_crc)}, computed ${hx(hcrc)}`);
  if (h.famfs_log_len !== sb.ts_log_len) return bad('famfs_log_len', `${h.famfs_log_len}, the superblock's ts_log_len is ${sb.ts_log_len}`);
  const last = logLastIndex(h.famfs_log_len);
  if (h.famfs_log_last_index !== last) return bad('famfs_log_last_index', `${h.famfs_log_last_index}, a ${h.famfs_log_len}-byte log ends at slot ${last}`);
  if (h.famfs_log_next_index > last + 1n) return bad('famfs_log_next_index', `${h.famfs_log_next_index} is past the last slot ${last}`);
  if (h.famfs_log_next_seqnum !== h.famfs_log_next_index) {
    out.push({ index: null, field: 'famfs_log_next_seqnum', why: `${h.famfs_log_next_seqnum}, but next_index is ${h.famfs_log_next_index} (every entry's seqnum is its index)` });
  }
  return { logOffset: sb.ts_log_offset, logLen: sb.ts_log_len, allocUnit: sb.ts_alloc_unit, next: Number(h.famfs_log_next_index), capacity: Number(last + 1n) };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a stored relpath is not a clean relative famfs path (empty list: fine). */
export function pathProblems(b: Uint8Array): string[] {
  if (b.length === 0) return ['empty path'];
  let ctl = -1;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if ((c < 0x20 || c === 0x7f) && ctl < 0) ctl = i;
  }
  const why: string[] = [];
  if (b.length >= FAMFS_MAX_PATHLEN) why.push(`not NUL-terminated within ${FAMFS_MAX_PATHLEN} bytes`);
  if (b[0] === 0x2f) why.push('absolute path (starts with /)');
  if (ctl >= 0) why.push(`control character 0x${b[ctl].toString(16).padStart(2, '0')} at byte ${ctl}`);
  let t: string;
  try { t = strictUtf8.decode(b); } catch { return [...why, 'not valid UTF-8']; }
  return why.concat(componentProblems(t));
}

/** A path of printable ASCII shorter than 80 bytes: only its shape can be wrong. */
export function plainPathProblems(t: string): string[] {
  if (!t) return ['empty path'];
  return t.charCodeAt(0) === 0x2f ? ['absolute path (starts with /)', ...componentProblems(t)] : componentProblems(t);
}

function componentProblems(t: string): string[] {
  const why: string[] = [];
  if (t.includes('.')) {
    if (/(^|\/)\.\.(\/|$)/.test(t)) why.push("contains a '..' component");
    if (/(^|\/)\.(\/|$)/.test(t)) why.push("contains a '.' component");
  }
  if (t.includes('//') || t.endsWith('/')) why.push('contains an empty component (// or a trailing /)');
  return why;
}

interface Node { kind: 'file' | 'dir'; index: number }

class EntryChecker {
  readonly problems: Problem[] = [];
  readonly tree = new Map<string, Node>();
  /** daxdev sizes by devindex: 0 is the image itself, ADD_DAXDEV adds more */
  readonly devs: bigint[];
  readonly owner: Int32Array;
  files = 0;
  directories = 0;
  sizeSum = 0n;

  constructor(readonly bm: AllocBitmap, readonly logEnd: bigint, readonly au: bigint, imageSize: bigint) {
    this.devs = [imageSize];
    this.owner = new Int32Array(bm.nau).fill(-1);
  }

  private bad(index: number, field: string, why: string): void {
    this.problems.push({ index, field, why });
  }

  /** Path rules, then the tree: parents logged as directories, no duplicate. */
  private place(e: FileEntry | MkdirEntry, field: string): boolean {
    const whys = e.path_bytes ? pathProblems(e.path_bytes) : plainPathProblems(e.relpath);
    for (const w of whys) this.bad(e.index, field, w);
    if (whys.length) return false;
    for (let slash = e.relpath.indexOf('/'); slash > 0; slash = e.relpath.indexOf('/', slash + 1)) {
      const p = e.relpath.substring(0, slash);
      const n = this.tree.get(p);
      if (n?.kind === 'file') { this.bad(e.index, field, `'${e.relpath}' is under '${p}', a file (entry ${n.index})`); return false; }
      if (!n) { this.bad(e.index, field, `parent directory '${p}' is not logged before this entry`); return false; }
    }
    const dup = this.tree.get(e.relpath);
    if (dup) { this.bad(e.index, field, `duplicate: '${e.relpath}' is already a ${dup.kind} (entry ${dup.index})`); return false; }
    this.tree.set(e.relpath, { kind: e.type === 'file' ? 'file' : 'dir', index: e.index });
    if (e.type === 'file') { this.files++; this.sizeSum += e.size; } else this.directories++;
    return true;
  }

  /** One extent or strip: device, alignment, length, outside superblock+log, inside the device. */
  private extent(index: number, field: string, x: LogExtent): boolean {
    const n0 = this.problems.length;
    const dev = x.devindex < BigInt(this.devs.length) ? this.devs[Number(x.devindex)] : null;
    if (dev === null) this.bad(index, `${field}.se_devindex`, `${x.devindex}: no such daxdev (${this.devs.length} known)`);
    if (x.len === 0n) this.bad(index, `${field}.se_len`, 'zero length');
    else if (x.len % this.au) this.bad(index, `${field}.se_len`, `${hx(x.len)} is not a multiple of the allocation unit ${hx(this.au)}`);
    if (x.offset % this.au) this.bad(index, `${field}.se_offset`, `${hx(x.offset)} is not a multiple of the allocation unit ${hx(this.au)}`);
    if (x.devindex === 0n && x.offset < this.logEnd) this.bad(index, `${field}.se_offset`, `${hx(x.offset)} is inside the superblock and log [0, ${hx(this.logEnd)})`);
    if (dev !== null && x.offset + x.len > dev) this.bad(index, `${field}.se_len`, `the extent ends at ${hx(x.offset + x.len)}, beyond the ${hx(dev)}-byte ${x.devindex === 0n ? 'image' : `daxdev ${x.devindex}`}`);
    return this.problems.length === n0;
  }

  /** Claim a good extent's allocation units; a unit claimed before is a collision. */
  private claim(index: number, field: string, x: LogExtent): void {
    if (x.devindex !== 0n) return; // one bitmap: the primary device's
    const before = this.bm.collisions;
    const first = Number(x.offset / this.bm.au);
    const n = Number((x.len + this.bm.au - 1n) / this.bm.au);
    const others = new Set<number>();
    for (let k = first; k < first + n && k < this.bm.nau; k++) if (this.owner[k] >= 0) others.add(this.owner[k]);
    this.bm.mark(x.offset, x.len);
    for (let k = first; k < first + n && k < this.bm.nau; k++) if (this.owner[k] < 0) this.owner[k] = index;
    const c = this.bm.collisions - before;
    if (c) this.bad(index, field, `${c} allocation unit(s) already allocated to entry ${[...others].join(', ')} (allocation collision)`);
  }

  private fmapSimple(e: FileEntry): void {
    if (e.nextents === 0) { this.bad(e.index, 'fm_fmap.fmap_nextents', 'no extents'); return; }
    if (e.nextents > FAMFS_MAX_SIMPLE_EXTENTS) this.bad(e.index, 'fm_fmap.fmap_nextents', `${e.nextents}, an entry holds at most ${FAMFS_MAX_SIMPLE_EXTENTS}`);
    let total = 0n;
    const good = e.extents.map((x, j) => { total += x.len; return this.extent(e.index, `fm_fmap.se[${j}]`, x); });
    if (e.size > total) this.bad(e.index, 'fm_size', `${e.size} exceeds the extents' ${total} bytes`);
    e.extents.forEach((x, j) => { if (good[j]) this.claim(e.index, `fm_fmap.se[${j}]`, x); });
  }

  private fmapInterleaved(e: FileEntry): void {
    const ie = e.interleave as NonNullable<FileEntry['interleave']>;
    if (e.nextents !== FAMFS_MAX_INTERLEAVED_EXTENTS) {
      this.bad(e.index, 'fm_fmap.fmap_niext', `${e.nextents}, an entry holds exactly ${FAMFS_MAX_INTERLEAVED_EXTENTS} interleaved extent`);
      if (e.nextents === 0) return;
    }
    const f = 'fm_fmap.ie[0]';
    if (ie.nstrips === 0n || ie.nstrips > BigInt(FAMFS_MAX_SIMPLE_EXTENTS)) this.bad(e.index, `${f}.ie_nstrips`, `${ie.nstrips}, must be 1..${FAMFS_MAX_SIMPLE_EXTENTS}`);
    const c = ie.chunk_size;
    if (c === 0n || (c & (c - 1n)) !== 0n || c % this.au !== 0n) this.bad(e.index, `${f}.ie_chunk_size`, `${hx(c)} is not a non-zero power of two multiple of the allocation unit`);
    else if (c >= 1n << 32n) this.bad(e.index, `${f}.ie_chunk_size`, `${hx(c)} does not fit the GET_FMAP reply's u32 chunk size`);
    if (ie.nstrips === 0n || ie.nstrips > BigInt(FAMFS_MAX_SIMPLE_EXTENTS)) return;
    const good = ie.strips.map((x, j) => this.extent(e.index, `${f}.ie_strips[${j}]`, x));
    const len0 = ie.strips[0].len;
    const same = ie.strips.every((x) => x.len === len0);
    if (!same) this.bad(e.index, `${f}.ie_strips`, `strip lengths differ (${ie.strips.map((x) => hx(x.len)).join(', ')})`);
    else if (c && len0 % c) this.bad(e.index, `${f}.ie_strips`, `strip length ${hx(len0)} is not a multiple of the chunk size ${hx(c)}`);
    const total = ie.strips.reduce((s, x) => s + x.len, 0n);
    if (e.size > total) this.bad(e.index, 'fm_size', `${e.size} exceeds the strips' ${total} bytes`);
    ie.strips.forEach((x, j) => { if (good[j]) this.claim(e.index, `${f}.ie_strips[${j}]`, x); });
  }

  file(e: FileEntry): void {
    this.place(e, 'fm_relpath');
    if (e.size === 0n) this.bad(e.index, 'fm_size', '0 (famfs cannot create an empty file)');
    if ((e.mode & S_IFMT) === S_IFDIR) this.bad(e.index, 'fm_mode', `0${e.mode.toString(8)} is a directory mode on a file`);
    else if (e.mode & ~0o7777) this.bad(e.index, 'fm_mode', `0${e.mode.toString(8)} has bits beyond the permission bits`);
    if (e.flags & ~(FAMFS_FM_ALL_HOSTS_RO | FAMFS_FM_ALL_HOSTS_RW)) this.bad(e.index, 'fm_flags', `${hx(BigInt(e.flags))} has unknown bits`);
    if (e.ext_type === famfs_log_ext_type.FAMFS_EXT_SIMPLE) this.fmapSimple(e);
    else if (e.ext_type === famfs_log_ext_type.FAMFS_EXT_INTERLEAVE) this.fmapInterleaved(e);
    else this.bad(e.index, 'fm_fmap.fmap_ext_type', `${e.ext_type} is neither SIMPLE (0) nor INTERLEAVE (1)`);
  }

  entry(e: LogEntry): void {
    switch (e.type) {
      case 'file': this.file(e); break;
      case 'mkdir':
        this.place(e, 'md_relpath');
        if (e.mode & ~0o7777) this.bad(e.index, 'md_mode', `0${e.mode.toString(8)} has bits beyond the permission bits`);
        break;
      case 'add_daxdev':
        if (e.dd_index !== this.devs.length) this.bad(e.index, 'dd_index', `${e.dd_index}, the next daxdev index is ${this.devs.length}`);
        else this.devs.push(e.size);
        break;
      default:
        this.bad(e.index, 'famfs_log_entry_type', `${e.code}${e.type === 'delete' ? ' (DELETE, never written by famfs)' : e.type === 'invalid' ? ' (INVALID)' : ''} is not a type famfs plays`);
    }
  }
}

/** Check everything: superblock, log header, every entry up to next_index. */
export function checkImage(img: FamfsImage): ImageCheck {
  const problems: Problem[] = [];
  const heads = checkHeads(img, problems);
  if (!heads) return { problems, fatal: true, entries: [], bitmap: null, next_index: 0, capacity: 0, files: 0, directories: 0, size_sum: 0n };
  const logEnd = heads.logOffset + heads.logLen;
  // allocation works over the device's own size, as famfs measures it; the superblock's dd_size is outside its CRC
  const bm = new AllocBitmap(img.store.size);
  bm.mark(0n, logEnd);
  const chk = new EntryChecker(bm, logEnd, heads.allocUnit, img.store.size);
  const all = img.entryBytes(heads.next);
  const entries: LogEntry[] = [];
  const dv = viewOf(all);
  for (let i = 0; i < heads.next; i++) {
    const e = validateEntryAt(all, dv, i);
    if ('why' in e) { chk.problems.push({ index: i, field: e.field ?? 'entry', why: e.why }); continue; }
    entries.push(e);
    chk.entry(e);
  }
  return { problems: problems.concat(chk.problems), fatal: false, entries, bitmap: bm, next_index: heads.next, capacity: heads.capacity, files: chk.files, directories: chk.directories, size_sum: chk.sizeSum };
}

/** The first problem as one line, with how many more there are. */
export function firstProblem(c: ImageCheck): string {
  const more = c.problems.length - 1;
  return `${problemLine(c.problems[0])}${more ? ` (and ${more} more problem${more === 1 ? '' : 's'}; see image fsck)` : ''}`;
}
