// Reading and appending a famfs image: superblock and log-header validation in
// famfs's order (famfs_check_super, famfs_validate_log_header), every log entry
// checked (seqnum == index, entry CRC), entries decoded into a typed model.
import { decodeStruct, encodeStruct, encodeStructInto, cstring } from '../../uapi/layout';
import type { DaxStore } from '../../kernel/lib/dax';
import {
  famfs_log, famfs_log_add_daxdev, famfs_log_entry, famfs_log_entry_type, famfs_log_ext_type, famfs_log_file_meta,
  famfs_log_fmap, famfs_log_mkdir, famfs_simple_extent, famfs_superblock, famfs_interleaved_ext, FAMFS_ALLOC_UNIT,
  FAMFS_CURRENT_VERSION, FAMFS_LOG_MAGIC, FAMFS_SUPER_MAGIC, FMAP_EXT_OFFSET, IE_STRIPS_OFFSET,
  LOG_ENTRY_CRC, LOG_ENTRY_SIZE, logEntryCrc, logHeaderCrc, superblockCrc, FAMFS_MAX_SIMPLE_EXTENTS, FAMFS_MAX_PATHLEN, zlibCrc32,
} from './format';

/** A corrupt or unusable image. `code` names the check that failed. */
export class ImageError extends Error {
  constructor(public readonly code: string, msg: string) {
    super(msg);
  }
}

export interface LogExtent { devindex: bigint; offset: bigint; len: bigint }

export interface FileEntry {
  type: 'file';
  index: number;
  relpath: string;
  /** fm_relpath as stored (the bytes before the first NUL, all 80 if none), when not plain printable ASCII */
  path_bytes?: Uint8Array;
  size: bigint;
  flags: number;
  uid: number;
  gid: number;
  mode: number;
  ext_type: number;
  /** fmap_nextents (simple) or fmap_niext (interleaved): the same u32 */
  nextents: number;
  /** the first min(nextents, 16) simple extents */
  extents: LogExtent[];
  /** ie[0]: nstrips as stored, the first min(nstrips, 16) strips */
  interleave: { nstrips: bigint; chunk_size: bigint; strips: LogExtent[] } | null;
}

export interface MkdirEntry { type: 'mkdir'; index: number; relpath: string; path_bytes?: Uint8Array; uid: number; gid: number; mode: number }
export interface DaxdevEntry { type: 'add_daxdev'; index: number; size: bigint; dd_index: number }
export interface OtherEntry { type: 'delete' | 'invalid' | 'unknown'; index: number; code: number }
export type LogEntry = FileEntry | MkdirEntry | DaxdevEntry | OtherEntry;

export interface BadEntry { index: number; why: string; field?: string }

// Fixed offsets inside one 544-byte struct famfs_log_entry (userspace-spec §1.5,
// §1.6), taken once from the declarative layouts: entries are then read straight
// from a DataView, with no struct decoder per entry.
const fieldAt = (l: { fields: readonly { name: string; offset: number }[] }, name: string): number => {
  const f = l.fields.find((x) => x.name === name);
  if (!f) throw new Error(`layout has no field ${name}`);
  return f.offset;
};
const BODY = fieldAt(famfs_log_entry, 'body');
const FMAP = BODY + fieldAt(famfs_log_file_meta, 'fm_fmap');
const FMAP_EXT = FMAP + FMAP_EXT_OFFSET;
const O = {
  seqnum: fieldAt(famfs_log_entry, 'famfs_log_entry_seqnum'), type: fieldAt(famfs_log_entry, 'famfs_log_entry_type'),
  fm_size: BODY + fieldAt(famfs_log_file_meta, 'fm_size'), fm_flags: BODY + fieldAt(famfs_log_file_meta, 'fm_flags'),
  fm_uid: BODY + fieldAt(famfs_log_file_meta, 'fm_uid'), fm_gid: BODY + fieldAt(famfs_log_file_meta, 'fm_gid'),
  fm_mode: BODY + fieldAt(famfs_log_file_meta, 'fm_mode'), fm_relpath: BODY + fieldAt(famfs_log_file_meta, 'fm_relpath'),
  ext_type: FMAP + fieldAt(famfs_log_fmap, 'fmap_ext_type'), nextents: FMAP + fieldAt(famfs_log_fmap, 'fmap_nextents'), se: FMAP_EXT,
  ie_nstrips: FMAP_EXT + fieldAt(famfs_interleaved_ext, 'ie_nstrips'), ie_chunk: FMAP_EXT + fieldAt(famfs_interleaved_ext, 'ie_chunk_size'), ie_strips: FMAP_EXT + IE_STRIPS_OFFSET,
  md_uid: BODY + fieldAt(famfs_log_mkdir, 'md_uid'), md_gid: BODY + fieldAt(famfs_log_mkdir, 'md_gid'),
  md_mode: BODY + fieldAt(famfs_log_mkdir, 'md_mode'), md_relpath: BODY + fieldAt(famfs_log_mkdir, 'md_relpath'),
  dd_size: BODY + fieldAt(famfs_log_add_daxdev, 'dd_size'), dd_index: BODY + fieldAt(famfs_log_add_daxdev, 'dd_index'),
  se_size: famfs_simple_extent.size,
} as const;

