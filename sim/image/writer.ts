// Writing famfs images: mkfs (superblock + empty log, famfs's rules), mkdir and
// creat (allocation + a log entry), as the famfs CLI does on the master.
import * as crypto from 'crypto';
import { encodeStruct } from '../../uapi/layout';
import type { DaxStore } from '../../kernel/lib/dax';
import {
  famfs_log, famfs_log_entry_type, famfs_log_ext_type, famfs_superblock, FAMFS_ALLOC_UNIT, FAMFS_CURRENT_VERSION, FAMFS_FM_ALL_HOSTS_RW,
  FAMFS_LOG_LEN, FAMFS_LOG_MAGIC, FAMFS_LOG_OFFSET, FAMFS_MIN_DEVSIZE, FAMFS_OMF_VER_MAJOR, FAMFS_OMF_VER_MINOR, FAMFS_SUPER_MAGIC,
  logHeaderCrc, logLastIndex, superblockCrc, validLogLen, FAMFS_DEVNAME_LEN,
} from './format';
import { encodeFileBody, encodeMkdirBody, FamfsImage, FileEntry, ImageError } from './image';
import { AllocBitmap, allocContiguous, allocStrided, InterleaveParam, validateInterleaveParam } from './alloc';
import { checkImage, firstProblem } from './check';
import { logplay, TreeNode } from './logplay';

export interface MkfsOptions {
  loglen?: bigint;
  force?: boolean;
  /** device path recorded in the superblock (what GET_DAXDEV will name) */
  devname?: string;
  /** allow devices under 4 GiB (famfs's mock hooks do the same in its unit tests) */
  allowSmall?: boolean;
  /** deterministic UUIDs */
  seed?: number;
}

function uuidBytes(seed: number | undefined, salt: string): Uint8Array {
  if (seed === undefined) return new Uint8Array(crypto.randomBytes(16));
  return new Uint8Array(crypto.createHash('sha256').update(`${seed}:${salt}`).digest().subarray(0, 16));
}

/** famfs_mkfs(): refuse an existing valid superblock without force, then write superblock + empty log. */
export function mkfs(store: DaxStore, o: MkfsOptions = {}, flush: () => void = () => {}): void {
  const loglen = o.loglen ?? FAMFS_LOG_LEN;
  if (!validLogLen(loglen)) throw new ImageError('bad_loglen', `log length ${loglen} must be a power of two and at least 8 MiB`);
  if (!o.allowSmall && store.size < FAMFS_MIN_DEVSIZE) throw new ImageError('too_small', `device of ${store.size} bytes is smaller than 4 GiB`);
  if (FAMFS_LOG_OFFSET + loglen > store.size) throw new ImageError('too_small', `the log does not fit in ${store.size} bytes`);
  const devname = new TextEncoder().encode(o.devname ?? '/dev/dax0.0');
  if (devname.length >= FAMFS_DEVNAME_LEN) throw new ImageError('bad_device', `device name of ${devname.length} bytes does not fit dd_daxdev (at most ${FAMFS_DEVNAME_LEN - 1})`);
  if (!o.force) {
    const img = new FamfsImage(store);
    let valid = true;
    try { img.checkSuper(); } catch { valid = false; }
    if (valid) throw new ImageError('exists', 'a valid famfs superblock exists (use force)');
  }
  const sb = encodeStruct(famfs_superblock, {
    ts_magic: FAMFS_SUPER_MAGIC, ts_version: FAMFS_CURRENT_VERSION, ts_log_offset: FAMFS_LOG_OFFSET, ts_log_len: loglen,
    ts_alloc_unit: FAMFS_ALLOC_UNIT, ts_omf_ver_major: FAMFS_OMF_VER_MAJOR, ts_omf_ver_minor: FAMFS_OMF_VER_MINOR,
    ts_uuid: uuidBytes(o.seed, 'fs'), ts_dev_uuid: uuidBytes(o.seed, 'dev'), ts_system_uuid: uuidBytes(o.seed, 'system'),
    ts_daxdev: { dd_size: store.size, dd_daxdev: devname },
  });
  new DataView(sb.buffer).setBigUint64(96, superblockCrc(sb), true);
  // The superblock goes last: a mkfs killed midway leaves no valid superblock
  // (no file system), never a new superblock over a half-zeroed log.
  killSuperblock(store);
  flush();
  // zero the whole log (a re-mkfs must not leave old entries behind)
  const zero = new Uint8Array(1 << 20);
  for (let off = 0n; off < loglen; off += BigInt(zero.length)) store.write(Number(FAMFS_LOG_OFFSET + off), zero.subarray(0, Number(loglen - off < BigInt(zero.length) ? loglen - off : BigInt(zero.length))));
  const hdr = encodeStruct(famfs_log, { famfs_log_magic: FAMFS_LOG_MAGIC, famfs_log_len: loglen, famfs_log_last_index: logLastIndex(loglen) });
  new DataView(hdr.buffer).setBigUint64(24, logHeaderCrc(hdr), true);
  store.write(Number(FAMFS_LOG_OFFSET), hdr);
  flush();
  store.write(0, sb);
  flush();
}

/** `famfs mkfs -k -f`: zero the superblock magic. */
export function killSuperblock(store: DaxStore): void {
  store.write(0, new Uint8Array(8));
}

