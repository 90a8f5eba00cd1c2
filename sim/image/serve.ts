// Serving an image: the famfs server model answers from the log, and the
// simulated kernel reads and writes file data through GET_FMAP + iomap + the
// image's store — the same path a famfs mount takes.
import type { DaxStore } from '../../kernel/lib/dax';
import type { FmapSpec } from '../../uapi/fmap_codec';
import { famfs_log_ext_type } from './format';
import { deviceName, FamfsImage, FileEntry } from './image';
import { logplay } from './logplay';
import type { ServerConfig, ServerFile } from '../server';
import { createWorld, DEFAULT_DEVICE, World } from '../world';
import { EIO } from '../../kernel/lib/errno';
import type { FusePeer } from '../peer';

const hx = (v: bigint) => '0x' + v.toString(16);
const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

/**
 * famfs_log_file_meta_to_msg(), with the kernel's strip layout (the daemon
 * writes strips through its own struct, shifting the devindex: not copied here).
 * The wire's devindex and chunk size are u32: wider log values are truncated,
 * as the daemon's C assignment does.
 */
export function fmapSpecOf(f: FileEntry): FmapSpec {
  const ext = (e: { devindex: bigint; offset: bigint; len: bigint }) => ({ se_devindex: u32(e.devindex), se_offset: hx(e.offset), se_len: hx(e.len) });
  if (f.ext_type === famfs_log_ext_type.FAMFS_EXT_INTERLEAVE && f.interleave) {
    return {
      ext_type: 'interleave', file_size: hx(f.size), nextents: f.nextents,
      iexts: [{ ie_nstrips: Number(f.interleave.nstrips), ie_chunk_size: hx(BigInt(u32(f.interleave.chunk_size))), ie_nbytes: hx(f.size), strips: f.interleave.strips.map(ext) }],
    };
  }
  return { ext_type: f.ext_type, file_size: hx(f.size), nextents: f.nextents, extents: f.extents.map(ext) };
}

/**
 * The server's view of an image: every played file and directory, plus .meta/.
 * `pending` is a file allocated but not yet logged (its data is written first).
 */
export function serverConfigFromImage(img: FamfsImage, pending?: FileEntry): ServerConfig {
  const { entries } = img.readLog();
  const sb = img.superblock();
  const files: ServerFile[] = [
    { path: '.meta/.superblock', mode: 0o444, fmap: { file_size: '0x200000', extents: [{ se_offset: '0', se_len: '0x200000' }] } },
    { path: '.meta/.log', mode: 0o644, fmap: { file_size: hx(sb.ts_log_len), extents: [{ se_offset: hx(sb.ts_log_offset), se_len: hx(sb.ts_log_len) }] } },
  ];
  for (const [path, n] of logplay(entries).tree) {
    files.push(n.kind === 'dir' ? { path, kind: 'dir', mode: n.mode } : { path, mode: n.mode, fmap: fmapSpecOf(n.file as FileEntry) });
  }
  if (pending) files.push({ path: pending.relpath, mode: pending.mode, fmap: fmapSpecOf(pending) });
  return { files, daxdevs: [deviceName(img) || DEFAULT_DEVICE] };
}

/** A simulated machine with the image's store as its daxdev, mounted through the server model (or `peer`). */
export function mountImage(store: DaxStore, peer?: FusePeer): World {
  const img = new FamfsImage(store);
  const cfg = serverConfigFromImage(img);
  return createWorld({ devices: [{ name: cfg.daxdevs[0], store }], daxdevs: cfg.daxdevs, files: cfg.files }, peer);
}

const CHUNK = 1 << 20;

/** Read a whole file through the simulated kernel: -errno or the bytes. */
export function catFile(w: World, path: string): Uint8Array | number {
  const fd = w.mnt.open(path, 0);
  if (fd < 0) return fd;
  const st = w.mnt.stat(fd);
  if (typeof st === 'number') return st;
  const out = new Uint8Array(Number(st.size));
  for (let off = 0; off < out.length; off += CHUNK) {
    const n = w.mnt.pread(fd, out.subarray(off, Math.min(off + CHUNK, out.length)), BigInt(off));
    if (n < 0) return n;
    if (n === 0) return -EIO;
  }
  w.mnt.close(fd);
  return out;
}

/** Write bytes into an (already allocated) file through the simulated kernel. */
export function writeFile(w: World, path: string, data: Uint8Array): number {
  const fd = w.mnt.open(path, 1);
  if (fd < 0) return fd;
  for (let off = 0; off < data.length; off += CHUNK) {
    const n = w.mnt.pwrite(fd, data.subarray(off, Math.min(off + CHUNK, data.length)), BigInt(off));
    if (n < 0) return n;
    if (n === 0) return -EIO;
  }
  return w.mnt.close(fd);
}

/**
 * A machine that also serves `pending`, a file allocated but not yet logged:
 * writers put its data in place through the kernel before the entry exists.
 */
export function mountImageWithPending(store: DaxStore, pending: FileEntry): World {
  const cfg = serverConfigFromImage(new FamfsImage(store), pending);
  return createWorld({ devices: [{ name: cfg.daxdevs[0], store }], daxdevs: cfg.daxdevs, files: cfg.files });
}
