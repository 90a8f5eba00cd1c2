// review's cdiff suite: the famfs.c after the series (our fixture with the
// example series' hunks, or a famfs.c the series creates) built and run beside
// the port; planted bugs in the series' hunks; no gcc is a SKIP, not a failure.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { review, Review, reviewPretty } from '../checks/review';
import { builtinVectorFiles, loadVectorFile } from '../checks/vectors';
import { diagnostics, exitCode, toKtap, totals } from '../checks/report';
import { parseKtap } from './ktap_parser';

const ROOT = path.resolve(__dirname, '..');
const fxp = (...p: string[]) => path.resolve(__dirname, 'fixtures', ...p);
const read = (p: string) => fs.readFileSync(p, 'utf8');
const EXAMPLE = fxp('example-series', 'v2.mbox');
const BASE_C = read(fxp('cdiff', 'famfs.c'));
const KFMAP = read(path.join(ROOT, 'cdiff', 'famfs_kfmap_model.h'));
const vectors = builtinVectorFiles().flatMap((f) => loadVectorFile(f).map((vector) => ({ vector, file: f })));
const gcc = spawnSync('gcc', ['--version']).status === 0;
const d = gcc ? describe : describe.skip;

const reviewOf = (mail: string, extra: Partial<Parameters<typeof review>[0]> = {}): Review =>
  review({ file: 'series.mbox', mail, vectors, baseC: BASE_C, baseKfmap: KFMAP, ...extra });
const cdiffRows = (r: Review) => r.results.filter((x) => x.vector.fn === 'cdiff');
const failing = (r: Review) => r.results.filter((x) => ['fail', 'xpass', 'error'].includes(x.status));

/** The example series with one line of its famfs.c hunk changed (the text must occur once). */
function planted(from: string, to: string): string {
  const text = read(EXAMPLE);
  expect(text.split(from).length).toBe(2);
  return text.replace(from, to);
}

d('review: cdiff of the famfs.c after the series', () => {
  test('the example series on our fixture famfs.c: every suite passes, port and C agree on every vector', () => {
    const r = reviewOf(read(EXAMPLE));
    expect(failing(r)).toEqual([]);
    expect(r.results.filter((x) => x.vector.fn === 'portmap').map((x) => [x.vector.id, x.status])).toEqual([['famfs_c_matches_port', 'pass']]);
    const build = cdiffRows(r)[0];
    expect([build.vector.id, build.status]).toEqual(['build', 'pass']);
    expect(build.details!.slice(0, 2)).toEqual(['famfs.c: --base-c with the hunks of 1 patch(es)', 'famfs_kfmap.h: --kfmap with the hunks of 1 patch(es)']);
    expect(r.cdiff.ran).toBeGreaterThanOrEqual(150);
    expect(r.cdiff.agreed).toBe(r.cdiff.ran);
    expect(cdiffRows(r).length).toBe(vectors.length + 1);
    expect(cdiffRows(r).filter((x) => x.status === 'xfail').length).toBeGreaterThan(0);
    expect(exitCode(totals(r.results))).toBe(0);
  });

  test('the series\' hunks are in the C that was built (its debug line reaches the C side\'s dmesg)', () => {
    const r = reviewOf(read(EXAMPLE));
    const zeroChunk = cdiffRows(r).find((x) => x.vector.id === 'famfs_interleave_fileofs_to_daxofs.b16_chunk_zero_divides')!;
    expect(zeroChunk.status).toBe('xfail');
    expect(zeroChunk.details).toContain('c dmesg: debug: famfs_fuse_meta_alloc: interleave 0: zero chunk size');
  });

  test('a swapped errno in the series\' famfs.c hunk: review fails, the disagreement shown with all three judges', () => {
    const mail = planted(' \t\t\tif (pos > fmap_buf_size)\n \t\t\t\treturn -EINVAL;\n+\t\t\tif (ie->ie_chunk_size == 0)',
      ' \t\t\tif (pos > fmap_buf_size)\n-\t\t\t\treturn -EINVAL;\n+\t\t\t\treturn -ERANGE;\n+\t\t\tif (ie->ie_chunk_size == 0)');
    const r = reviewOf(mail);
    expect(exitCode(totals(r.results))).toBe(1);
    const bad = failing(r);
    expect(bad.every((x) => x.vector.fn === 'cdiff')).toBe(true);
    const row = bad.find((x) => x.vector.id === 'famfs_fuse_meta_alloc.interleave_iext_header_truncated')!;
    expect(row.why).toBe('port and C disagree on result (ts "EINVAL", c "ERANGE")');
    expect(row.details!.filter((l) => /^(spec|ts|c): /.test(l)).map((l) => l.split(':')[0])).toEqual(['spec', 'ts', 'c']);
    expect(row.repro).toBe('famfs-harness review series.mbox');
    expect(r.cdiff.disagreements.map((x) => x.id)).toContain('interleave_iext_header_truncated');
    const pretty = reviewPretty(r, 'series.mbox', diagnostics);
    expect(pretty).toContain('FAIL  famfs_fuse_meta_alloc.interleave_iext_header_truncated');
    expect(pretty).toMatch(/\d+ vectors ran on both sides, \d+ agree, [1-9]\d* disagree/);
  });

  test('the series\' C calls an API no shim models: a failed build row with the one line, exit 1', () => {
    const r = reviewOf(planted('+\t\t\t\t\t __func__, k);', '+\t\t\t\t\t __func__, k + ilog2(1));'));
    expect(cdiffRows(r).map((x) => [x.vector.id, x.status, x.why])).toEqual([
      ['build', 'fail', 'famfs.c:266: calls ilog2(): no shim models it (see Documentation/cdiff.md)'],
    ]);
    expect(exitCode(totals(r.results))).toBe(1);
  });

  test('a series that creates famfs.c and famfs_kfmap.h: cdiff on the files rebuilt from its hunks', () => {
    const create = (p: string, text: string) => {
      const lines = text.replace(/\n$/, '').split('\n');
      return `diff --git a/${p} b/${p}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/${p}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}\n`;
    };
    const mail = `From: a@example.org\nSubject: [PATCH 1/1] famfs_fuse: add famfs.c\n\n---\n${create('fs/fuse/famfs_kfmap.h', KFMAP)}${create('fs/fuse/famfs.c', BASE_C)}`;
    const r = review({ file: 'creates.mbox', mail, vectors });
    const build = cdiffRows(r)[0];
    expect([build.status, build.details!.slice(0, 2)]).toEqual(['pass', ['famfs.c: rebuilt from 1 patch(es)', 'famfs_kfmap.h: rebuilt from 1 patch(es)']]);
    expect(r.cdiff.agreed).toBe(r.cdiff.ran);
    expect(failing(r)).toEqual([]);
  });

  test('KTAP: cdiff is one more suite our KTAP reader accepts', () => {
    const r = reviewOf(read(EXAMPLE));
    const parsed = parseKtap(toKtap(r.results));
    expect(parsed.errors).toEqual([]);
    expect(parsed.tests.map((t) => t.name)).toEqual(['series', 'abi', 'portmap', 'famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs', 'cdiff']);
  });
});

