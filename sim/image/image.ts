// Reading and appending a famfs image: superblock and log-header validation in
// famfs's order (famfs_check_super, famfs_validate_log_header), every log entry
// checked (seqnum == index, entry CRC), entries decoded into a typed model.
import { decodeStruct, encodeStruct, encodeStructInto, cstring } from '../../uapi/layout';
import type { DaxStore } from '../../kernel/lib/dax';
import {
  famfs_log, famfs_log_add_daxdev, famfs_log_entry, famfs_log_entry_type, famfs_log_ext_type, famfs_log_file_meta,
  famfs_log_fmap, famfs_log_mkdir, famfs_simple_extent, famfs_superblock, famfs_interleaved_ext, FAMFS_ALLOC_UNIT,
  FAMFS_CURRENT_VERSION, FAMFS_LOG_MAGIC, FAMFS_SUPER_MAGIC, FMAP_EXT_OFFSET, IE_STRIPS_OFFSET, LOG_ENTRY_BODY,
  LOG_ENTRY_CRC, LOG_ENTRY_SIZE, logEntryCrc, logHeaderCrc, superblockCrc, FAMFS_MAX_SIMPLE_EXTENTS,
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
  size: bigint;
  flags: number;
  uid: number;
  gid: number;
  mode: number;
  ext_type: number;
  /** fmap_nextents (simple) or fmap_niext (interleaved): the same u32 */
  nextents: number;
  extents: LogExtent[];
  interleave: { nstrips: bigint; chunk_size: bigint; strips: LogExtent[] } | null;
}

export interface MkdirEntry { type: 'mkdir'; index: number; relpath: string; uid: number; gid: number; mode: number }
export interface DaxdevEntry { type: 'add_daxdev'; index: number; size: bigint; dd_index: number }
export interface OtherEntry { type: 'delete' | 'invalid' | 'unknown'; index: number; code: number }
export type LogEntry = FileEntry | MkdirEntry | DaxdevEntry | OtherEntry;

export interface BadEntry { index: number; why: string }

const readExt = (b: Uint8Array, off: number): LogExtent => {
  const e = decodeStruct(famfs_simple_extent, b, off);
  return { devindex: e.se_devindex, offset: e.se_offset, len: e.se_len };
};

function decodeFile(body: Uint8Array, index: number): FileEntry {
  const fm = decodeStruct(famfs_log_file_meta, body, 0);
  const fmapOff = 104;
  const fmap = decodeStruct(famfs_log_fmap, body, fmapOff);
  const arr = fmapOff + FMAP_EXT_OFFSET;
  const n = fmap.fmap_nextents;
  const e: FileEntry = {
    type: 'file', index, relpath: cstring(fm.fm_relpath), size: fm.fm_size, flags: fm.fm_flags, uid: fm.fm_uid, gid: fm.fm_gid,
    mode: fm.fm_mode, ext_type: fmap.fmap_ext_type, nextents: n, extents: [], interleave: null,
  };
  if (fmap.fmap_ext_type === famfs_log_ext_type.FAMFS_EXT_INTERLEAVE) {
    const ie = decodeStruct(famfs_interleaved_ext, body, arr);
    const ns = Number(ie.ie_nstrips < BigInt(FAMFS_MAX_SIMPLE_EXTENTS) ? ie.ie_nstrips : BigInt(FAMFS_MAX_SIMPLE_EXTENTS));
    const strips = Array.from({ length: ns }, (_, j) => readExt(body, arr + IE_STRIPS_OFFSET + 24 * j));
    e.interleave = { nstrips: ie.ie_nstrips, chunk_size: ie.ie_chunk_size, strips };
  } else {
    e.extents = Array.from({ length: Math.min(n, FAMFS_MAX_SIMPLE_EXTENTS) }, (_, j) => readExt(body, arr + 24 * j));
  }
  return e;
}

