// The read path's allocation-free forms against the plain ones they replace:
// the u64 <-> number conversions and the size_t memo (kernel/lib/types.ts),
// dax_iomap_rw (kernel/lib/dax_iomap.ts, one iomap kept between calls, bytes
// left counted in a number) against the all-bigint loop it was, and the VFS's
// kept kiocb/iov_iter pair under nesting and oopses.
import fc from 'fast-check';
import { number_to_u64, size_t, u64_to_number } from '../kernel/lib/types';
import { dax_iomap_rw } from '../kernel/lib/dax_iomap';
import { dax_device } from '../kernel/lib/dax';
import { iomap, iomap_ops, iomap_zero, IOMAP_DAX, IOMAP_HOLE, IOMAP_MAPPED, IOMAP_WRITE } from '../kernel/lib/iomap';
import { file, iov_iter, iov_iter_new, kiocb, READ, WRITE } from '../kernel/lib/fs';
import { EFAULT, EIO, ENXIO } from '../kernel/lib/errno';
import { dmesg_take, WARN_ON } from '../kernel/lib/printk';
import { MemoryStore } from '../sim/stores';
import { createWorld } from '../sim/world';
import { takeOops } from '../sim/vfs';
import { KernelOops } from '../kernel/lib/oops';

describe('u64 <-> number conversions and size_t', () => {
  const u64s = fc.oneof(fc.bigInt(0n, (1n << 64n) - 1n), fc.bigInt(-4n, 4n).map((k) => (1n << 53n) + k), fc.bigInt(0n, 4n).map((k) => (1n << 64n) - 1n - k), fc.bigInt(0n, 1n << 20n));
  it('u64_to_number(x) is Number(x) on all of [0, 2^64)', () => {
    fc.assert(fc.property(u64s, (x) => u64_to_number(x) === Number(x)), { numRuns: 20000 });
    for (const x of [0n, 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 53n) + 3n, (1n << 64n) - 1n]) expect(u64_to_number(x)).toBe(Number(x));
  });
  it('number_to_u64(n) is BigInt(n) on [0, 2^53)', () => {
    fc.assert(fc.property(fc.maxSafeNat(), (n) => number_to_u64(n) === BigInt(n)), { numRuns: 20000 });
    expect(number_to_u64(2 ** 53 - 1)).toBe((1n << 53n) - 1n);
  });
  it('size_t(n) is BigInt(n) whatever came before (the one-entry memo)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 1 << 22 }), { maxLength: 50 }), (ns) => ns.every((n) => size_t(n) === BigInt(n))));
  });
  it('size_t of a non-integer throws as BigInt does, every time (nothing remembered)', () => {
    for (const bad of [1.5, Infinity, NaN]) {
      expect(size_t(7)).toBe(7n);
      expect(() => size_t(bad)).toThrow(RangeError);
      expect(() => size_t(bad)).toThrow(RangeError);
    }
    expect(size_t(-0)).toBe(0n);
    expect(size_t(-3)).toBe(-3n);
  });
});

interface FakeInode { i_size: bigint }

/*
 * dax_iomap_rw, its chunk copy and dax_direct_access as they were before the
 * allocation-free form (commit 9312466): every position and length a bigint,
 * a fresh iomap per call, ki_pos += done. One change since, on purpose: the
 * iomap length is read as the u64 it is in the C (a negative bigint from a
 * broken ->iomap_begin used to reach the copy as a negative byte count).
 */
function dax_direct_access_bigint(dev: dax_device, off: bigint, len: bigint): bigint | number {
  if (!dev.alive) return -ENXIO;
  if (off < 0n || off >= dev.size) return -EFAULT;
  const avail = dev.size - off < len ? dev.size - off : len;
  if (dev.poison.some(([s, e]) => off < e && off + avail > s)) return -EIO;
  return avail;
}

function dax_iomap_iter_copy_bigint(map: iomap, pos: bigint, len: bigint, iter: iov_iter, write: boolean): number {
  if (map.type !== IOMAP_MAPPED || !map.dax_dev) return -EIO;
  const dev_pos = map.addr + (pos - map.offset);
  const avail = dax_direct_access_bigint(map.dax_dev, dev_pos, len);
  if (typeof avail === 'number') return avail;
  const n = Number(avail);
  const buf = iter.buf;
  const user = iter.off === 0 && n === buf.length ? buf : buf.subarray(iter.off, iter.off + n);
  if (write) map.dax_dev.store.write(Number(dev_pos), user);
  else map.dax_dev.store.read(Number(dev_pos), user);
  iter.off += n;
  iter.count -= n;
  return n;
}

