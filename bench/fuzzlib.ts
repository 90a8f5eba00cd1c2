// Fuzzing helpers shared by the jest fuzz test and `make fuzz`: mutate a valid
// GET_FMAP payload, run it through the parser and (if accepted) through a
// simulated open and resolution of offsets below file_size. A run is ok when
// nothing escapes as a JS exception, every rejection is a kernel errno, and
// every resolution [addr, addr+length) lies wholly inside one extent/strip, or
// is explained by the exact known flaw it hits (sim/fmap_oracle.ts: B-17 strip
// overrun, EXT-LEN-SIGN signed ext_len wrap; B-16 is the divide error).
import { famfs_fuse_meta_alloc, __famfs_meta_free, famfs_fuse_iomap_begin, meta_slot } from '../kernel/famfs';
import { ERRNO } from '../kernel/lib/errno';
import { slab } from '../kernel/lib/slab';
import { iomap_zero } from '../kernel/lib/iomap';
import { KernelOops } from '../kernel/lib/oops';
import { dmesg_take } from '../kernel/lib/printk';
import { createWorld } from '../sim/world';
import { bytesToHex, encodeFmap } from '../uapi/fmap_codec';
import { judgeResolution } from '../sim/fmap_oracle';
import { fuzzImageContents, rng } from '../sim/image/fuzz_oracle';

const ERRNOS = new Set(Object.values(ERRNO).map((v) => -v));

/** Progress of a long campaign on stderr, at most one line per `everyMs`: done/total, rate, ETA, a note. */
export class Progress {
  private readonly t0 = Date.now();
  private last = this.t0;
  constructor(private readonly what: string, private readonly total: number, private readonly everyMs = 2000, private readonly out: (s: string) => void = (s) => process.stderr.write(s)) {}

  tick(done: number, note: () => string): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    const secs = (now - this.t0) / 1000;
    const rate = done / secs;
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    this.out(`${this.what}: ${done}/${this.total} (${((100 * done) / this.total).toFixed(1)}%), ${Math.round(rate)}/s, ${secs.toFixed(0)} s, ETA ${eta.toFixed(0)} s; ${note()}\n`);
  }

  done(): void {
    if (this.last !== this.t0) this.out(`${this.what}: done in ${((Date.now() - this.t0) / 1000).toFixed(1)} s\n`);
  }
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

export interface FuzzOutcome {
  ok: boolean;
  accepted: boolean;
  /** the known flaw hit first (B-16, B-17, EXT-LEN-SIGN) */
  flaw?: string;
  why?: string;
  /** the payload that hit an unexplained result, for a new vector */
  payload?: Uint8Array;
}

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
    const v = judgeResolution(m, off, map.addr, map.length);
    if (v.inside) continue;
    if (!v.flaw) return { ok: false, accepted: true, why: v.why, payload };
    flaw = flaw ?? v.flaw;
  }
  w.mnt.umount();
  dmesg_take();
  return { ok: slab.liveCount() === 0, accepted: true, flaw, why: slab.liveCount() ? 'leak after umount' : undefined };
}

/**
 * Corrupt a famfs image whose files hold known bytes (sim/image/fuzz_oracle.ts):
 * nothing may escape as an exception, and a clean check means every file reads
 * back through the simulated kernel as the bytes that were written.
 */
export function fuzzImage(seed: number): { ok: boolean; why?: string; clean: boolean } {
  return fuzzImageContents(seed);
}

/** The two base payloads fuzzing mutates (a simple and an interleaved fmap); the bench's C reference parses the same. */
export const FUZZ_BASES = [
  encodeFmap({ file_size: '0x500000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x1000000', se_len: '0x200000' }] }),
  encodeFmap({ ext_type: 'interleave', file_size: '0xc00000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x800000', strips: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x800000', se_len: '0x400000' }] }, { ie_chunk_size: '0x200000', ie_nbytes: '0x400000', strips: [{ se_offset: '0x2000000', se_len: '0x200000' }, { se_offset: '0x3000000', se_len: '0x200000' }] }] }),
];