/** Decode one 544-byte entry (already validated). */
export function decodeEntry(raw: Uint8Array, index: number): LogEntry {
  const h = decodeStruct(famfs_log_entry, raw, 0);
  const body = raw.subarray(LOG_ENTRY_BODY, LOG_ENTRY_CRC);
  switch (h.famfs_log_entry_type) {
    case famfs_log_entry_type.FAMFS_LOG_FILE: return decodeFile(body, index);
    case famfs_log_entry_type.FAMFS_LOG_MKDIR: {
      const m = decodeStruct(famfs_log_mkdir, body, 0);
      return { type: 'mkdir', index, relpath: cstring(m.md_relpath), uid: m.md_uid, gid: m.md_gid, mode: m.md_mode };
    }
    case famfs_log_entry_type.FAMFS_LOG_ADD_DAXDEV: {
      const d = decodeStruct(famfs_log_add_daxdev, body, 0);
      return { type: 'add_daxdev', index, size: d.dd_size, dd_index: d.dd_index };
    }
    case famfs_log_entry_type.FAMFS_LOG_DELETE: return { type: 'delete', index, code: 2 };
    case famfs_log_entry_type.FAMFS_LOG_INVALID: return { type: 'invalid', index, code: 4 };
    default: return { type: 'unknown', index, code: h.famfs_log_entry_type };
  }
}

/** famfs_validate_log_entry(): seqnum == index and the entry crc; decoded, or why it is bad. */
export function validateEntry(raw: Uint8Array, index: number): LogEntry | BadEntry {
  const h = decodeStruct(famfs_log_entry, raw, 0);
  if (h.famfs_log_entry_seqnum !== BigInt(index)) return { index, why: `seqnum ${h.famfs_log_entry_seqnum} != index ${index}` };
  const crc = logEntryCrc(raw);
  if (h.famfs_log_entry_crc !== crc) return { index, why: `entry crc 0x${h.famfs_log_entry_crc.toString(16)}, computed 0x${crc.toString(16)}` };
  return decodeEntry(raw, index);
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

/**
 * The device size allocation works over: the device's own, as famfs measures it.
 * The superblock's dd_size is not covered by its CRC, so it is not trusted here.
 */
export function deviceSize(img: FamfsImage): bigint {
  return img.store.size;
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

  /** Every entry up to next_index, in log order. Validates superblock and header first. */
  readLog(): { entries: LogEntry[]; bad: BadEntry[] } {
    this.checkSuper();
    this.checkLogHeader();
    const n = Number(this.logHeader().famfs_log_next_index);
    const entries: LogEntry[] = [];
    const bad: BadEntry[] = [];
    // one read for the whole used log: faster than an entry at a time
    const all = this.bytes(this.entryOffset(0), n * LOG_ENTRY_SIZE);
    for (let i = 0; i < n; i++) {
      const e = validateEntry(all.subarray(i * LOG_ENTRY_SIZE, (i + 1) * LOG_ENTRY_SIZE), i);
      if ('why' in e) bad.push(e);
      else entries.push(e);
    }
    return { entries, bad };
  }

  /** famfs_append_log(): seqnum = next_seqnum, crc, copy into slot next_index, bump both counters. */
  append(type: famfs_log_entry_type, body: Uint8Array): number {
    const lo = this.logOffset;
    const h = this.logHeader();
    if (h.famfs_log_next_index > h.famfs_log_last_index) throw new ImageError('log_full', `the log is full (${h.famfs_log_last_index + 1n} entries)`);
    const index = Number(h.famfs_log_next_index);
    const raw = encodeStruct(famfs_log_entry, { famfs_log_entry_seqnum: h.famfs_log_next_seqnum, famfs_log_entry_type: type, body });
    new DataView(raw.buffer).setBigUint64(LOG_ENTRY_CRC, logEntryCrc(raw), true);
    this.store.write(Number(this.entryOffset(index)), raw);
    const counters = new Uint8Array(16);
    const dv = new DataView(counters.buffer);
    dv.setBigUint64(0, h.famfs_log_next_seqnum + 1n, true);
    dv.setBigUint64(8, h.famfs_log_next_index + 1n, true);
    this.store.write(Number(lo) + 32, counters); // the header crc does not cover them
    return index;
  }
}