function dax_iomap_rw_bigint(iocb: kiocb<FakeInode>, iter: iov_iter, ops: iomap_ops<FakeInode>): number {
  const inode = iocb.ki_filp.f_inode;
  const write = iter.rw === WRITE;
  let pos = iocb.ki_pos;
  let length = BigInt(iter.count);
  if (!write) {
    const end = pos + length < inode.i_size ? pos + length : inode.i_size;
    if (pos >= end) return 0;
    length = end - pos;
  }
  const flags = IOMAP_DAX | (write ? IOMAP_WRITE : 0);
  let done = 0;
  let ret = 0;
  const map = iomap_zero();
  while (length > 0n) {
    ret = ops.iomap_begin(inode, pos, length, flags, map, null);
    if (ret < 0) break;
    const mlen = BigInt.asUintN(64, map.length);
    if (WARN_ON(mlen === 0n, 'iomap_iter: zero-length mapping')) { ret = -EIO; break; }
    const n = dax_iomap_iter_copy_bigint(map, pos, mlen < length ? mlen : length, iter, write);
    if (n < 0) { ret = n; break; }
    if (n === 0) break;
    done += n;
    const moved = BigInt(n);
    pos += moved;
    length -= moved;
  }
  iocb.ki_pos += BigInt(done);
  return done > 0 ? done : ret;
}

const DEV_SIZE = 1 << 16;
const DEV_BYTES = Uint8Array.from({ length: DEV_SIZE }, (_, i) => i * 7);

/** One scripted mapping per iomap_begin call: a length, where it starts, a device offset, or an error / a hole. */
interface Step { kind: 'map' | 'hole' | 'err' | 'zero'; len: bigint; back: number; addr: number }

/** Every field of the iomap ->iomap_begin is handed, and its arguments. */
const handed = (offset: bigint, length: bigint, flags: number, m: iomap): string =>
  [offset, length, flags, m.addr, m.offset, m.length, m.type, m.flags, m.dax_dev?.name ?? null].join('/');

function scriptedOps(dev: dax_device, steps: Step[], calls: string[]): iomap_ops<FakeInode> {
  let k = 0;
  return {
    iomap_begin(_ino, offset, length, flags, map: iomap) {
      calls.push(handed(offset, length, flags, map));
      const s = steps[k++ % steps.length];
      if (s.kind === 'err') return -EIO;
      map.offset = offset - BigInt(s.back);
      map.addr = BigInt(s.addr);
      map.length = s.kind === 'zero' ? 0n : s.len;
      map.type = s.kind === 'hole' ? IOMAP_HOLE : IOMAP_MAPPED;
      map.dax_dev = dev;
      map.flags = flags;
      return 0;
    },
  };
}

