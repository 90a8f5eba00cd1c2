// The fuzz oracle (issue 13 item 9): every resolution wholly inside one extent,
// or filed under the exact flaw it hits; `fmap resolve` warns; long campaigns
// report progress at a bounded rate.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { famfs_fuse_meta_alloc, __famfs_meta_free, meta_slot } from '../kernel/famfs';
import type { famfs_file_meta } from '../kernel/famfs_kfmap';
import { encodeFmap, FmapSpec } from '../uapi/fmap_codec';
import { judgeResolution } from '../sim/fmap_oracle';
import { fuzzPayload, Progress } from '../bench/fuzzlib';

function parsed(spec: FmapSpec): famfs_file_meta {
  const payload = encodeFmap(spec);
  const buf = new Uint8Array(4096);
  buf.set(payload);
  const slot: meta_slot = { value: null };
  expect(famfs_fuse_meta_alloc(buf, payload.length, slot)).toBe(0);
  return slot.value as famfs_file_meta;
}

const wrap: FmapSpec = { file_size: '0x200000', extents: [{ se_offset: '0x0', se_len: '0x8000000000000000' }, { se_offset: '0x200000', se_len: '0x200000' }] };
const b17: FmapSpec = {
  ext_type: 'interleave', file_size: '0x800000', iexts: [
    { ie_chunk_size: '0x200000', ie_nbytes: '0x1000000', strips: [{ se_offset: '0x40000000', se_len: '0x200000' }, { se_offset: '0x60000000', se_len: '0x200000' }] },
    { ie_chunk_size: '0x200000', ie_nbytes: '0x400000', strips: [{ se_offset: '0x80000000', se_len: '0x200000' }, { se_offset: '0xa0000000', se_len: '0x200000' }] }],
};
const plain: FmapSpec = { file_size: '0x500000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x1000000', se_len: '0x200000' }] };

describe('judgeResolution', () => {
  test('a resolution wholly inside an extent passes; one byte over does not', () => {
    const m = parsed(plain);
    expect(judgeResolution(m, 0x3ff000n, 0x5ff000n, 0x1000n)).toEqual({ inside: true });
    expect(judgeResolution(m, 0x3ff000n, 0x5ff000n, 0x1001n)).toMatchObject({ inside: false, flaw: null });
    expect(judgeResolution(m, 0n, 0x200000n, 0n)).toMatchObject({ inside: false }); // empty is not a resolution
    __famfs_meta_free(m);
  });

  test('the signed ext_len wrap has its own class, not B-17', () => {
    const m = parsed(wrap);
    const v = judgeResolution(m, 0n, 0x8000000000200000n, 0x8000000000200000n);
    expect(v).toMatchObject({ inside: false, flaw: 'EXT-LEN-SIGN' });
    __famfs_meta_free(m);
  });

  test('an interleave strip overrun is B-17 and says by how much', () => {
    const m = parsed(b17);
    const v = judgeResolution(m, 0x500000n, 0x40300000n, 0x1000n);
    expect(v).toMatchObject({ inside: false, flaw: 'B-17' });
    expect((v as { why: string }).why).toMatch(/0x101000 past the end of its strip/);
    __famfs_meta_free(m);
  });

  test('an outside result no known flaw explains is unclassified (the fuzzer reports it as a failure)', () => {
    const m = parsed(b17);
    expect(judgeResolution(m, 0n, 0x1234000n, 0x1000n)).toMatchObject({ inside: false, flaw: null, why: expect.stringMatching(/no known flaw/) });
    __famfs_meta_free(m);
  });
});

test('fuzzPayload files every outside result under its exact flaw (EXT-LEN-SIGN seen, no unexplained result)', () => {
  const base = encodeFmap(plain);
  const flaws: Record<string, number> = {};
  for (let seed = 1; seed <= 4000; seed++) {
    const o = fuzzPayload(base, seed);
    expect({ seed, ok: o.ok, why: o.ok ? null : o.why }).toEqual({ seed, ok: true, why: null });
    if (o.flaw) flaws[o.flaw] = (flaws[o.flaw] ?? 0) + 1;
  }
  expect(flaws['EXT-LEN-SIGN']).toBeGreaterThan(0);
  expect(flaws['B-17']).toBeUndefined(); // a simple fmap cannot hit the interleave flaw
});

test('Progress writes at most one line per interval, with the done count and rate', () => {
  const lines: string[] = [];
  const p = new Progress('fuzz', 1000, 40, (s) => lines.push(s));
  const t0 = Date.now();
  let i = 0;
  while (Date.now() - t0 < 130) p.tick(++i % 1000, () => 'note');
  p.done();
  const ticks = lines.filter((l) => /^fuzz: \d+\/1000 \(.*%\), \d+\/s, .*ETA.*; note\n$/.test(l));
  expect(ticks.length).toBeGreaterThanOrEqual(1);
  expect(ticks.length).toBeLessThanOrEqual(4); // ~130 ms / 40 ms, however many ticks were called
  expect(lines[lines.length - 1]).toMatch(/^fuzz: done in/);
});

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
(fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js')) ? describe : describe.skip)('fmap resolve warns when a result leaves every extent', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-oracle-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spec = (name: string, s: FmapSpec) => { const p = path.join(dir, name); fs.writeFileSync(p, JSON.stringify(s)); return p; };
  const resolve = (...args: string[]) => spawnSync(process.execPath, [BIN, 'fmap', 'resolve', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  test.each([
    ['the ext_len wrap', wrap, '0', /^warning: .*EXT-LEN-SIGN/, /addr 0x8000000000200000 length 0x8000000000200000/],
    ['a B-17 overrun', b17, '0x500000', /^warning: .*B-17/, /addr 0x40300000 length 0x1000/],
  ])('%s: one warning line on stderr, the result on stdout, exit 0', (_k, s, off, warn, out) => {
    const r = resolve(spec('s.json', s), '--offset', off);
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    expect(r.stdout).toMatch(out);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(warn);
  });

  test('a normal result: no warning; --json carries no "outside"', () => {
    const r = resolve(spec('p.json', plain), '--offset', '0x400000', '--json');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).not.toHaveProperty('outside');
    const w = resolve(spec('w.json', wrap), '--offset', '0', '--json');
    expect(JSON.parse(w.stdout).outside).toMatchObject({ flaw: 'EXT-LEN-SIGN' });
  });
});
