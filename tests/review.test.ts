// review: one report over a series; rebuild: famfs.c from the series' hunks.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { famfsAfterSeries, review, Review } from '../checks/review';
import { applyHunk, RebuildError } from '../checks/rebuild';
import { readMail } from '../checks/mail';
import { builtinVectorFiles, loadVectorFile } from '../checks/vectors';
import { totals, exitCode, toKtap } from '../checks/report';
import { parseKtap } from './ktap_parser';

const fxp = (...p: string[]) => path.resolve(__dirname, 'fixtures', ...p);
const fx = (...p: string[]) => fs.readFileSync(fxp(...p));
const vectors = builtinVectorFiles().flatMap((f) => loadVectorFile(f).map((vector) => ({ vector, file: f })));
const run = (file: string, extra: Partial<Parameters<typeof review>[0]> = {}): Review => review({ file, mail: fs.readFileSync(file), vectors, ...extra });
const bySuite = (r: Review, suite: string) => r.results.filter((x) => x.vector.fn === suite).map((x) => [x.vector.id, x.status]);

describe('review', () => {
  test('our example series: every check passes and only the touched functions\' vectors run', () => {
    const r = run(fxp('example-series', 'v2.mbox'));
    expect(bySuite(r, 'series')).toEqual([['patch_1_of_3', 'pass'], ['patch_2_of_3', 'pass'], ['patch_3_of_3', 'pass'], ['completeness', 'pass']]);
    expect(bySuite(r, 'abi')).toEqual([['struct_fuse_famfs_simple_ext', 'pass']]);
    expect(bySuite(r, 'portmap')).toEqual([['famfs_c', 'skip']]);
    expect(bySuite(r, 'cdiff')).toEqual([['build', 'skip']]); // no famfs.c without --base-c (tests/review_cdiff.test.ts gives one)
    expect(r.vectorFunctions).toEqual(['famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs']);
    const conf = r.results.filter((x) => r.vectorFunctions.includes(x.vector.fn));
    expect(conf.length).toBe(vectors.filter((v) => r.vectorFunctions.includes(v.vector.fn)).length);
    expect(exitCode(totals(r.results))).toBe(0);
  });

  test('an incomplete series fails completeness, or is a SKIP with --partial', () => {
    const r = run(fxp('mail', 'incomplete.mbox'));
    const c = r.results.find((x) => x.vector.id === 'completeness')!;
    expect([c.status, c.why]).toEqual(['fail', 'patches 2,4 of 10 present; missing 1,3,5-10']);
    expect(c.details).toEqual(['skipped mail: [PATCH v3 00/10] famfs_fuse: example series for famfs-harness review (cover letter)', 'skipped mail: Re: [PATCH v3 02/10] famfs_fuse: document the simple extent (reply quoting a diff)']);
    expect(exitCode(totals(r.results))).toBe(1);
    const p = run(fxp('mail', 'incomplete.mbox'), { partial: true });
    expect(p.results.find((x) => x.vector.id === 'completeness')!.status).toBe('skip');
    expect(exitCode(totals(p.results))).toBe(0);
  });

  test('a series that creates famfs.c: rebuilt from both patches, its drift reported', () => {
    const r = run(fxp('mail', 'creates_famfs.mbox'), { portedC: fx('famfs_synthetic.c').toString('utf8') });
    expect(r.famfsC!.applied).toEqual(['[PATCH v3 1/2] famfs_fuse: add the stub famfs.c', '[PATCH v3 2/2] famfs_fuse: replace famfs_file_bad with a helper']);
    expect(r.famfsC!.text).toBe(fx('mail', 'famfs_drift.c').toString('utf8'));
    expect(bySuite(r, 'portmap')).toEqual([
      ['no_ts_twin_famfs_new_helper', 'fail'], ['c_function_gone_famfs_file_bad', 'fail'], ['port_needs_review_famfs_verify_daxdev', 'fail'],
    ]);
    expect(bySuite(r, 'abi')).toEqual([['uapi_definitions', 'skip']]);
  });

  test('a planted uapi drift fails its ABI case; kernel-internal hunks are not ABI', () => {
    const planted = fx('example-series', 'v2.mbox').toString('utf8').replace('-\tuint32_t reserved;\n+\tuint32_t reserved;\t/* zero; the kernel ignores it */', '-\tuint32_t reserved;\n+\tuint64_t reserved;\t/* zero; the kernel ignores it */');
    const r = review({ file: 'planted.mbox', mail: planted, vectors });
    const abi = r.results.filter((x) => x.vector.fn === 'abi');
    expect(abi.map((x) => [x.vector.id, x.status])).toEqual([['struct_fuse_famfs_simple_ext', 'fail']]);
    expect(abi[0].details).toContain('field_resized: struct fuse_famfs_simple_ext.reserved: model u32 (4 bytes), found u64 (8 bytes) [include/uapi/linux/fuse.h @@ -1343,8 +1343,9 @@]');
    expect(r.abi.ignored).toEqual(['fs/fuse/famfs.c', 'fs/fuse/famfs_kfmap.h']);
  });

  test('the KTAP of a review is what our KTAP reader accepts, findings with their repro', () => {
    const r = run(fxp('mail', 'incomplete.mbox'));
    const ktap = toKtap(r.results);
    const parsed = parseKtap(ktap);
    expect(parsed.errors).toEqual([]);
    expect(parsed.tests.map((t) => t.name)).toEqual(['series', 'abi', 'portmap', 'famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs', 'cdiff']);
    expect(ktap).toContain(`# repro: famfs-harness review ${fxp('mail', 'incomplete.mbox')}\n  not ok 3 completeness`);
  });
});

