// The mmap addon on files, tmpfs and (when present) real devdax.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { loadAddon, mapRegion, deviceInfo, DaxError } from '../addon/index';
import { MmapStore } from '../sim/mmap_store';
import { createWorld } from '../sim/world';

const native = loadAddon();
const d = native ? describe : describe.skip;
const shm = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

function scratch(dir: string, size: number): string {
  const p = path.join(dir, `famfs-addon-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
  return p;
}

d('famfs_mmap addon', () => {
  test.each([['tmpfs', shm], ['regular file', os.tmpdir()]])('%s: writes through the mapping are visible to read(2) and back', (_k, dir) => {
    const p = scratch(dir, 4 << 20);
    const m = mapRegion(p, 0n, 4n << 20n);
    const v = new Uint8Array(m.buffer);
    v.set([1, 2, 3, 4], 4096);
    m.msync();
    const fd = fs.openSync(p, 'r+');
    const back = new Uint8Array(4);
    fs.readSync(fd, back, 0, 4, 4096);
    expect([...back]).toEqual([1, 2, 3, 4]);
    fs.writeSync(fd, new Uint8Array([9, 9]), 0, 2, 100);
    fs.closeSync(fd);
    expect([v[100], v[101]]).toEqual([9, 9]);
    m.close();
    fs.unlinkSync(p);
  });

  test('close detaches: access after close is a JS error or empty view, never a crash', () => {
    const p = scratch(shm, 1 << 20);
    const m = mapRegion(p, 0n, 1n << 20n);
    const v = new Uint8Array(m.buffer);
    m.close();
    expect(v.length).toBe(0);
    expect(() => m.buffer).toThrow(/closed/);
    expect(() => m.msync()).toThrow(/closed/);
    m.close(); // idempotent
    fs.unlinkSync(p);
  });

  test('bad input gives errno-carrying errors', () => {
    expect(() => mapRegion('/no/such/file', 0n, 4096n)).toThrow(DaxError);
    const p = scratch(shm, 1 << 20);
    expect(() => mapRegion(p, 100n, 4096n)).toThrow(/multiples/);
    expect(() => mapRegion(p, 0n, 0n)).toThrow(/length/);
    expect(() => mapRegion(p, 0n, 2n << 20n)).toThrow(/beyond/);
    try { new native!.Mapping('/no/such', 0, 4096); } catch (e) { expect((e as { code: string }).code).toBe('ENOENT'); }
    expect(() => new native!.Mapping(p, 0, 4096, { sync: true })).toThrow(/EOPNOTSUPP|not supported/i);
    fs.unlinkSync(p);
  });

  test('an out-of-range touch kills only a child process (SIGBUS)', () => {
    const p = scratch(shm, 1 << 20);
    const code = `const a=require(${JSON.stringify(path.resolve(__dirname, '..', 'addon', 'build', 'Release', 'famfs_mmap.node'))});
      const fs=require('fs'); const m=new a.Mapping(${JSON.stringify(p)},0,2*1048576); fs.truncateSync(${JSON.stringify(p)},0); new Uint8Array(m.buffer)[4096]=1;`;
    const r = spawnSync(process.execPath, ['-e', code]);
    expect(r.signal).toBe('SIGBUS');
    fs.unlinkSync(p);
  });

  test('the simulated read path reads a file image through the addon', () => {
    const p = scratch(os.tmpdir(), 64 << 20);
    const fd = fs.openSync(p, 'r+');
    const pat = new Uint8Array(8192).fill(0x5a);
    fs.writeSync(fd, pat, 0, pat.length, 0x200000 + 0x1000);
    fs.closeSync(fd);
    const store = new MmapStore(p);
    expect(store.kind).toBe('mmap');
    const w = createWorld({ devices: [{ name: '/dev/dax0.0', store }], files: [{ path: 'f', fmap: { file_size: '0x400000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }] } }] });
    const f = w.mnt.open('/f');
    const buf = new Uint8Array(8192);
    expect(w.mnt.pread(f, buf, 0x1000n)).toBe(8192);
    expect(buf.every((b) => b === 0x5a)).toBe(true);
    store.close();
    fs.unlinkSync(p);
  });
});

const devdax = fs.existsSync('/dev') ? fs.readdirSync('/dev').filter((n) => /^dax\d+\.\d+$/.test(n)) : [];
(devdax.length && native ? test : test.skip)(`real devdax ${devdax[0] ?? '(none present: skipped)'}`, () => {
  const info = deviceInfo(`/dev/${devdax[0]}`);
  expect(info.devdax).toBe(true);
  expect(() => mapRegion(info.path, 4096n, info.align)).toThrow(/multiples/);
  const m = mapRegion(info.path, 0n, info.align);
  expect(m.length).toBe(Number(info.align));
  m.close();
});
