// Fuzzing helpers shared by the jest fuzz test and `make fuzz`: mutate a valid
// GET_FMAP payload, run it through the parser and (if accepted) through a
// simulated open and resolution of offsets below file_size. A run is ok when
// nothing escapes as a JS exception, every rejection is a kernel errno, and
// every resolved address lies inside an extent/strip, or the case hits a known
// v9 flaw (B-16 divide error, B-17 address past the strip).
import { famfs_fuse_meta_alloc, __famfs_meta_free, famfs_fuse_iomap_begin, meta_slot } from '../kernel/famfs';
import { famfs_extent_type, famfs_file_meta } from '../kernel/famfs_kfmap';
import { ERRNO } from '../kernel/lib/errno';
import { slab } from '../kernel/lib/slab';
import { iomap_zero } from '../kernel/lib/iomap';
import { KernelOops } from '../kernel/lib/oops';
import { dmesg_take } from '../kernel/lib/printk';
import { createWorld } from '../sim/world';
import { bytesToHex } from '../uapi/fmap_codec';
import { MemoryStore } from '../sim/stores';
import { mkfs, FamfsWriter } from '../sim/image/writer';
import { FamfsImage, ImageError } from '../sim/image/image';
import { fsck } from '../sim/image/fsck';
import { mountImage, catFile } from '../sim/image/serve';

const ERRNOS = new Set(Object.values(ERRNO).map((v) => -v));

export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

export function mutate(base: Uint8Array, seed: number): Uint8Array {
  const r = rng(seed);
  let b: Uint8Array = base.slice();
  const n = 1 + (r() % 4);
  for (let k = 0; k < n; k++) {
    switch (r() % 6) {
      case 0: b[r() % b.length] = r() & 0xff; break; // byte flip
      case 1: b = b.slice(0, r() % (b.length + 1)); break; // truncate
      case 2: { const ext = new Uint8Array(b.length + (r() % 64)); ext.set(b); b = ext; break; } // extend with zeros
      case 3: if (b.length >= 12) new DataView(b.buffer).setUint32(8, r() % 40, true); break; // nextents
      case 4: if (b.length >= 24) new DataView(b.buffer).setBigUint64(16, BigInt(r()) << BigInt(r() % 40), true); break; // file_size
      case 5: { const off = 32 + 8 * (r() % 12); if (off + 8 <= b.length) new DataView(b.buffer).setBigUint64(off, [0n, 1n << 63n, (1n << 64n) - 1n, 0x200000n * BigInt(r() % 64)][r() % 4], true); break; }
    }
  }
  return b;
}

function inside(meta: famfs_file_meta, addr: bigint, len: bigint): boolean {
  const exts = meta.fm_extent_type === famfs_extent_type.INTERLEAVED_EXTENT ? (meta.ie ?? []).flatMap((ie) => ie.ie_strips ?? []) : meta.se ?? [];
  return exts.some((e) => addr >= e.ext_offset && addr + len <= e.ext_offset + e.ext_len);
}

export interface FuzzOutcome { ok: boolean; accepted: boolean; flaw?: string; why?: string }

const REPLY_BUF = new Uint8Array(4096);

export function fuzzPayload(base: Uint8Array, seed: number): FuzzOutcome {
  const payload = mutate(base, seed);
  slab.reset();
  // the zeroed reply buffer the parser reads (one page, as fuse_get_fmap's), reused
  const buf = payload.length <= REPLY_BUF.length ? REPLY_BUF.fill(0) : new Uint8Array(payload.length);
  buf.set(payload);
  const slot: meta_slot = { value: null };
  const rc = famfs_fuse_meta_alloc(buf, payload.length, slot);
  const meta = slot.value;
  __famfs_meta_free(meta);
  dmesg_take();
  if (slab.liveCount() !== 0) return { ok: false, accepted: false, why: 'leak in the parser' };
  if (rc !== 0) return { ok: ERRNOS.has(rc), accepted: false, why: `rc ${rc}` };
  // accepted: open it for real and resolve offsets below file_size
  const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x1000000000000' }], files: [{ path: 'f', fmap_hex: bytesToHex(payload) }] });
  const fd = w.mnt.open('/f');
  if (fd < 0) return { ok: ERRNOS.has(fd), accepted: true, why: `open ${fd}` };
  const ino = w.mnt.file(fd)!.f_inode;
  const m = ino.fi.famfs_meta!;
  const r = rng(seed ^ 0x5555);
  let flaw: string | undefined;
  const size = m.file_size;
  for (let k = 0; k < 8 && size > 0n; k++) {
    const off = (BigInt(r()) * BigInt(r())) % size;
    const map = iomap_zero();
    let res: number;
    try {
      res = famfs_fuse_iomap_begin(ino, off, 4096n, 0, map, null);
    } catch (e) {
      if (e instanceof KernelOops && e.kind === 'divide_error') { flaw = 'B-16'; break; }
      throw e;
    }
    if (res < 0) { if (!ERRNOS.has(res)) return { ok: false, accepted: true, why: `resolve ${res}` }; continue; }
    if (!inside(m, map.addr, map.length > 0n ? 1n : 0n)) flaw = flaw ?? 'B-17';
  }
  w.mnt.umount();
  dmesg_take();
  return { ok: slab.liveCount() === 0, accepted: true, flaw, why: slab.liveCount() ? 'leak after umount' : undefined };
}

/**
 * Corrupt a famfs image at random (superblock, log header, entries) and run
 * fsck, logplay and a read through the simulated kernel: every outcome must be
 * a report or an ImageError, never an exception escaping.
 */
export function fuzzImage(seed: number): { ok: boolean; why?: string; clean: boolean } {
  const r = rng(seed);
  const store = new MemoryStore(256n << 20n);
  mkfs(store, { allowSmall: true, seed: 1 });
  const w = new FamfsWriter(store);
  w.mkdir('d');
  w.creat('d/a', 3n << 20n);
  w.creat('b', 5n << 20n, { interleave: { nbuckets: 4, nstrips: 2, chunk_size: 2n << 20n }, mockStripe: true });
  const regions = [[0, 200], [0x200000, 48], [0x200000 + 48, 3 * 544]];
  for (let k = 1 + (r() % 3); k > 0; k--) {
    const [base, len] = regions[r() % regions.length];
    store.write(base + (r() % len), new Uint8Array([r() & 0xff]));
  }
  try {
    const rep = fsck(new FamfsImage(store));
    if (rep.ok) {
      const world = mountImage(store);
      for (const p of ['/d/a', '/b']) catFile(world, p);
      world.mnt.umount();
    }
    return { ok: true, clean: rep.ok };
  } catch (e) {
    if (e instanceof ImageError) return { ok: true, clean: false };
    return { ok: false, clean: false, why: (e as Error).message };
  }
}