describe('dax_iomap_rw equals the all-bigint loop it replaced', () => {
  const step = fc.record({
    kind: fc.constantFrom<Step['kind']>('map', 'map', 'map', 'map', 'hole', 'err', 'zero'),
    // lengths as ->iomap_begin may set them: short, past the request, u64 near 2^64, and broken (negative)
    len: fc.oneof({ arbitrary: fc.bigInt(1n, 9000n), weight: 8 }, fc.bigInt(1n, 4n).map((k) => (1n << 64n) - k), fc.bigInt(-5n, -1n), fc.bigInt(0n, 9000n).map((k) => (1n << 64n) + k)),
    back: fc.constantFrom(0, 0, 1, 100, 5000),
    addr: fc.integer({ min: 0, max: DEV_SIZE + 100 }),
  });
  const pos = fc.oneof({ arbitrary: fc.bigInt(0n, 20000n), weight: 6 }, fc.bigInt(-3n, 3n).map((k) => (1n << 53n) + k), fc.constant((1n << 63n) - 1n), fc.bigInt(-9000n, -1n));
  const count = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 12000 }), weight: 8 }, fc.integer({ min: -3, max: -1 }));
  const device = fc.record({ alive: fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, fc.constant(false)), poison: fc.option(fc.tuple(fc.integer({ min: 0, max: DEV_SIZE }), fc.integer({ min: 1, max: 4096 })), { freq: 6 }) });
  it('same result, ki_pos, iov_iter, bytes, log lines and iomap_begin calls', () => {
    let warned = 0;
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), pos, fc.bigInt(0n, 30000n), count, fc.boolean(), device, (steps, ki_pos, i_size, n, write, d) => {
      const run = (rw: typeof dax_iomap_rw_bigint) => {
        const store = new MemoryStore(BigInt(DEV_SIZE));
        store.write(0, DEV_BYTES);
        const dev = new dax_device(1, 'dax0.0', store);
        dev.alive = d.alive;
        if (d.poison) dev.poison.push([BigInt(d.poison[0]), BigInt(d.poison[0] + d.poison[1])]);
        const calls: string[] = [];
        const filp = { f_inode: { i_size }, f_mode: 0, fh: 0n } as file<FakeInode>;
        const iocb = { ki_filp: filp, ki_pos };
        const buf = Uint8Array.from({ length: Math.max(n, 0) }, (_, i) => 255 - (i & 255));
        const iter = iov_iter_new(write ? WRITE : READ, buf);
        iter.count = n;
        const rc = rw(iocb, iter, scriptedOps(dev, steps, calls));
        const dev_bytes = new Uint8Array(DEV_SIZE);
        store.read(0, dev_bytes);
        const log = dmesg_take();
        return { rc, ki_pos: iocb.ki_pos, off: iter.off, count: iter.count, buf: Buffer.from(buf).toString('hex'), dev: Buffer.from(dev_bytes).toString('hex'), calls, log };
      };
      dmesg_take();
      const a = run(dax_iomap_rw);
      const b = run(dax_iomap_rw_bigint);
      if (b.log.length) warned++;
      expect(a).toEqual(b);
    }), { numRuns: 1500 });
    expect(warned).toBeGreaterThan(20); // the zero-length WARN_ON was reached, and its line compared
  });
  it('a nested call on the same iocb: the outer call adds its bytes to whatever ki_pos then is (ki_pos += done)', () => {
    const store = new MemoryStore(BigInt(DEV_SIZE));
    const dev = new dax_device(1, 'dax0.0', store);
    const filp = { f_inode: { i_size: 8192n }, f_mode: 0, fh: 0n } as file<FakeInode>;
    for (const rw of [dax_iomap_rw, dax_iomap_rw_bigint]) {
      const iocb = { ki_filp: filp, ki_pos: 1000n };
      let depth = 0;
      const ops: iomap_ops<FakeInode> = {
        iomap_begin(_ino, offset, _length, flags, map) {
          if (depth++ === 0) expect(rw(iocb, iov_iter_new(READ, new Uint8Array(100)), ops)).toBe(100);
          Object.assign(map, { offset, addr: offset, length: 4096n, type: IOMAP_MAPPED, dax_dev: dev, flags });
          return 0;
        },
      };
      expect(rw(iocb, iov_iter_new(READ, new Uint8Array(2000)), ops)).toBe(2000);
      expect(iocb.ki_pos).toBe(3100n);
    }
  });
  it('a nested call (iomap_begin that reads) gets its own iomap, and neither sees the other', () => {
    const store = new MemoryStore(BigInt(DEV_SIZE));
    store.write(0, Uint8Array.from({ length: 8192 }, (_, i) => i & 255));
    const dev = new dax_device(1, 'dax0.0', store);
    const filp = { f_inode: { i_size: 8192n }, f_mode: 0, fh: 0n } as file<FakeInode>;
    const inner = new Uint8Array(16);
    let depth = 0;
    const ops: iomap_ops<FakeInode> = {
      iomap_begin(_ino, offset, _length, flags, map) {
        if (offset === 100n || offset === 10n) expect([map.addr, map.length, map.dax_dev]).toEqual([0n, 0n, null]); // each call starts on a zeroed iomap
        if (depth++ === 0) expect(dax_iomap_rw({ ki_filp: filp, ki_pos: 100n }, iov_iter_new(READ, inner), ops)).toBe(16);
        Object.assign(map, { offset, addr: offset, length: 4096n, type: IOMAP_MAPPED, dax_dev: dev, flags });
        return 0;
      },
    };
    const outer = new Uint8Array(6000);
    const iocb = { ki_filp: filp, ki_pos: 10n };
    expect(dax_iomap_rw(iocb, iov_iter_new(READ, outer), ops)).toBe(6000);
    expect(iocb.ki_pos).toBe(6010n);
    expect([...inner]).toEqual(Array.from({ length: 16 }, (_, i) => (100 + i) & 255));
    expect([...outer.subarray(0, 4)]).toEqual([10, 11, 12, 13]);
    expect(outer[5999]).toBe((6009) & 255);
  });
});

