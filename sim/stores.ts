// Byte stores behind a dax device. The kernel port only sees the DaxStore
// interface; these are the simulated backings (memory, file via pread/pwrite).
// The mmap-backed store (real devdax or a file mapped through the addon) lives
// in sim/mmap_store.ts.
import * as fs from 'fs';
import type { DaxStore } from '../kernel/lib/dax';

/** A RAM-backed device. Pages are allocated on first write, so large sparse devices are cheap. */
export class MemoryStore implements DaxStore {
  readonly kind = 'memory';
  private static readonly CHUNK = 2 * 1024 * 1024;
  private chunks = new Map<number, Uint8Array>();
  constructor(public readonly size: bigint) {}

  private chunk(i: number, create: boolean): Uint8Array | undefined {
    let c = this.chunks.get(i);
    if (!c && create) {
      c = new Uint8Array(MemoryStore.CHUNK);
      this.chunks.set(i, c);
    }
    return c;
  }

  private each(off: number, len: number, fn: (c: number, coff: number, n: number, done: number) => void): void {
    let done = 0;
    while (done < len) {
      const pos = off + done;
      const c = Math.floor(pos / MemoryStore.CHUNK);
      const coff = pos % MemoryStore.CHUNK;
      const n = Math.min(len - done, MemoryStore.CHUNK - coff);
      fn(c, coff, n, done);
      done += n;
    }
  }

  /** A plain loop, no closure or view of dst: this is the copy every read through the path ends in. */
  read(off: number, dst: Uint8Array): void {
    const CHUNK = MemoryStore.CHUNK;
    const len = dst.length;
    let done = 0;
    while (done < len) {
      const pos = off + done;
      const coff = pos % CHUNK;
      const n = Math.min(len - done, CHUNK - coff);
      const c = this.chunks.get(Math.floor(pos / CHUNK));
      if (c) dst.set(n === CHUNK ? c : c.subarray(coff, coff + n), done);
      else dst.fill(0, done, done + n);
      done += n;
    }
  }

  write(off: number, src: Uint8Array): void {
    this.each(off, src.length, (ci, coff, n, done) => {
      (this.chunk(ci, true) as Uint8Array).set(src.subarray(done, done + n), coff);
    });
  }

  /** zero-copy when the range stays inside one chunk */
  view(off: number, len: number): Uint8Array | null {
    const ci = Math.floor(off / MemoryStore.CHUNK);
    const coff = off % MemoryStore.CHUNK;
    if (coff + len > MemoryStore.CHUNK) return null;
    return (this.chunk(ci, true) as Uint8Array).subarray(coff, coff + len);
  }
}

/** A device backed by a regular (usually sparse) file, accessed with pread/pwrite. */
export class FileStore implements DaxStore {
  readonly kind = 'file';
  private fd: number;
  readonly size: bigint;
  constructor(public readonly path: string, opts: { size?: bigint; create?: boolean; readonly?: boolean } = {}) {
    if (opts.create) {
      this.fd = fs.openSync(path, 'w+');
      fs.ftruncateSync(this.fd, Number(opts.size ?? 0n));
    } else {
      this.fd = fs.openSync(path, opts.readonly ? 'r' : 'r+');
    }
    this.size = BigInt(fs.fstatSync(this.fd).size);
  }

  read(off: number, dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const n = fs.readSync(this.fd, dst, done, dst.length - done, off + done);
      if (n <= 0) { dst.fill(0, done); return; }
      done += n;
    }
  }

  write(off: number, src: Uint8Array): void {
    let done = 0;
    while (done < src.length) done += fs.writeSync(this.fd, src, done, src.length - done, off + done);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