describe('famfs.c after the series', () => {
  test('a hunk applies at its line or at the one place it matches; else it is reported', () => {
    const hunks = readMail('--- a/f\n+++ b/f\n@@ -3,2 +3,2 @@\n c\n-d\n+D\n').patches[0].files[0].hunks;
    const say = () => 'f: the hunk';
    expect(applyHunk(['a', 'b', 'c', 'd', 'e'], hunks[0], say)).toEqual(['a', 'b', 'c', 'D', 'e']);
    expect(applyHunk(['x', 'a', 'b', 'c', 'd', 'e'], hunks[0], say)).toEqual(['x', 'a', 'b', 'c', 'D', 'e']);
    expect(() => applyHunk(['a', 'b'], hunks[0], say)).toThrow(new RebuildError('f: the hunk does not apply'));
    expect(() => applyHunk(['c', 'd', 'x', 'c', 'd'], { ...hunks[0], oldStart: 9 }, say)).toThrow('f: the hunk does not apply (matches 2 places)');
  });

  test('created by the series, or a base famfs.c with the series applied; neither is null', () => {
    const read = readMail(fx('mail', 'creates_famfs.mbox'));
    const drift = fx('mail', 'famfs_drift.c').toString('utf8');
    expect(famfsAfterSeries(read.patches)!.text).toBe(drift);
    const second = read.patches.slice(1);
    expect(famfsAfterSeries(second)).toBeNull();
    expect(famfsAfterSeries(second, fx('famfs_synthetic.c').toString('utf8'))).toEqual({ text: drift, applied: ['[PATCH v3 2/2] famfs_fuse: replace famfs_file_bad with a helper'], problems: [], base: true });
    const bad = famfsAfterSeries(second, 'int x;\n')!;
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]).toMatch(/^fs\/fuse\/famfs\.c: hunk @@ -\d+,\d+ \+\d+,\d+ @@ of "\[PATCH v3 2\/2\] famfs_fuse: replace famfs_file_bad with a helper" does not apply$/);
  });
});

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

(built ? describe : describe.skip)('review and conformance --series through the CLI', () => {
  test('review formats, exit codes and bad input', () => {
    const ex = fxp('example-series', 'v2.mbox');
    const pretty = cli('review', ex);
    expect(pretty.status).toBe(0);
    expect(pretty.stdout).toMatch(/completeness: patches 1-3 of 3 present; complete/);
    expect(pretty.stdout.trim().split('\n').pop()).toMatch(/^\d+ passed, 0 failed, 2 skipped$/);
    const json = cli('review', ex, '--format', 'json');
    expect(JSON.parse(json.stdout).series.completeness.complete).toBe(true);
    expect(cli('review', ex, '--format', 'junit').stdout).toMatch(/^<\?xml/);
    expect(cli('review', fxp('mail', 'incomplete.mbox')).status).toBe(1);
    expect(cli('review', fxp('mail', 'incomplete.mbox'), '--partial').status).toBe(0);
    expect(cli('review', fxp('mail', 'creates_famfs.mbox')).status).toBe(1);
    for (const bad of [['review', '/dev/null'], ['review', fxp('mail', 'fuse_header_nofamfs.h')], ['review', '/no/such/file']]) {
      const r = cli(...bad);
      expect({ bad, status: r.status, lines: r.stderr.trim().split('\n').length }).toEqual({ bad, status: 2, lines: 1 });
    }
  });

  test('conformance --series runs only the touched functions\' vectors', () => {
    const r = cli('conformance', '--series', fxp('example-series', 'v2.mbox'), '--format', 'ktap');
    expect(r.status).toBe(0);
    const suites = [...r.stdout.matchAll(/^ {2}# Subtest: (\S+)$/gm)].map((m) => m[1]);
    expect(new Set(suites)).toEqual(new Set(['famfs_fuse_meta_alloc', 'famfs_interleave_fileofs_to_daxofs']));
    expect(cli('conformance', '--series', fxp('mail', 'kfmap_only.patch')).status).toBe(2);
  });
});