describe('the VFS keeps one kiocb/iov_iter pair', () => {
  const M = 0x200000;
  const world = () => {
    const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x1000000' }], files: [{ path: 'a', fmap: { file_size: '0x200000', extents: [{ se_offset: '0x200000', se_len: '0x200000' }] } }, { path: 'b', fmap: { file_size: '0x200000', extents: [{ se_offset: '0x400000', se_len: '0x200000' }] } }] });
    const store = w.machine.device('/dev/dax0.0')!.store;
    store.write(M, new Uint8Array(M).fill(0xaa));
    store.write(2 * M, new Uint8Array(M).fill(0xbb));
    return { w, store };
  };
  it('a pread nested in a pread (a store that reads another file) leaves both right', () => {
    const { w, store } = world();
    const fa = w.mnt.open('/a');
    const fb = w.mnt.open('/b');
    const inner = new Uint8Array(64);
    const read = store.read.bind(store);
    let nested = 0;
    store.read = (off: number, dst: Uint8Array) => {
      if (!nested++) expect(w.mnt.pread(fb, inner, 8n)).toBe(64);
      read(off, dst);
    };
    const outer = new Uint8Array(4096);
    expect(w.mnt.pread(fa, outer, 4096n)).toBe(4096);
    expect(outer.every((b) => b === 0xaa)).toBe(true);
    expect(inner.every((b) => b === 0xbb)).toBe(true);
    store.read = read;
    expect(w.mnt.pread(fb, outer, 0n)).toBe(4096);
    expect(outer.every((b) => b === 0xbb)).toBe(true);
  });
  it('an oops or a thrown bug in the middle of a read does not break the next one', () => {
    const { w, store } = world();
    const fa = w.mnt.open('/a');
    const read = store.read.bind(store);
    const buf = new Uint8Array(512);
    store.read = () => { throw new KernelOops('null_deref', 'store fell over'); };
    expect(w.mnt.pread(fa, buf, 0n)).toBe(-EIO);
    expect(takeOops()?.message).toContain('store fell over');
    store.read = () => { throw new TypeError('a bug, not an oops'); };
    expect(() => w.mnt.pread(fa, buf, 0n)).toThrow('a bug, not an oops');
    dmesg_take();
    store.read = read;
    expect(w.mnt.pread(fa, buf, 512n)).toBe(512);
    expect(buf.every((b) => b === 0xaa)).toBe(true);
    expect(w.mnt.pwrite(fa, new Uint8Array(8).fill(1), 0n)).toBe(8);
    expect(w.mnt.pread(fa, buf, 0n)).toBe(512);
    expect([...buf.subarray(0, 9)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0xaa]);
  });
});

describe('MemoryStore.read (the copy every read ends in)', () => {
  it('reads across 2 MiB chunks, zeros where nothing was written', () => {
    const M = 2 * 1024 * 1024;
    const store = new MemoryStore(BigInt(8 * M));
    store.write(M - 3, Uint8Array.of(1, 2, 3, 4, 5, 6));
    store.write(3 * M, new Uint8Array(M).fill(9)); // chunk 2 stays unwritten
    const a = new Uint8Array(10).fill(0xee); // a dirty destination: unwritten bytes must come back 0
    store.read(M - 5, a);
    expect([...a]).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 0, 0]);
    const b = new Uint8Array(2 * M + 8).fill(0xee);
    store.read(2 * M - 4, b);
    expect([...b.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(b.subarray(4, M + 4).every((x) => x === 0)).toBe(true);
    expect(b.subarray(M + 4, 2 * M + 4).every((x) => x === 9)).toBe(true);
    expect([...b.subarray(2 * M + 4)]).toEqual([0, 0, 0, 0]);
    const whole = new Uint8Array(M);
    store.read(3 * M, whole);
    expect(whole.every((x) => x === 9)).toBe(true);
    // offsets near 2^53 (the largest a store offset can be exactly)
    const far = new MemoryStore(1n << 60n);
    const top = 2 ** 53 - 8;
    far.write(top - 4, Uint8Array.of(1, 2, 3, 4, 5, 6));
    const c = new Uint8Array(12).fill(0xee);
    far.read(top - 6, c);
    expect([...c]).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0]);
  });
});