const utf8 = new TextDecoder();

/**
 * The text of a relpath field (up to the first NUL, at most 80 bytes), and its
 * bytes when they are anything but printable ASCII — the checker needs them
 * then; the common case allocates only the string.
 */
function readPath(b: Uint8Array, off: number): { text: string; bytes: Uint8Array | undefined } {
  let end = off;
  let plain = true;
  const lim = off + FAMFS_MAX_PATHLEN;
  for (; end < lim; end++) {
    const c = b[end];
    if (c === 0) break;
    if (c < 0x20 || c > 0x7e) plain = false;
  }
  if (plain && end < lim) return { text: String.fromCharCode.apply(null, b.subarray(off, end) as unknown as number[]), bytes: undefined };
  const bytes = b.slice(off, end);
  return { text: utf8.decode(bytes), bytes };
}

function readExts(dv: DataView, off: number, n: number): LogExtent[] {
  const out: LogExtent[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const o = off + O.se_size * j;
    out[j] = { devindex: dv.getBigUint64(o, true), offset: dv.getBigUint64(o + 8, true), len: dv.getBigUint64(o + 16, true) };
  }
  return out;
}

// Every decoder reads entry `index` at byte `at` of a buffer `b` viewed by `dv`.
function decodeFile(b: Uint8Array, dv: DataView, at: number, index: number): FileEntry {
  const path = readPath(b, at + O.fm_relpath);
  const extType = dv.getUint32(at + O.ext_type, true);
  const n = dv.getUint32(at + O.nextents, true);
  const e: FileEntry = {
    type: 'file', index, relpath: path.text, path_bytes: path.bytes, size: dv.getBigUint64(at + O.fm_size, true), flags: dv.getUint32(at + O.fm_flags, true),
    uid: dv.getUint32(at + O.fm_uid, true), gid: dv.getUint32(at + O.fm_gid, true), mode: dv.getUint32(at + O.fm_mode, true), ext_type: extType, nextents: n, extents: [], interleave: null,
  };
  if (extType === famfs_log_ext_type.FAMFS_EXT_INTERLEAVE) {
    const ns = dv.getBigUint64(at + O.ie_nstrips, true);
    const shown = ns < BigInt(FAMFS_MAX_SIMPLE_EXTENTS) ? Number(ns) : FAMFS_MAX_SIMPLE_EXTENTS;
    e.interleave = { nstrips: ns, chunk_size: dv.getBigUint64(at + O.ie_chunk, true), strips: readExts(dv, at + O.ie_strips, shown) };
  } else {
    e.extents = readExts(dv, at + O.se, Math.min(n, FAMFS_MAX_SIMPLE_EXTENTS));
  }
  return e;
}

function decodeAt(b: Uint8Array, dv: DataView, at: number, index: number): LogEntry {
  const type = dv.getUint32(at + O.type, true);
  switch (type) {
    case famfs_log_entry_type.FAMFS_LOG_FILE: return decodeFile(b, dv, at, index);
    case famfs_log_entry_type.FAMFS_LOG_MKDIR: {
      const path = readPath(b, at + O.md_relpath);
      return { type: 'mkdir', index, relpath: path.text, path_bytes: path.bytes, uid: dv.getUint32(at + O.md_uid, true), gid: dv.getUint32(at + O.md_gid, true), mode: dv.getUint32(at + O.md_mode, true) };
    }
    case famfs_log_entry_type.FAMFS_LOG_ADD_DAXDEV:
      return { type: 'add_daxdev', index, size: dv.getBigUint64(at + O.dd_size, true), dd_index: dv.getUint32(at + O.dd_index, true) };
    case famfs_log_entry_type.FAMFS_LOG_DELETE: return { type: 'delete', index, code: type };
    case famfs_log_entry_type.FAMFS_LOG_INVALID: return { type: 'invalid', index, code: type };
    default: return { type: 'unknown', index, code: type };
  }
}

/**
 * famfs_validate_log_entry() for entry `index` of a log's entry array `all`
 * (viewed by `dv`): seqnum == index and the entry crc; decoded, or why it is bad.
 */