export interface CreatOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  interleave?: InterleaveParam;
  /** seed of the bucket shuffle */
  allocSeed?: number;
  /** accept buckets under 1 GiB (famfs's mock_stripe test hook) */
  mockStripe?: boolean;
}

/** An image opened for writing: the log, the tree it plays into, the allocation bitmap. */
export class FamfsWriter {
  readonly img: FamfsImage;
  readonly tree: Map<string, TreeNode>;
  readonly bm: AllocBitmap;
  private allocs = 0;

  /**
   * Opens the image for appending after checking all of it (superblock, log
   * header, every entry: the same checks as fsck). Any problem: ImageError
   * 'inconsistent', nothing written. `flush` makes written bytes durable
   * (fsync of the image); appends call it between their ordered steps.
   */
  constructor(store: DaxStore, private readonly flush: () => void = () => {}) {
    this.img = new FamfsImage(store);
    const c = checkImage(this.img);
    if (c.problems.length || !c.bitmap) throw new ImageError('inconsistent', `refusing to write: ${firstProblem(c)}`);
    this.tree = logplay(c.entries).tree;
    this.bm = c.bitmap;
  }

  private checkParent(rel: string): void {
    const parent = rel.split('/').slice(0, -1).join('/');
    if (parent && this.tree.get(parent)?.kind !== 'dir') throw new ImageError('no_parent', `${parent}: no such directory`);
  }

  /** famfs mkdir [-p]: one MKDIR entry per directory created. */
  mkdir(path: string, o: { parents?: boolean; mode?: number } = {}): number {
    const rel = relative(path);
    const parts = rel.split('/');
    let created = 0;
    for (let i = o.parents ? 1 : parts.length; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      const n = this.tree.get(p);
      if (n?.kind === 'file') throw new ImageError('not_dir', `${p} is a file`);
      if (n) { if (i === parts.length && !o.parents) throw new ImageError('exists', `${p} exists`); continue; }
      this.checkParent(p);
      this.img.append(famfs_log_entry_type.FAMFS_LOG_MKDIR, encodeMkdirBody(p, o.mode ?? 0o755), this.flush);
      this.tree.set(p, { kind: 'dir', mode: o.mode ?? 0o755, uid: 0, gid: 0 });
      created++;
    }
    return created;
  }

  /**
   * famfs creat: allocate, log; the same size again is a no-op, another size an
   * error. `fill` writes the file's data into the allocation before the entry is
   * logged (famfs logs first and copies after: a crash then leaves a logged file
   * with partial contents); the data is flushed before the append.
   */
  creat(path: string, size: bigint, o: CreatOptions = {}, fill?: (pending: FileEntry) => void): FileEntry {
    const rel = relative(path);
    if (size <= 0n) throw new ImageError('empty', 'famfs cannot create an empty file');
    const existing = this.tree.get(rel);
    if (existing?.kind === 'dir') throw new ImageError('is_dir', `${rel} is a directory`);
    if (existing?.file) {
      if (existing.file.size === size) return existing.file;
      throw new ImageError('exists', `${rel} exists with size ${existing.file.size}`);
    }
    this.checkParent(rel);
    const p = o.interleave;
    if (p) {
      const errs = validateInterleaveParam(p, this.bm.devsize, o.mockStripe);
      if (errs.length) throw new ImageError('bad_interleave', errs.join('; '));
    }
    const h = this.img.logHeader(); // checked before allocating, so a full log leaves the bitmap as it was
    if (h.famfs_log_next_index > h.famfs_log_last_index) throw new ImageError('log_full', 'the log is full');
    let entry: Omit<FileEntry, 'type' | 'index'>;
    const common = { relpath: rel, size, flags: FAMFS_FM_ALL_HOSTS_RW, uid: o.uid ?? 0, gid: o.gid ?? 0, mode: o.mode ?? 0o644 };
    const a = p && p.nstrips ? allocStrided(this.bm, size, p, (o.allocSeed ?? 1) + this.allocs++) : { contiguous: allocContiguous(this.bm, size) };
    if ('strips' in a) {
      entry = { ...common, ext_type: famfs_log_ext_type.FAMFS_EXT_INTERLEAVE, nextents: 1, extents: [], interleave: { nstrips: BigInt(a.strips.length), chunk_size: (p as InterleaveParam).chunk_size, strips: a.strips } };
    } else {
      entry = { ...common, ext_type: famfs_log_ext_type.FAMFS_EXT_SIMPLE, nextents: 1, extents: [a.contiguous], interleave: null };
    }
    const body = encodeFileBody(entry);
    if (fill) {
      fill({ type: 'file', index: Number(h.famfs_log_next_index), ...entry });
      this.flush();
    }
    const index = this.img.append(famfs_log_entry_type.FAMFS_LOG_FILE, body, this.flush);
    const file: FileEntry = { type: 'file', index, ...entry };
    this.tree.set(rel, { kind: 'file', mode: common.mode, uid: common.uid, gid: common.gid, file });
    return file;
  }
}

export function relative(path: string): string {
  const rel = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!rel || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new ImageError('bad_path', `bad path '${path}'`);
  return rel;
}