describe('review: when cdiff cannot run, its suite is a SKIP with the reason', () => {
  test('no famfs.c: the series neither creates it nor is given a --base-c', () => {
    const r = review({ file: 'x.mbox', mail: read(EXAMPLE), vectors });
    expect(cdiffRows(r).map((x) => [x.vector.id, x.status, x.why])).toEqual([
      ['build', 'skip', 'no famfs.c: the series does not create fs/fuse/famfs.c; give --base-c (the famfs.c it applies to)'],
    ]);
    expect(exitCode(totals(r.results))).toBe(0);
  });

  test('the series\' famfs.c hunks do not apply to --base-c: portmap fails, cdiff is a SKIP naming the hunk', () => {
    const r = reviewOf(read(EXAMPLE), { baseC: 'int x;\n' });
    const row = cdiffRows(r)[0];
    expect(row.status).toBe('skip');
    expect(row.why).toMatch(/^no famfs\.c: fs\/fuse\/famfs\.c: hunk @@ -261,6 \+261,9 @@ of "\[PATCH v2 2\/3\] .*" does not apply$/);
    expect(r.results.find((x) => x.vector.id === 'famfs_c_rebuild')!.status).toBe('fail');
  });

  test('no gcc on PATH: a SKIP, never a failure of the tool', () => {
    const saved = process.env.PATH;
    process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'no-gcc-'));
    try {
      const r = reviewOf(read(EXAMPLE));
      const rows = cdiffRows(r);
      expect(rows.map((x) => [x.vector.id, x.status])).toEqual([['build', 'skip']]);
      expect(rows[0].why).toMatch(/^cannot run gcc: .*ENOENT.* \(cdiff needs gcc\)$/);
      expect(exitCode(totals(r.results))).toBe(0);
    } finally {
      fs.rmSync(process.env.PATH, { recursive: true, force: true });
      process.env.PATH = saved;
    }
  });
});

const BIN = path.join(ROOT, 'bin', 'famfs-harness');
const built = fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
const EXAMPLE_ARGS = ['review', EXAMPLE, '--base-c', fxp('cdiff', 'famfs.c'), '--kfmap', path.join(ROOT, 'cdiff', 'famfs_kfmap_model.h')];

(built && gcc ? describe : describe.skip)('review with cdiff through the CLI (what make run shows)', () => {
  test('pretty: all five checks in one report, exit 0', () => {
    const r = cli(EXAMPLE_ARGS);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cdiff: the revision's C after the series against the port {2}\[\d+ passed, \d+ xfail, \d+ skipped\]$/m);
    expect(r.stdout).toMatch(/^ {2}(\d+) vectors ran on both sides, \1 agree, 0 disagree$/m);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
  });

  test('json: one document with the cdiff member', () => {
    const doc = JSON.parse(cli([...EXAMPLE_ARGS, '--format', 'json']).stdout);
    expect(doc.cdiff.ran).toBeGreaterThanOrEqual(150);
    expect(doc.cdiff.agreed).toBe(doc.cdiff.ran);
    expect(doc.results.filter((x: { suite: string }) => x.suite === 'cdiff').length).toBe(vectors.length + 1);
  });

  test('a PATH without gcc: the cdiff suite is a SKIP, exit 0; --kfmap unreadable is exit 2', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-gcc-'));
    try {
      const r = cli([...EXAMPLE_ARGS, '--format', 'ktap'], { PATH: empty });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^ {2}ok 1 build # SKIP cannot run gcc: .* \(cdiff needs gcc\)$/m);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    const bad = cli(['review', EXAMPLE, '--kfmap', '/no/such/file']);
    expect([bad.status, bad.stderr.trim().split('\n').length]).toEqual([2, 1]);
  });
});