export function validateEntryAt(all: Uint8Array, dv: DataView, index: number, at = index * LOG_ENTRY_SIZE): LogEntry | BadEntry {
  // seqnum == index without a BigInt: low word == index, high word 0 (index < 2^32)
  if (dv.getUint32(at + O.seqnum, true) !== index || dv.getUint32(at + O.seqnum + 4, true) !== 0) {
    return { index, field: 'famfs_log_entry_seqnum', why: `seqnum ${dv.getBigUint64(at + O.seqnum, true)} != index ${index}` };
  }
  const crc = zlibCrc32(all.subarray(at, at + LOG_ENTRY_CRC));
  if (dv.getUint32(at + LOG_ENTRY_CRC, true) !== crc || dv.getUint32(at + LOG_ENTRY_CRC + 4, true) !== 0) {
    return { index, field: 'famfs_log_entry_crc', why: `entry crc 0x${dv.getBigUint64(at + LOG_ENTRY_CRC, true).toString(16)}, computed 0x${crc.toString(16)}` };
  }
  return decodeAt(all, dv, at, index);
}

/** A DataView over a byte array, for validateEntryAt. */
export const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Decode one 544-byte entry (already validated), by fixed offsets. */
export function decodeEntry(raw: Uint8Array, index: number): LogEntry {
  return decodeAt(raw, viewOf(raw), 0, index);
}

/** One 544-byte entry on its own, validated as entry `index`. */
export function validateEntry(raw: Uint8Array, index: number): LogEntry | BadEntry {
  return validateEntryAt(raw, viewOf(raw), index, 0);
}

/** The 520-byte body of a FILE entry. */
export function encodeFileBody(f: Omit<FileEntry, 'type' | 'index'>): Uint8Array {
  const body = new Uint8Array(famfs_log_file_meta.size);
  const path = new TextEncoder().encode(f.relpath);
  if (path.length >= 80) throw new ImageError('name_too_long', `path '${f.relpath}' is longer than 79 bytes`);
  encodeStructInto(famfs_log_file_meta, { fm_size: f.size, fm_flags: f.flags, fm_uid: f.uid, fm_gid: f.gid, fm_mode: f.mode, fm_relpath: path }, body, 0);
  encodeStructInto(famfs_log_fmap, { fmap_ext_type: f.ext_type, fmap_nextents: f.nextents }, body, 104);
  const arr = 104 + FMAP_EXT_OFFSET;
  const put = (e: LogExtent, off: number) => encodeStructInto(famfs_simple_extent, { se_devindex: e.devindex, se_offset: e.offset, se_len: e.len }, body, off);
  if (f.interleave) {
    encodeStructInto(famfs_interleaved_ext, { ie_nstrips: f.interleave.nstrips, ie_chunk_size: f.interleave.chunk_size }, body, arr);
    f.interleave.strips.forEach((s, j) => put(s, arr + IE_STRIPS_OFFSET + 24 * j));
  } else {
    f.extents.forEach((e, j) => put(e, arr + 24 * j));
  }
  return body;
}

export function encodeMkdirBody(relpath: string, mode: number, uid = 0, gid = 0): Uint8Array {
  const path = new TextEncoder().encode(relpath);
  if (path.length >= 80) throw new ImageError('name_too_long', `path '${relpath}' is longer than 79 bytes`);
  const body = new Uint8Array(famfs_log_file_meta.size);
  encodeStructInto(famfs_log_mkdir, { md_uid: uid, md_gid: gid, md_mode: mode, md_relpath: path }, body, 0);
  return body;
}

/** The device path the superblock records (dd_daxdev). */
export function deviceName(img: FamfsImage): string {
  return cstring((img.superblock().ts_daxdev as { dd_daxdev: Uint8Array }).dd_daxdev);
}

export class FamfsImage {
  constructor(readonly store: DaxStore) {}

  private bytes(off: bigint, len: number): Uint8Array {
    if (off + BigInt(len) > this.store.size) throw new ImageError('truncated', `image ends at ${this.store.size}, needs ${off + BigInt(len)} bytes`);
    const b = new Uint8Array(len);
    this.store.read(Number(off), b);
    return b;
  }

  superblockBytes(): Uint8Array {
    return this.bytes(0n, famfs_superblock.size);
  }

  superblock() {
    return decodeStruct(famfs_superblock, this.superblockBytes(), 0);
  }

  /** famfs_check_super(): magic, version (1: "possibly valid, wrong version"), crc, alloc unit. */
  checkSuper(): void {
    const raw = this.superblockBytes();
    const sb = decodeStruct(famfs_superblock, raw, 0);
    if (sb.ts_magic !== FAMFS_SUPER_MAGIC) throw new ImageError('bad_magic', `superblock magic 0x${sb.ts_magic.toString(16)}, expected 0x${FAMFS_SUPER_MAGIC.toString(16)}`);
    if (sb.ts_version !== FAMFS_CURRENT_VERSION) throw new ImageError('wrong_version', `superblock version ${sb.ts_version}, expected ${FAMFS_CURRENT_VERSION} (possibly valid)`);
    if (sb.ts_crc !== superblockCrc(raw)) throw new ImageError('bad_sb_crc', `superblock crc 0x${sb.ts_crc.toString(16)}, computed 0x${superblockCrc(raw).toString(16)}`);
    if (sb.ts_alloc_unit !== 4096n && sb.ts_alloc_unit !== FAMFS_ALLOC_UNIT) throw new ImageError('bad_alloc_unit', `alloc unit ${sb.ts_alloc_unit} is not 4096 or 2 MiB`);
  }

