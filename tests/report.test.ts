// The reporters (KTAP, JUnit, JSON) checked by our own KTAP reader and JUnit
// structure check, the KTAP reader itself, case selection, shards and baselines.
import * as path from 'path';
import { parseKtap, isFailing, KtapTest } from './ktap_parser';
import { checkJunit10, parseXml, SUREFIRE_TIME } from './junit_check';
import { toKtap, toJunit, toJson, toJsonLines, fromJsonText, totals, exitCode, junitTime } from '../checks/report';
import { caseFilter, globToRegExp, inShard, parseShard, SelectError } from '../checks/select';
import { compareWithBaseline, isRegression, baselineLines } from '../checks/baseline';
import type { Status, Vector, VectorResult } from '../checks/vectors';
import { runConformance, selectForCli as selectVectors } from '../cli/commands/conformance';

const MIXED = path.resolve(__dirname, 'fixtures', 'report', 'mixed_vectors.json');

function result(id: string, fn: string, status: Status, extra: Partial<VectorResult> = {}): VectorResult {
  const vector: Vector = { id, fn, input: { hex: '' }, expect: { errno: 'EINVAL' }, source: 'report test', ...(status === 'xfail' || status === 'xpass' ? { kernel_flaw: `flaw of ${id}` } : {}) };
  return { vector, file: 'mixed.json', status, actual: { errno: 'EINVAL' }, dmesg: [], seconds: 0.0021, ...(status === 'pass' || status === 'xfail' ? {} : { why: `why ${id} # with a hash` }), ...extra };
}

const SIX: VectorResult[] = [
  result('a_pass', 'fn_one', 'pass'),
  result('a_fail', 'fn_one', 'fail', { payload: new Uint8Array([1, 2, 3]), dmesg: ['err: boom'] }),
  result('a_xfail', 'fn_one', 'xfail'),
  result('b_xpass', 'fn_two', 'xpass'),
  result('b_skip', 'fn_two', 'skip'),
  result('c_error', 'fn_three', 'error', { details: ['judge A: equal', 'judge B: <differs> & more'] }),
  result('d_skip', 'fn_four', 'skip'),
];

const flat = (tests: KtapTest[]) => tests.flatMap((t) => t.subtests);

