// The mmap addon on files, tmpfs and (when present) real devdax. Every case
// that could once end the process by a signal runs in a child process and is
// judged by its exit code, its stderr and the absence of a signal.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync, SpawnSyncReturns } from 'child_process';
import { loadAddon, mapRegion, deviceInfo, DaxError } from '../addon/index';
import { MmapStore } from '../sim/mmap_store';
import { createWorld } from '../sim/world';

const native = loadAddon();
const d = native ? describe : describe.skip;
const shm = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const ADDON = path.resolve(__dirname, '..', 'addon', 'build', 'Release', 'famfs_mmap.node');
const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const cliBuilt = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const scratchFiles: string[] = [];

function scratch(dir: string, size: number): string {
  const p = path.join(dir, `famfs-addon-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
  scratchFiles.push(p);
  return p;
}

afterAll(() => { for (const p of scratchFiles) fs.rmSync(p, { force: true }); });

/** Run `body` in a child node with `a` (the addon) and `fs` in scope. */
function child(body: string, args: string[] = []): SpawnSyncReturns<string> {
  const code = `const a = require(${JSON.stringify(ADDON)}); const fs = require('fs');\n${body}`;
  return spawnSync(process.execPath, [...args, '-e', code], { encoding: 'utf8', timeout: 60_000 });
}

/** The child ended normally with `status` (no signal), wrote nothing on stderr and printed `out` on stdout. */
function expectExit(r: SpawnSyncReturns<string>, status: number, out?: RegExp): void {
  expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status, stderr: '' });
  if (out) expect(r.stdout).toMatch(out);
}

/** `catchCode(expr)` in a child prints the error code that expr throws, or "no error". */
const catchCode = (expr: string) => `try { ${expr}; console.log('no error'); } catch (e) { console.log(e.code + ': ' + e.message); }`;

d('famfs_mmap addon', () => {
  test.each([['tmpfs', shm], ['regular file', os.tmpdir()]])('%s: writes through the mapping are visible to read(2) and back', (_k, dir) => {
    const p = scratch(dir, 4 << 20);
    const m = mapRegion(p, 0n, 4n << 20n);
    m.write(4096, new Uint8Array([1, 2, 3, 4]));
    m.msync();
    const fd = fs.openSync(p, 'r+');
    const back = new Uint8Array(4);
    fs.readSync(fd, back, 0, 4, 4096);
    expect([...back]).toEqual([1, 2, 3, 4]);
    fs.writeSync(fd, new Uint8Array([9, 9]), 0, 2, 100);
    fs.closeSync(fd);
    const two = new Uint8Array(2);
    m.read(100, two);
    expect([...two]).toEqual([9, 9]);
    m.close();
  });

  test('close is final and idempotent: later accesses are errors', () => {
    const p = scratch(shm, 1 << 20);
    const m = mapRegion(p, 0n, 1n << 20n);
    m.close();
    expect(m.closed).toBe(true);
    expect(m.length).toBe(0);
    expect(() => m.read(0, new Uint8Array(1))).toThrow(/closed/);
    expect(() => m.write(0, new Uint8Array(1))).toThrow(/closed/);
    expect(() => m.msync()).toThrow(/closed/);
    m.close();
  });

  test('bad input gives errno-carrying errors', () => {
    expect(() => mapRegion('/no/such/file', 0n, 4096n)).toThrow(DaxError);
    const p = scratch(shm, 1 << 20);
    expect(() => mapRegion(p, 100n, 4096n)).toThrow(/multiples/);
    expect(() => mapRegion(p, 0n, 0n)).toThrow(/length/);
    expect(() => mapRegion(p, 0n, 2n << 20n)).toThrow(/beyond/);
    const codeOf = (f: () => unknown) => { try { f(); return 'no error'; } catch (e) { return (e as { code: string }).code; } };
    expect(codeOf(() => new native!.Mapping('/no/such', 0, 4096))).toBe('ENOENT');
    expect(codeOf(() => new native!.Mapping(p, 0, 4096, { sync: true }))).toBe('EOPNOTSUPP');
    const m = mapRegion(p, 0n, 1n << 20n);
    expect(codeOf(() => m.read(1 << 20, new Uint8Array(1)))).toBe('ERANGE');
    expect(codeOf(() => m.write((1 << 20) - 1, new Uint8Array(2)))).toBe('ERANGE');
    expect(codeOf(() => m.read(-1, new Uint8Array(1)))).toBe('ERANGE');
    expect(codeOf(() => (m.read as (o: unknown, b: unknown) => void)(0, new Uint16Array(1)))).toBe('EINVAL');
    m.close();
  });

  test('a file over 4 GiB maps whole (no ArrayBuffer cap, no double free) and its last bytes round-trip', () => {
    const size = 5 * 1024 ** 3;
    const p = scratch(os.tmpdir(), size); // sparse
    const at = size - 4096 + 7;
    const r = child(`const m = new a.Mapping(${JSON.stringify(p)}, 0, ${size});
      m.write(${at}, Buffer.from('famfs'));
      const back = Buffer.alloc(5); m.read(${at}, back); m.msync(); m.close();
      const fd = fs.openSync(${JSON.stringify(p)}, 'r'); const f = Buffer.alloc(5); fs.readSync(fd, f, 0, 5, ${at});
      console.log(m.closed, back.toString(), f.toString());`);
    expectExit(r, 0, /^true famfs famfs$/m);
  });

  test('a mapping dropped without close is unmapped by the garbage collector, no crash', () => {
    const p = scratch(shm, 1 << 20);
    const r = child(`for (let i = 0; i < 200; i++) new a.Mapping(${JSON.stringify(p)}, 0, 1 << 20);
      gc(); setTimeout(() => { gc(); console.log('alive'); }, 10);`, ['--expose-gc']);
    expectExit(r, 0, /alive/);
  });

  test.each([
    ['an empty (0-byte) file', 0, 4096, /EINVAL: .*empty \(0 bytes\)/],
    ['a file shorter than the mapping', 100, 4096, /EINVAL: .*100 bytes, shorter than the mapping's end 4096/],
  ])('%s is refused with one error line', (_k, size, len, want) => {
    const p = scratch(shm, size);
    const r = child(catchCode(`new a.Mapping(${JSON.stringify(p)}, 0, ${len})`));
    expectExit(r, 0, want);
    expect(() => mapRegion(p, 0n, BigInt(len))).toThrow(size === 0 ? /empty/ : /beyond the size 100/);
  });

  test('a JS write to a read-only mapping is refused (EACCES), never SIGSEGV', () => {
    const p = scratch(shm, 1 << 20);
    const r = child(`const m = new a.Mapping(${JSON.stringify(p)}, 0, 1 << 20, { write: false });
      ${catchCode('m.write(0, new Uint8Array([1]))')}
      const b = new Uint8Array(1); m.read(0, b); console.log('read ok', m.writable, b[0]);`);
    expectExit(r, 0, /EACCES: .*read-only[\s\S]*read ok false 0/);
  });

  test('truncating the file under a live mapping makes accesses errors (EFAULT), never SIGBUS', () => {
    const p = scratch(shm, 2 << 20);
    const r = child(`const m = new a.Mapping(${JSON.stringify(p)}, 0, 2 << 20);
      fs.truncateSync(${JSON.stringify(p)}, 0);
      ${catchCode('m.read(4096, new Uint8Array(16))')}
      ${catchCode('m.write(1 << 20, new Uint8Array(16))')}
      fs.truncateSync(${JSON.stringify(p)}, 2 << 20);
      const b = new Uint8Array(16); m.read(4096, b); console.log('after regrow', b.every((x) => x === 0));`);
    expectExit(r, 0, /EFAULT: read: the file was truncated under the mapping \(now 0 bytes, the access ends at 4112\)\nEFAULT: write: .*\nafter regrow true/);
  });

  test('a truncation racing the copies (past the size check) is caught by the SIGBUS guard', () => {
    const p = scratch(shm, 8 << 20);
    const r = child(`const { spawn } = require('child_process');
      const flipper = spawn(process.execPath, ['-e', "const fs=require('fs'), p=process.argv[1]; for(;;){ fs.truncateSync(p, 0); fs.truncateSync(p, 8<<20); }", ${JSON.stringify(p)}]);
      const m = new a.Mapping(${JSON.stringify(p)}, 0, 8 << 20);
      const buf = new Uint8Array(8 << 20); const codes = {}; const t0 = Date.now();
      while (Date.now() - t0 < 1500) { try { m.write(0, buf); m.read(0, buf); codes.ok = (codes.ok || 0) + 1; } catch (e) { codes[e.code] = (codes[e.code] || 0) + 1; } }
      flipper.kill(); console.log(JSON.stringify(codes));`);
    expectExit(r, 0);
    const codes = JSON.parse(r.stdout.trim()) as Record<string, number>;
    expect(Object.keys(codes).every((k) => ['ok', 'EFAULT', 'EIO'].includes(k))).toBe(true);
    expect((codes.EFAULT ?? 0) + (codes.EIO ?? 0)).toBeGreaterThan(0);
  });

  // A hole written on a full tmpfs is a SIGBUS the size check cannot foresee:
  // the guard's deterministic case. Needs mount(2), so root only.
  const canMount = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v mount && command -v umount'], { encoding: 'utf8' }).status === 0;
  (canMount ? test : test.skip)('a bus error inside the copy (write to a full tmpfs) is an EIO error naming the offset', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-tiny-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) { fs.rmdirSync(dir); throw new Error(`mount -t tmpfs failed (${mounted.stderr.trim()}): the test cannot run, so it does not pass`); }
    try {
      const p = path.join(dir, 'f');
      fs.writeFileSync(p, '');
      fs.truncateSync(p, 1 << 20);
      const r = child(`const m = new a.Mapping(${JSON.stringify(p)}, 0, 1 << 20);
        ${catchCode('m.write(0, new Uint8Array(1 << 20).fill(7))')}`);
      expectExit(r, 0, /EIO: write: bus error at mapping offset \d+ \(.*full/);
      const off = Number(/offset (\d+)/.exec(r.stdout)![1]);
      expect(off).toBeGreaterThan(0);
      expect(off).toBeLessThan(1 << 20);
    } finally {
      spawnSync('umount', [dir]);
      fs.rmdirSync(dir);
    }
  });

  test('a SIGBUS that is not ours still ends the process by SIGBUS (the guard does not swallow it)', () => {
    const r = child(`new a.Mapping(${JSON.stringify(scratch(shm, 4096))}, 0, 4096); process.kill(process.pid, 'SIGBUS'); setTimeout(() => console.log('survived'), 200);`);
    expect(r.signal).toBe('SIGBUS');
    expect(r.stdout).not.toMatch(/survived/);
  });

  test('MmapStore turns a truncation into a DaxError naming the file', () => {
    const p = scratch(shm, 2 << 20);
    const store = new MmapStore(p);
    fs.truncateSync(p, 4096);
    expect(() => store.read(8192, new Uint8Array(4))).toThrow(DaxError);
    expect(() => store.write(8192, new Uint8Array(4))).toThrow(new RegExp(`${p}: write: the file was truncated`));
    store.read(0, new Uint8Array(4)); // still inside the file
    store.close();
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
  });
});

(native && cliBuilt ? describe : describe.skip)('dax selftest never dies by a signal', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

  test.each([
    ['a 0-byte file', 0, /the file is empty \(0 bytes\)/],
    ['a file shorter than a page', 100, /100 bytes, less than one page/],
  ])('%s: one line, exit 2', (_k, size, want) => {
    const r = cli('dax', 'selftest', scratch(shm, size));
    expect({ signal: r.signal, status: r.status }).toEqual({ signal: null, status: 2 });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(want);
  });

  test('image cp while the image file is truncated and regrown under it: an error line or success, never a signal', () => {
    const img = scratch(shm, 0);
    fs.rmSync(img);
    expect(cli('image', 'mkfs', img, '--size', '8G').status).toBe(0);
    const src = scratch(shm, 0);
    fs.writeFileSync(src, new Uint8Array(96 << 20).fill(0x78));
    const flipper = `const fs = require('fs'), p = process.argv[1]; const t0 = Date.now(); while (Date.now() - t0 < 20000) { fs.truncateSync(p, 4 << 20); fs.truncateSync(p, 8 * 1024 ** 3); }`;
    const outcomes = new Set<number>();
    // a race: rounds go on (bounded) until one copy has met the flipping size
    for (let k = 0; k < 8 && !outcomes.has(2); k++) {
      const r = spawnSync('sh', ['-c', `"$0" -e "$1" "$2" & F=$!; "$0" "$3" image cp "$2" "$4" f${k}; S=$?; kill $F; exit $S`, process.execPath, flipper, img, BIN, src], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
      expect({ signal: r.signal, internal: /internal error/.test(r.stderr) }).toEqual({ signal: null, internal: false });
      expect([0, 1, 2]).toContain(r.status); // 128+N would be a signal inside sh
      expect(r.stderr.trim().split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
      outcomes.add(r.status as number);
    }
    expect(outcomes.has(2)).toBe(true); // the flipping size was seen: truncated / bus error / beyond the size
  });

  test('a normal file: verified, exit 0', () => {
    const r = cli('dax', 'selftest', scratch(shm, 3 << 20), '--json');
    expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ bytes: String(3 << 20), verified: true });
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
