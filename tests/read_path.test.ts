// The read path's allocation-free forms against the plain ones they replace:
// the u64 <-> number conversions and the size_t memo (kernel/lib/types.ts),
// dax_iomap_rw (kernel/lib/dax_iomap.ts, one iomap kept between calls, bytes
// left counted in a number) against the all-bigint loop it was, and the VFS's
// kept kiocb/iov_iter pair under nesting and oopses.
import fc from 'fast-check';
import { number_to_u64, size_t, u64_to_number } from '../kernel/lib/types';
import { dax_iomap_rw } from '../kernel/lib/dax_iomap';
import { dax_device, dax_direct_access } from '../kernel/lib/dax';
import { iomap, iomap_ops, iomap_zero, IOMAP_MAPPED, IOMAP_HOLE } from '../kernel/lib/iomap';
import { file, iov_iter, iov_iter_new, kiocb, READ, WRITE } from '../kernel/lib/fs';
import { EIO } from '../kernel/lib/errno';
import { dmesg_take } from '../kernel/lib/printk';
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
});

interface FakeInode { i_size: bigint }

/** dax_iomap_rw as it was before the allocation-free form: every position and length a bigint. */
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
  const flags = 0x100 | (write ? 1 : 0);
  let done = 0;
  let ret = 0;
  const map = iomap_zero();
  while (length > 0n) {
    ret = ops.iomap_begin(inode, pos, length, flags, map, null);
    if (ret < 0) break;
    if (map.length === 0n) { ret = -EIO; break; }
    const len = map.length < length ? map.length : length;
    if (map.type !== IOMAP_MAPPED || !map.dax_dev) { ret = -EIO; break; }
    const dev_pos = map.addr + (pos - map.offset);
    const avail = dax_direct_access(map.dax_dev, dev_pos, len);
    if (typeof avail === 'number') { ret = avail; break; }
    const n = Number(avail);
    const user = iter.buf.subarray(iter.off, iter.off + n);
    if (write) map.dax_dev.store.write(Number(dev_pos), user);
    else map.dax_dev.store.read(Number(dev_pos), user);
    iter.off += n;
    iter.count -= n;
    if (n === 0) break;
    done += n;
    pos += BigInt(n);
    length -= BigInt(n);
  }
  iocb.ki_pos += BigInt(done);
  return done > 0 ? done : ret;
}

const DEV_SIZE = 1 << 16;
const DEV_BYTES = Uint8Array.from({ length: DEV_SIZE }, (_, i) => i * 7);

/** One scripted mapping per iomap_begin call: a length, where it starts, a device offset, or an error / a hole. */
interface Step { kind: 'map' | 'hole' | 'err' | 'zero'; len: number; back: number; addr: number }

function scriptedOps(dev: dax_device, steps: Step[], calls: string[]): iomap_ops<FakeInode> {
  let k = 0;
  return {
    iomap_begin(_ino, offset, length, flags, map: iomap) {
      calls.push(`${offset}/${length}/${flags}/${map.addr}/${map.length}/${map.type}`); // the state it is handed, too
      const s = steps[k++ % steps.length];
      if (s.kind === 'err') return -EIO;
      map.offset = offset - BigInt(Math.min(s.back, Number(offset)));
      map.addr = BigInt(s.addr);
      map.length = s.kind === 'zero' ? 0n : BigInt(s.len);
      map.type = s.kind === 'hole' ? IOMAP_HOLE : IOMAP_MAPPED;
      map.dax_dev = dev;
      map.flags = flags;
      return 0;
    },
  };
}

describe('dax_iomap_rw equals the all-bigint loop', () => {
  const step = fc.record({
    kind: fc.constantFrom<Step['kind']>('map', 'map', 'map', 'map', 'hole', 'err', 'zero'),
    len: fc.integer({ min: 1, max: 9000 }),
    back: fc.constantFrom(0, 0, 1, 100, 5000),
    addr: fc.integer({ min: 0, max: DEV_SIZE + 100 }),
  });
  const pos = fc.oneof(fc.bigInt(0n, 20000n), fc.bigInt(-3n, 3n).map((k) => (1n << 53n) + k), fc.constant((1n << 63n) - 1n));
  it('same result, ki_pos, iov_iter, bytes and iomap_begin calls', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), pos, fc.bigInt(0n, 30000n), fc.integer({ min: 0, max: 12000 }), fc.boolean(), (steps, ki_pos, i_size, count, write) => {
      const run = (rw: typeof dax_iomap_rw_bigint) => {
        const store = new MemoryStore(BigInt(DEV_SIZE));
        store.write(0, DEV_BYTES);
        const dev = new dax_device(1, 'dax0.0', store);
        const calls: string[] = [];
        const filp = { f_inode: { i_size }, f_mode: 0, fh: 0n } as file<FakeInode>;
        const iocb = { ki_filp: filp, ki_pos };
        const buf = Uint8Array.from({ length: count }, (_, i) => 255 - (i & 255));
        const iter = iov_iter_new(write ? WRITE : READ, buf);
        const rc = rw(iocb, iter, scriptedOps(dev, steps, calls));
        const dev_bytes = new Uint8Array(DEV_SIZE);
        store.read(0, dev_bytes);
        return { rc, ki_pos: iocb.ki_pos, off: iter.off, count: iter.count, buf: Buffer.from(buf).toString('hex'), dev: Buffer.from(dev_bytes).toString('hex'), calls };
      };
      const a = run(dax_iomap_rw);
      dmesg_take();
      const b = run(dax_iomap_rw_bigint);
      expect(a).toEqual(b);
    }), { numRuns: 1500 });
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
    const a = new Uint8Array(10);
    store.read(M - 5, a);
    expect([...a]).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 0, 0]);
    const b = new Uint8Array(2 * M + 8);
    store.read(2 * M - 4, b);
    expect([...b.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(b.subarray(4, M + 4).every((x) => x === 0)).toBe(true);
    expect(b.subarray(M + 4, 2 * M + 4).every((x) => x === 9)).toBe(true);
    expect([...b.subarray(2 * M + 4)]).toEqual([0, 0, 0, 0]);
    const whole = new Uint8Array(M);
    store.read(3 * M, whole);
    expect(whole.every((x) => x === 9)).toBe(true);
  });
});