describe('KTAP reader (Documentation/dev-tools/ktap.rst)', () => {
  test('nesting, plans, directives and diagnostics', () => {
    const doc = parseKtap([
      'KTAP version 1', '1..2',
      '  KTAP version 1', '  # Subtest: alpha', '  1..3',
      '  # about one', '  ok 1 one', '  not ok 2 two # SKIP not here', '  ok 3 three # XFAIL known',
      'ok 1 alpha',
      '  KTAP version 1', '  1..1',
      '    KTAP version 1', '    1..1', '    not ok 1 deep', '  not ok 1 middle',
      'some console noise',
      '# beta failed', 'not ok 2 beta',
      '# Totals: whatever',
    ].join('\n'));
    expect(doc.errors).toEqual([]);
    expect(doc.plan).toBe(2);
    expect(doc.tests.map((t) => [t.name, t.ok])).toEqual([['alpha', true], ['beta', false]]);
    expect(doc.tests[0].subtestName).toBe('alpha');
    expect(doc.tests[0].subtests.map((t) => [t.name, t.directive ?? null, t.data ?? null, isFailing(t)])).toEqual([
      ['one', null, null, false], ['two', 'SKIP', 'not here', false], ['three', 'XFAIL', 'known', false]]);
    expect(doc.tests[0].subtests[0].log).toEqual(['about one']);
    expect(doc.tests[1].subtests[0].subtests[0].name).toBe('deep');
    expect(doc.tests[1].log).toEqual(['beta failed']);
    expect(doc.trailer).toEqual(['Totals: whatever']);
  });

  test.each([
    [['1..1', 'ok 1 x'], /first line must be a version line/],
    [['KTAP version 1', '1..2', 'ok 1 x'], /plan 1\.\.2 but 1 result/],
    [['KTAP version 1', '1..2', 'ok 1 x', 'ok 3 y'], /test number 3, expected 2/],
    [['KTAP version 1', '1..1', '  KTAP version 1', '  1..1', '  not ok 1 c', 'ok 1 p'], /p: ok although a subtest fails/],
    [['KTAP version 1', '1..1', '  KTAP version 1', '  1..1', '  ok 1 c', 'not ok 1 p'], /p: not ok although no subtest fails/],
    [['KTAP version 1', '1..1', 'not ok 1 x # XFAIL reason'], /kselftest writes an expected failure as ok/],
    [['KTAP version 1', '1..1', 'ok 1 x # TIMEOUT 30 seconds'], /TIMEOUT on an ok line/],
    [['KTAP version 1', '1..1', ' ok 1 x'], /result line indented 1, expected 0/],
    [['KTAP version 1', '1..1', '  KTAP version 1', '  1..1', '  ok 1 c'], /has no result line of its own/],
    [['KTAP version 1', '1..1', '  KTAP version 1', '  # Subtest: p', '  1..1', '  ok 1 c', 'ok 1 q'], /# Subtest: p closed by result q/],
    [['KTAP version 1', 'ok 1 x'], /no top-level plan/],
  ])('rejects %j', (lines, why) => {
    expect(parseKtap((lines as string[]).join('\n')).errors.join('\n')).toMatch(why as RegExp);
  });

  test('an unknown directive falls back to the result word', () => {
    const t = parseKtap('KTAP version 1\n1..2\nnot ok 1 a # XPASS gone\nok 2 b # rcode=0\n').tests;
    expect(t.map((x) => [x.directive ?? null, x.data, isFailing(x)])).toEqual([[null, 'XPASS gone', true], [null, 'rcode=0', false]]);
  });
});

describe('KTAP report', () => {
  const text = toKtap(SIX);
  const doc = parseKtap(text);

  test('is valid KTAP, every line of it', () => {
    expect(doc.errors).toEqual([]);
    for (const l of text.trimEnd().split('\n')) expect(l).toMatch(/^\s*(KTAP version 1|1\.\.\d+|(ok|not ok) \d+ [^#]+( # .*)?|# .*)$/);
    expect(text).not.toMatch(/passed, \d+ failed/); // the closing line goes to stderr
  });

  test('kselftest forms: ok # XFAIL, not ok # XPASS, ok # SKIP reason, not ok # ERROR', () => {
    const rows = Object.fromEntries(flat(doc.tests).map((t) => [t.name, t]));
    expect(rows.a_pass).toMatchObject({ ok: true });
    expect(rows.a_pass.directive).toBeUndefined();
    expect(rows.a_fail).toMatchObject({ ok: false });
    expect(rows.a_xfail).toMatchObject({ ok: true, directive: 'XFAIL', data: 'flaw of a_xfail' });
    expect(rows.b_xpass).toMatchObject({ ok: false, data: 'XPASS flaw of b_xpass' });
    expect(rows.b_skip).toMatchObject({ ok: true, directive: 'SKIP', data: 'why b_skip no. with a hash' });
    expect(rows.c_error).toMatchObject({ ok: false, directive: 'ERROR' });
    expect(flat(doc.tests).filter(isFailing).map((t) => t.name)).toEqual(['a_fail', 'b_xpass', 'c_error']);
  });

  test('suites fail with a failing case; an all-skipped suite is SKIP', () => {
    expect(doc.tests.map((t) => [t.name, t.ok, t.directive ?? null])).toEqual([
      ['fn_one', false, null], ['fn_two', false, null], ['fn_three', false, null], ['fn_four', true, 'SKIP']]);
  });

  test('diagnostics come before the result line they explain', () => {
    const rows = Object.fromEntries(flat(doc.tests).map((t) => [t.name, t]));
    expect(rows.a_fail.log).toEqual(expect.arrayContaining(['why: why a_fail # with a hash', 'dmesg: err: boom', 'repro: famfs-harness conformance --vectors mixed.json --filter a_fail']));
    expect(rows.a_fail.log.some((l) => /^ {2}0000/.test(l) || /01 02 03/.test(l))).toBe(true);
    expect(rows.c_error.log).toEqual(expect.arrayContaining(['judge A: equal', 'judge B: <differs> & more']));
    expect(rows.a_pass.log).toEqual([]);
    expect(doc.trailer).toEqual(['Totals: pass:1 fail:1 xfail:1 xpass:1 skip:2 error:1']);
  });

  test('the built-in run: valid, nothing failing, the XFAIL rows visible as ok', () => {
    const results = runConformance(undefined, undefined);
    const d = parseKtap(toKtap(results));
    expect(d.errors).toEqual([]);
    expect(d.tests.every((t) => t.ok)).toBe(true);
    const xfail = flat(d.tests).filter((t) => t.directive === 'XFAIL');
    expect(xfail.length).toBe(totals(results).xfail);
    expect(xfail.length).toBeGreaterThan(5);
    expect(xfail.every((t) => t.ok && t.data)).toBe(true);
    expect(exitCode(totals(results))).toBe(0);
  });

  test('a run with planted failures: exit 1 and the reader agrees case by case', () => {
    const results = runConformance([MIXED], undefined);
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail', 'xpass', 'xfail', 'error']);
    const d = parseKtap(toKtap(results));
    expect(d.errors).toEqual([]);
    expect(flat(d.tests).map(isFailing)).toEqual([false, true, true, false, true]);
    expect(exitCode(totals(results))).toBe(1);
  });
});

describe('JUnit report (junit-10.xsd structure)', () => {
  test('conforms: time everywhere, no skipped on testsuites, failures keep message and details', () => {
    const xml = toJunit(SIX);
    expect(checkJunit10(xml)).toEqual([]);
    const root = parseXml(xml);
    expect(root.attrs).not.toHaveProperty('skipped');
    expect(root.attrs.time).toMatch(SUREFIRE_TIME);
    for (const suite of root.children) {
      expect(suite.attrs.time).toMatch(SUREFIRE_TIME);
      for (const c of suite.children) expect(c.attrs.time).toBe('0.002');
    }
    const cases = root.children.flatMap((s) => s.children);
    const byName = Object.fromEntries(cases.map((c) => [c.attrs.name, c]));
    expect(byName.a_fail.children[0]).toMatchObject({ name: 'failure', attrs: { type: 'fail', message: 'why a_fail # with a hash' } });
    expect(byName.a_fail.children[0].text).toContain('repro: famfs-harness conformance --vectors mixed.json --filter a_fail');
    expect(byName.a_fail.children[0].text).toContain('dmesg: err: boom');
    expect(byName.b_xpass.children[0]).toMatchObject({ name: 'failure', attrs: { type: 'xpass' } });
    expect(byName.c_error.children[0].text).toContain('judge B: <differs> & more');
    expect(byName.b_skip.children[0]).toMatchObject({ name: 'skipped', attrs: { message: 'why b_skip # with a hash' } });
    expect(byName.a_xfail.children[0].name).toBe('system-out');
    expect(root.attrs).toMatchObject({ tests: '7', failures: '2', errors: '1' });
  });

  test('the structural check catches what the schema forbids', () => {
    expect(checkJunit10('<testsuites skipped="0"><testsuite name="a" tests="0" failures="0" errors="0" time="1.5s"/></testsuites>')).toEqual([
      'testsuites: <testsuites> may not carry skipped', 'testsuites/testsuite[0](a): time "1.5s" is not SUREFIRE_TIME']);
    expect(checkJunit10('<testsuites><testsuite name="a" tests="1" failures="0"><testcase/></testsuite></testsuites>').join('\n')).toMatch(/lacks required errors[\s\S]*lacks required name/);
    expect(checkJunit10('<testsuites><testsuite name="a<b" tests="1" failures="0" errors="0"/></testsuites>')[0]).toMatch(/unescaped markup/);
    expect(junitTime(1234.56789)).toBe('1234.568');
    expect(junitTime(NaN)).toBe('0.000');
  });

  test('control characters in diagnostics stay well-formed XML', () => {
    const xml = toJunit([result('ctl', 'fn', 'fail', { why: 'bell \u0007 here' })]);
    expect(checkJunit10(xml)).toEqual([]);
    expect(xml).toContain('bell \\x07 here');
  });
});

describe('JSON reports', () => {
  test('--format json is one document; --format jsonl one object a line; both read back', () => {
    const doc = JSON.parse(toJson(SIX));
    expect(doc).toMatchObject({ report: 'famfs-harness conformance', totals: totals(SIX), shard: null });
    expect(doc.results.map((r: { id: string }) => r.id)).toEqual(SIX.map((r) => r.vector.id));
    const lines = toJsonLines(SIX).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(SIX.length + 1);
    expect(lines[SIX.length]).toEqual({ totals: totals(SIX) });
    for (const text of [toJson(SIX), toJsonLines(SIX)]) {
      const back = fromJsonText(text, 'x.json');
      expect(toKtap(back)).toBe(toKtap(SIX));
      expect(toJunit(back)).toBe(toJunit(SIX));
    }
    expect(() => fromJsonText('{"results":[{"id":"a","status":"maybe","vector":{"fn":"f"}}]}', 'bad.json')).toThrow(/status "maybe" unknown/);
    expect(() => fromJsonText('not json', 'bad.json')).toThrow(/bad.json: not a famfs-harness JSON report/);
  });
});

describe('selection', () => {
  const names = [
    { fn: 'famfs_fuse_meta_alloc', id: 'devindex_1' }, { fn: 'famfs_fuse_meta_alloc', id: 'devindex_32' },
    { fn: 'fuse_get_fmap', id: 'open_devindex_1' }, { fn: 'famfs_fileofs_to_daxofs', id: 'simple_pos0' },
  ];
  const pick = (...globs: string[]) => names.filter(caseFilter(globs)).map((n) => `${n.fn}.${n.id}`);
  test.each([
    [['devindex_?'], ['famfs_fuse_meta_alloc.devindex_1']],
    [['devindex_*'], ['famfs_fuse_meta_alloc.devindex_1', 'famfs_fuse_meta_alloc.devindex_32']],
    [['*devindex_1'], ['famfs_fuse_meta_alloc.devindex_1', 'fuse_get_fmap.open_devindex_1']],
    [['{fuse_get_fmap,famfs_fileofs_to_daxofs}'], ['fuse_get_fmap.open_devindex_1', 'famfs_fileofs_to_daxofs.simple_pos0']],
    [['famfs_fuse_meta_alloc.*_32'], ['famfs_fuse_meta_alloc.devindex_32']],
    [['*.open_*', 'simple_pos0'], ['fuse_get_fmap.open_devindex_1', 'famfs_fileofs_to_daxofs.simple_pos0']],
    [['{famfs_fuse_meta_alloc,fuse_get_fmap}.{devindex_1,open_devindex_1}'], ['famfs_fuse_meta_alloc.devindex_1', 'fuse_get_fmap.open_devindex_1']],
    [['devindex.1'], []],
  ])('--filter %j', (globs, want) => expect(pick(...(globs as string[]))).toEqual(want));

  test('globs quote regular-expression characters; bad globs are usage errors', () => {
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
    expect(globToRegExp('a+b').test('aab')).toBe(false);
    expect(() => globToRegExp('{a,b')).toThrow(SelectError);
    expect(() => caseFilter([''])).toThrow(/empty glob/);
  });

  test('shards: deterministic, no overlap, no gap, sizes within one', () => {
    const all = selectVectors(undefined, undefined).cases;
    for (const n of [1, 2, 3, 7, all.length + 3]) {
      const shardOf = (k: number) => (n < 10 ? selectVectors(undefined, undefined, { index: k + 1, count: n }).cases : all.filter((c) => inShard(c.index, { index: k + 1, count: n })));
      const parts = Array.from({ length: n }, (_, k) => shardOf(k).map((c) => c.index));
      expect(parts.flat().sort((a, b) => a - b)).toEqual(all.map((c) => c.index));
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(all.filter((c) => inShard(c.index, { index: 2, count: 3 })).map((c) => c.vector.id))
      .toEqual(selectVectors(undefined, undefined, { index: 2, count: 3 }).cases.map((c) => c.vector.id));
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '2', '1.5/3']) expect(() => parseShard(bad)).toThrow(SelectError);
  });
});

describe('baseline', () => {
  const o = (id: string, status: Status) => ({ fn: 'f', id, status });
  test('new failures, fixed, XFAIL->XPASS, still failing, gone', () => {
    const before = [o('a', 'pass'), o('b', 'fail'), o('c', 'xfail'), o('d', 'fail'), o('e', 'pass'), o('g', 'xfail')];
    const now = [o('a', 'fail'), o('b', 'pass'), o('c', 'xpass'), o('d', 'error'), o('n', 'fail'), o('g', 'xfail')];
    const d = compareWithBaseline(before, now);
    expect(d.newFailures.map((c) => c.key)).toEqual(['f.a', 'f.n']);
    expect(d.fixed.map((c) => c.key)).toEqual(['f.b']);
    expect(d.xfailToXpass.map((c) => c.key)).toEqual(['f.c']);
    expect(d.stillFailing.map((c) => c.key)).toEqual(['f.d']);
    expect(d.gone).toEqual(['f.e']);
    expect(isRegression(d)).toBe(true);
    expect(baselineLines(d, 'prev.json')[0]).toBe('baseline prev.json: 2 new failure(s), 1 fixed, 1 XFAIL->XPASS, 1 still failing, 1 gone');
    expect(isRegression(compareWithBaseline(before, [o('b', 'pass'), o('d', 'fail')]))).toBe(false);
  });
});