  get logOffset(): bigint {
    return this.superblock().ts_log_offset;
  }

  logHeader() {
    return decodeStruct(famfs_log, this.bytes(this.logOffset, famfs_log.size), 0);
  }

  /** famfs_validate_log_header(): magic, then crc; the log must fit in the image. */
  checkLogHeader(): void {
    const sb = this.superblock();
    const raw = this.bytes(sb.ts_log_offset, famfs_log.size);
    const h = decodeStruct(famfs_log, raw, 0);
    if (h.famfs_log_magic !== FAMFS_LOG_MAGIC) throw new ImageError('bad_log_magic', `log magic 0x${h.famfs_log_magic.toString(16)}`);
    if (h.famfs_log_crc !== logHeaderCrc(raw)) throw new ImageError('bad_log_crc', `log header crc 0x${h.famfs_log_crc.toString(16)}, computed 0x${logHeaderCrc(raw).toString(16)}`);
    if (sb.ts_log_offset + sb.ts_log_len > this.store.size) throw new ImageError('truncated', `the log ends at ${sb.ts_log_offset + sb.ts_log_len}, the image at ${this.store.size}`);
    if (h.famfs_log_next_index > h.famfs_log_last_index + 1n) throw new ImageError('bad_log_header', `next_index ${h.famfs_log_next_index} is past last_index ${h.famfs_log_last_index}`);
  }

  private entryOffset(i: number): bigint {
    return this.logOffset + BigInt(famfs_log.size) + BigInt(i) * BigInt(LOG_ENTRY_SIZE);
  }

  /** The used part of the log, entries 0..n-1, in one read (a view where the store has one). */
  entryBytes(n: number): Uint8Array {
    const off = this.entryOffset(0);
    const len = n * LOG_ENTRY_SIZE;
    if (off + BigInt(len) > this.store.size) throw new ImageError('truncated', `the log's entries end at ${off + BigInt(len)}, the image at ${this.store.size}`);
    return this.store.view?.(Number(off), len) ?? this.bytes(off, len);
  }

  /** Every entry up to next_index, in log order. Validates superblock and header first. */
  readLog(): { entries: LogEntry[]; bad: BadEntry[] } {
    this.checkSuper();
    this.checkLogHeader();
    const n = Number(this.logHeader().famfs_log_next_index);
    const entries: LogEntry[] = [];
    const bad: BadEntry[] = [];
    const all = this.entryBytes(n);
    const dv = viewOf(all);
    for (let i = 0; i < n; i++) {
      const e = validateEntryAt(all, dv, i);
      if ('why' in e) bad.push(e);
      else entries.push(e);
    }
    return { entries, bad };
  }

  /**
   * famfs_append_log(), crash-ordered: the entry (seqnum = next_seqnum, crc) is
   * written into slot next_index and flushed, and only then are both counters
   * bumped — in one 16-byte store where the store is a mapping — and flushed.
   * A process killed before the counters land leaves the log as it was.
   */
  append(type: famfs_log_entry_type, body: Uint8Array, flush: () => void = () => {}): number {
    const lo = this.logOffset;
    const h = this.logHeader();
    if (h.famfs_log_next_index > h.famfs_log_last_index) throw new ImageError('log_full', `the log is full (${h.famfs_log_last_index + 1n} entries)`);
    const index = Number(h.famfs_log_next_index);
    const raw = encodeStruct(famfs_log_entry, { famfs_log_entry_seqnum: h.famfs_log_next_seqnum, famfs_log_entry_type: type, body });
    new DataView(raw.buffer).setBigUint64(LOG_ENTRY_CRC, logEntryCrc(raw), true);
    this.store.write(Number(this.entryOffset(index)), raw);
    flush();
    this.storeCounters(lo + 32n, h.famfs_log_next_seqnum + 1n, h.famfs_log_next_index + 1n);
    flush();
    return index;
  }

  /**
   * next_seqnum and next_index (the header crc does not cover them), never one
   * without the other: one 16-byte write call, a pwrite (a signal cannot cut
   * it) or one copy inside the addon.
   */
  private storeCounters(at: bigint, seqnum: bigint, index: bigint): void {
    const counters = new Uint8Array(16);
    const dv = new DataView(counters.buffer);
    dv.setBigUint64(0, seqnum, true);
    dv.setBigUint64(8, index, true);
    this.store.write(Number(at), counters);
  }
}
