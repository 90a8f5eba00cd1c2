// The CLI contract, through the built binary (make test builds first).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseKtap } from './ktap_parser';

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-cli-'));
const write = (name: string, content: string | object) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

const d = built ? describe : describe.skip;

d('famfs-harness CLI', () => {
  test('fmap encode -> decode round trip', () => {
    const spec = write('s.json', { ext_type: 'interleave', file_size: '0xc00000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0xc00000', strips: [{ se_offset: '0x40000000', se_len: '0x600000' }, { se_offset: '0x80000000', se_len: '0x600000' }] }] });
    const bin = path.join(tmp, 'p.bin');
    expect(run('fmap', 'encode', spec, '-o', bin).status).toBe(0);
    expect(fs.statSync(bin).size).toBe(32 + 24 + 48);
    const r = run('fmap', 'decode', bin, '--json');
    expect(r.status).toBe(0);
    const o = JSON.parse(r.stdout.trim());
    expect(o).toMatchObject({ ok: true, meta: { extent_type: 'interleaved', file_size: String(0xc00000), nextents: 1 } });
  });

  // kernel-spec §3.4 outcome table rows, through the CLI
  const rows: [string, object | string, string][] = [
    ['empty', '', 'EINVAL'],
    ['nextents0', { file_size: '0x200000', nextents: 0, extents: [{ se_offset: 0, se_len: '0x200000' }] }, 'ERANGE'],
    ['nextents33', { file_size: '0x200000', nextents: 33, extents: [{ se_offset: 0, se_len: '0x200000' }] }, 'ERANGE'],
    ['missing', { file_size: '0x200000', nextents: 2, extents: [{ se_offset: 0, se_len: '0x200000' }] }, 'EINVAL'],
    ['exttype2', { file_size: '0x200000', ext_type: 2, extents: [{ se_offset: 0, se_len: '0x200000' }] }, 'EINVAL'],
    ['off4k', { file_size: '0x200000', extents: [{ se_offset: '0x1000', se_len: '0x200000' }] }, 'EINVAL'],
    ['len3m', { file_size: '0x200000', extents: [{ se_offset: 0, se_len: '0x300000' }] }, 'EINVAL'],
    ['dev1', { file_size: '0x200000', extents: [{ se_devindex: 1, se_offset: 0, se_len: '0x200000' }] }, 'EINVAL'],
    ['short', { file_size: '0x600000', extents: [{ se_offset: 0, se_len: '0x400000' }] }, 'EINVAL'],
    ['chunk1m', { file_size: '0x400000', iexts: [{ ie_chunk_size: '0x100000', ie_nbytes: '0x400000', strips: [{ se_offset: 0, se_len: '0x200000' }, { se_offset: '0x200000', se_len: '0x200000' }] }] }, 'EINVAL'],
    ['nbytes0', { file_size: '0x400000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: 0, strips: [{ se_offset: 0, se_len: '0x200000' }] }] }, 'EINVAL'],
    ['nstrips0', { file_size: '0x400000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x400000', strips: [] }] }, 'EINVAL'],
    ['stripshort', { file_size: '0x600000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x600000', strips: [{ se_offset: 0, se_len: '0x200000' }, { se_offset: '0x200000', se_len: '0x200000' }] }] }, 'EINVAL'],
  ];
  test.each(rows)('§3.4 row %s gives -%s... through fmap decode', (name, spec, errno) => {
    let file: string;
    if (typeof spec === 'string') file = write(`${name}.bin`, spec);
    else {
      file = path.join(tmp, `${name}.bin`);
      expect(run('fmap', 'encode', write(`${name}.json`, spec), '-o', file).status).toBe(0);
    }
    const r = run('fmap', 'decode', file, '--json');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ ok: false, errno });
  });

  test('fmap resolve json shape', () => {
    const spec = write('r.json', { file_size: '0x500000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x1000000', se_len: '0x200000' }] });
    const r = run('fmap', 'resolve', spec, '--offset', '0x300000', '--length', '0x300000', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, offset: String(0x300000), daxdev: 0, addr: String(0x500000), length: String(0x100000), hit: 'extent 0, 0x300000 into it' });
  });

  test('bad input: one line on stderr, exit 2, no stack trace', () => {
    for (const args of [['fmap', 'decode', '/no/such/file'], ['fmap', 'encode', write('bad.json', '{nope')], ['fmap', 'encode', write('bad2.json', { extents: [] })], ['nosuchcommand'], ['fmap', 'resolve', write('x.json', { file_size: 1, extents: [] }), '--offset', 'banana'], ['sim', 'run', write('sc.json', { world: {}, steps: [{ op: 'frobnicate' }] })]]) {
      const r = run(...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('conformance KTAP is valid and passes', () => {
    const r = run('conformance', '--format', 'ktap');
    expect(r.status).toBe(0);
    const doc = parseKtap(r.stdout);
    expect(doc.errors).toEqual([]);
    expect(doc.tests.length).toBeGreaterThan(5);
    expect(doc.tests.every((t) => t.ok)).toBe(true);
    const xfails = doc.tests.flatMap((t) => t.subtests).filter((s) => s.directive === 'XFAIL');
    expect(xfails.length).toBeGreaterThan(5);
    expect(r.stdout).toMatch(/^# Totals: pass:\d+ fail:0 xfail:\d+ xpass:0 skip:0 error:0$/m);
  });

  test('conformance JUnit and user vectors with errors pinpointed', () => {
    const j = run('conformance', '--format', 'junit', '--filter', 'b1*');
    expect(j.status).toBe(0);
    expect(j.stdout).toMatch(/<testsuites name="famfs-harness" tests="\d+" failures="0"/);
    const bad = write('bad_vectors.json', [{ id: 'x_1', fn: 'famfs_fuse_meta_alloc', input: { hex: '' }, source: 'me' }]);
    const r = run('conformance', '--vectors', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('case x_1: expect');
    const wrong = write('wrong.json', [{ id: 'wrong_expectation', fn: 'famfs_fuse_meta_alloc', input: { hex: '' }, expect: { errno: 'ERANGE' }, source: 'me' }]);
    const k = run('conformance', '--vectors', wrong, '--format', 'ktap');
    expect(k.status).toBe(1);
    expect(k.stdout).toMatch(/# repro: famfs-harness conformance --vectors .*wrong.json --filter wrong_expectation\n\s+not ok 1 wrong_expectation/);
  });

  test('abi --check: v9 clean, drift caught', () => {
    const fx = (n: string) => path.resolve(__dirname, 'fixtures', n);
    expect(run('abi', '--check', fx('v9_uapi.patch')).status).toBe(0);
    const moved = run('abi', '--check', fx('drift_moved_field.patch'), '--json');
    expect(moved.status).toBe(1);
    expect(moved.stdout).toContain('"kind":"field_moved"');
    expect(moved.stdout).toContain('"kind":"field_added"');
    expect(moved.stdout).toContain('FUSE_GET_DAXDEV');
    const added = run('abi', '--check', fx('drift_new_struct.patch'), '--json');
    expect(added.status).toBe(1);
    expect(added.stdout).toContain('"kind":"struct_new"');
  });

  test('series: patches, the famfs.c functions each hunk touches, what to re-check', () => {
    const mbox = path.resolve(__dirname, 'fixtures', 'series_next.mbox');
    const r = run('series', mbox, '--json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].subject).toBe('[PATCH V11 04/10] famfs_fuse: check chunk_size is not zero and reject nbytes beyond the strips');
    expect(lines[0].hunks.map((h: { functions: string[] }) => h.functions)).toEqual([['famfs_fuse_meta_alloc'], ['famfs_interleave_fileofs_to_daxofs']]);
    expect(lines[1].files).toEqual(['include/uapi/linux/fuse.h']);
    expect(lines[2].recheck.map((x: { c_function: string; ts: string }) => x.c_function)).toEqual(['famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs']);
    expect(lines[2].recheck[0].ts).toMatch(/^kernel\/famfs\.ts:\d+$/);
    const abi = run('abi', '--check', mbox, '--json');
    expect(abi.status).toBe(1);
    expect(abi.stdout).toContain('"what":"FAMFS_FMAP_VERSION"');
    expect(run('series', write('empty.mbox', 'hello\n')).status).toBe(2);
  });

  test('image: mkfs, mkdir, creat, cp, ls, stat, fmap, fsck, cat round trip; errors', () => {
    const img = path.join(tmp, 'fs.img');
    expect(run('image', 'mkfs', img, '--size', '4G').status).toBe(0);
    expect(run('image', 'mkfs', img).status).toBe(1); // a valid superblock exists
    expect(run('image', 'mkdir', img, 'a/b', '-p').status).toBe(0);
    const src = write('src.bin', 'x'.repeat(3_000_001));
    expect(run('image', 'cp', img, src, 'a/b/copy', '-N', '4', '-B', '4', '-C', '2M').status).toBe(0);
    expect(run('image', 'creat', img, 'a/c', '--size', '5M', '--seed', '9').status).toBe(0);
    const cat = spawnSync(process.execPath, [BIN, 'image', 'cat', img, 'a/b/copy'], { maxBuffer: 64 << 20 });
    expect(cat.status).toBe(0);
    expect(cat.stdout.toString()).toBe('x'.repeat(3_000_001));
    const ls = run('image', 'ls', img, '--json').stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(ls.map((e: { path: string }) => e.path)).toEqual(['a', 'a/b', 'a/b/copy', 'a/c']);
    const st = JSON.parse(run('image', 'stat', img, 'a/b/copy', '--json').stdout);
    expect(st).toMatchObject({ kind: 'file', ext_type: 'interleaved', nstrips: '4', size: '3000001' });
    const fm = JSON.parse(run('image', 'fmap', img, 'a/b/copy', '--json').stdout);
    expect(fm.kernel).toMatchObject({ ok: true, meta: { extent_type: 'interleaved', file_size: '3000001' } });
    const ck = run('image', 'fsck', img, '--json');
    expect(ck.status).toBe(0);
    expect(JSON.parse(ck.stdout)).toMatchObject({ ok: true, files: 2, directories: 2, collisions: 0 });
    // corrupt the superblock crc range: fsck says so, exit 1
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, new Uint8Array([0xff]), 0, 1, 60);
    fs.closeSync(fd);
    const bad = run('image', 'fsck', img, '--json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).superblock).toMatch(/^image: ts_crc: /);
    expect(run('image', 'cat', img, 'a/c').status).toBe(1);
    for (const args of [['image', 'ls', '/no/such.img'], ['image', 'creat', img, 'x', '--size', 'lots'], ['image', 'mkfs', path.join(tmp, 'y.img'), '--loglen', '3M', '--size', 'nope']]) {
      const r = run(...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  test('portmap covers every famfs.c function', () => {
    const r = run('portmap', '--json');
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(30);
    expect(rows.filter((x) => !x.ts)).toEqual([]);
    const withC = run('portmap', '--json', '--c-source', path.resolve(__dirname, 'fixtures', 'famfs_synthetic.c'));
    expect(withC.stdout.trim().split('\n').map((l) => JSON.parse(l).c_lines).filter((x) => !x)).toEqual([]);
  });

  test('--dax file:IMG backs the devices with an image file (mmap through the addon when built)', () => {
    const img = path.join(tmp, 'dax.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 1 << 30);
    const sc = path.resolve(__dirname, '..', 'Documentation', 'scenarios', 'poison.json');
    const r = run('sim', 'run', sc, '--dax', `file:${img}`);
    expect(r.status).toBe(0);
    // data/b's first chunk (strip 0 at 0x1000000) got bytes through the whole path
    const fd = fs.openSync(img, 'r');
    const b = new Uint8Array(4096);
    fs.readSync(fd, b, 0, 4096, 0x1000000 + 0x1ff000);
    fs.closeSync(fd);
    expect(b.some((x) => x !== 0)).toBe(true);
    for (const bad of ['file:/no/such/img', 'tape:0', 'file:']) {
      const e = run('sim', 'run', sc, '--dax', bad);
      expect(e.status).toBe(2);
      expect(e.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  test('sim run prints the messages', () => {
    const sc = path.resolve(__dirname, '..', 'Documentation', 'scenarios', 'poison.json');
    const r = run('sim', 'run', sc, '--trace');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/-> GET_FMAP/);
    expect(r.stdout).toMatch(/<- GET_DAXDEV .*name="\/dev\/dax0.0"/);
    expect(r.stdout).toContain('scenario passed');
  });
});
