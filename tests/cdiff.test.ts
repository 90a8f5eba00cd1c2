// cdiff on the project's own kernel-style fixtures (never the kernel's famfs.c):
// build, driver, agreement, SKIP for missing functions, fail-nth, oops,
// sanitizer findings, planted bugs, unmodelled APIs, the shims' kernel semantics.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCdiff, selectCases, CdiffReport } from '../checks/cdiff';
import { buildDriver, CdiffBuildError, CSources } from '../checks/cdiff_build';
import { parseKtap } from './ktap_parser';
import { diagnostics } from '../checks/report';

const FIX = path.resolve(__dirname, 'fixtures', 'cdiff');
const fixture = fs.readFileSync(path.join(FIX, 'famfs.c'), 'utf8');
const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-cdiff-test-'));
const gcc = spawnSync('gcc', ['--version']).status === 0;
const d = gcc ? describe : describe.skip;
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const allCases = selectCases(undefined, undefined);
const run = (famfs_c: string, filter?: string, failNth?: number | 'all'): CdiffReport =>
  runCdiff({ sources: { famfs_c }, sourceArgs: '--c-source fixture.c', cases: filter ? selectCases(undefined, filter) : allCases, failNth });

/** The fixture with one planted change (the text must occur exactly once). */
function plant(from: string, to: string): string {
  expect(fixture.split(from).length).toBe(2);
  return fixture.replace(from, to);
}

const byId = (rep: CdiffReport, id: string) => rep.results.find((r) => r.vector.id === id);
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const write = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};

d('cdiff on the fixture famfs.c', () => {
  let rep: CdiffReport;
  beforeAll(() => { rep = run(fixture); });

  test('every vector both sides can run agrees, and that is at least 150', () => {
    expect(rep.ran).toBeGreaterThanOrEqual(150);
    expect(rep.agreed).toBe(rep.ran);
    expect(rep.results.filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'xpass')).toEqual([]);
  });

  test('parse, resolve and open-path vectors all run on the C side', () => {
    for (const id of ['empty_payload_rejected', 'simple_pos0_8k', 'ilv4_pos24m_eio', 'open_valid_simple', 'open_simple_missing_extent']) {
      const r = byId(rep, id);
      expect(r?.status).toMatch(/^(pass|xfail)$/);
      expect(r?.details?.some((l) => l.startsWith('c: {'))).toBe(true);
    }
  });

  test('chunk_size 0 is a divide-error oops on both sides, kept XFAIL (B-16), not a crash of the tool', () => {
    const r = byId(rep, 'b16_chunk_zero_divides');
    expect(r?.status).toBe('xfail');
    expect(r?.details?.find((l) => l.startsWith('c: '))).toContain('"resolve":"oops:divide_error"');
    expect(r?.details?.find((l) => l.startsWith('ts: '))).toContain('"resolve":"oops:divide_error"');
  });

  test('sanitizer findings are listed beside the results, not judged', () => {
    expect(rep.findings.some((f) => /^famfs\.c:\d+: UBSan: left shift of 1 by 31 places/.test(f))).toBe(true);
  });

  test('scenario vectors (read/write/fault paths) are SKIP with the reason', () => {
    const skips = rep.results.filter((r) => r.status === 'skip');
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.every((r) => (r.why ?? '').length > 10)).toBe(true);
  });
});

d('cdiff revisions and planted bugs', () => {
  test('an older revision without the resolvers builds, runs, and SKIPs what it lacks', () => {
    const start = fixture.indexOf('/* ---- resolvers');
    const end = fixture.indexOf('/* ---- end of resolvers ---- */');
    const old = fixture.slice(0, start) + fixture.slice(end);
    const rep = run(old);
    const r = byId(rep, 'simple_pos0_8k');
    expect(r?.status).toBe('skip');
    expect(r?.why).toContain('defines no famfs_fuse_iomap_begin');
    expect(byId(rep, 'empty_payload_rejected')?.status).toBe('pass');
    expect(byId(rep, 'open_valid_simple')?.status).toBe('pass');
    expect(rep.agreed).toBe(rep.ran);
  });

  test('a swapped errno is caught (ERANGE -> EINVAL on nextents)', () => {
    const rep = run(plant('\t\treturn -ERANGE;', '\t\treturn -EINVAL;'), '*nextents*');
    const bad = rep.results.filter((r) => r.status === 'fail');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0].why).toMatch(/port and C disagree on (result|open) \(ts "ERANGE", c "EINVAL"\)/);
    // one reproducer per row, the cdiff command (not a conformance one)
    expect(diagnostics(bad[0]).filter((l) => l.startsWith('repro: '))).toEqual([expect.stringMatching(/^repro: famfs-harness cdiff --c-source fixture\.c /)]);
    expect(rep.disagreements[0]).toMatchObject({ keys: [expect.stringMatching(/^(result|open)$/)], ts: expect.anything(), c: expect.anything() });
  });

  test('an off-by-one in the simple resolver is caught', () => {
    const rep = run(plant('\t\tif (pos < ext_len) {', '\t\tif (pos <= ext_len) {'), 'famfs_fileofs_to_daxofs');
    expect(rep.results.filter((r) => r.status === 'fail').length).toBeGreaterThan(0);
    expect(rep.ran - rep.agreed).toBeGreaterThan(0);
  });

  test('a call to an API no shim models stops the build with one line naming it and its line', () => {
    const src = plant('\tmeta->file_type = hdr->file_type;', '\tmeta->file_type = hdr->file_type + ilog2(1);');
    const line = src.split('\n').findIndex((l) => l.includes('ilog2(1)')) + 1;
    expect(() => buildDriver({ famfs_c: src })).toThrow(new CdiffBuildError(`famfs.c:${line}: calls ilog2(): no shim models it (see Documentation/cdiff.md)`));
  });

  test('a call with another signature than the shim models stops the build with one line', () => {
    const src = plant('\t\tslot->devp = dax_dev_get(slot->devno);', '\t\tslot->devp = dax_dev_get(fc, slot->devno);');
    expect(() => buildDriver({ famfs_c: src })).toThrow(/^famfs\.c:\d+: calls dax_dev_get\(\) with too many arguments: its shim models another signature \(see Documentation\/cdiff\.md\)$/);
  });

  test('a fuse_conn member the shim lacks stops the build with one line', () => {
    const src = plant('\tfc->dax_devlist = NULL;', '\tfc->dax_devlist = NULL;\n\tfc->famfs_flags = 0;');
    expect(() => buildDriver({ famfs_c: src })).toThrow(/^famfs\.c:\d+: uses struct fuse_conn\.famfs_flags: the fuse_i\/kernel shim lacks that member \(see Documentation\/cdiff\.md\)$/);
  });
});

d('cdiff allocation-failure sweep', () => {
  test('--fail-nth all: each allocation failed on both sides the same way, nothing leaked', () => {
    const rep = run(fixture, 'enomem_*', 'all');
    const swept = rep.results.filter((r) => r.vector.id.includes('__fail_nth_'));
    expect(swept.length).toBeGreaterThan(5);
    expect(swept.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(swept.some((r) => r.details?.some((l) => l.includes('"result":"ENOMEM"')))).toBe(true);
  });

  test('--fail-nth N on open vectors', () => {
    const rep = run(fixture, 'open_valid_*', 2);
    expect(rep.results.length).toBeGreaterThan(0);
    expect(rep.results.filter((r) => r.status === 'fail')).toEqual([]);
    // the injected failure took effect on both sides: the open fails with ENOMEM in the port and in the C
    const failed = (side: string) => rep.results.filter((r) => r.details?.some((l) => l.startsWith(`${side}: `) && l.includes('"open":"ENOMEM"')));
    expect(failed('ts').length).toBeGreaterThan(0);
    expect(failed('c').map((r) => r.vector.id)).toEqual(failed('ts').map((r) => r.vector.id));
  });
});

d('cdiff shims keep the kernel semantics famfs relies on', () => {
  const probe = fs.readFileSync(path.join(FIX, 'shim_probe.c'), 'utf8');
  const drive = (src: CSources, payload: string) => {
    const b = buildDriver(src, path.join(tmp, `probe-${payload}`));
    const r = spawnSync(b.exe, [], { input: `C 0 parse 4096 2097152 0\nF ${payload}\nE\n`, encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    return JSON.parse(r.stdout.trim()) as { stages: { stage: string; dmesg?: string[]; oops?: string }[] };
  };

  test('slab, cleanup, guards, bit helpers, cmpxchg, WARN_ON', () => {
    const rec = drive({ famfs_c: probe }, '00');
    const lines = rec.stages.flatMap((s) => s.dmesg ?? []).filter((l) => l.includes('probe '));
    expect(lines.length).toBe(20);
    expect(lines.filter((l) => !l.endsWith(' ok'))).toEqual([]);
  });

  test('a double free is the named oops, and the case still yields a record', () => {
    const rec = drive({ famfs_c: probe }, '01');
    expect(rec.stages.find((s) => s.stage === 'oops')?.oops).toBe('double_free');
  });
});

(gcc && built ? describe : describe.skip)('cdiff CLI', () => {
  test('exit 0 and a KTAP report the kernel parser reads', () => {
    const src = write('famfs.c', fixture);
    const r = cli('cdiff', '--c-source', src, '--filter', 'simple_*', '--format', 'ktap');
    expect(r.status).toBe(0);
    const k = parseKtap(r.stdout);
    expect(k.errors).toEqual([]);
    expect(k.tests.length).toBeGreaterThan(0);
    expect(k.tests.every((t) => t.ok)).toBe(true);
    expect(r.stdout).toMatch(/# cdiff: \d+ vectors ran on both sides, \d+ agree, 0 disagree/);
  });

  test('a planted bug exits 1; an unmodelled API exits 2 with one line on stderr', () => {
    const bug = write('bug.c', plant('\t\treturn -ERANGE;', '\t\treturn -EINVAL;'));
    expect(cli('cdiff', '--c-source', bug, '--filter', '*nextents*', '--format', 'json').status).toBe(1);
    const api = write('api.c', plant('\tmeta->file_type = hdr->file_type;', '\tmeta->file_type = hdr->file_type + ilog2(1);'));
    const r = cli('cdiff', '--c-source', api);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/famfs\.c:\d+: calls ilog2\(\): no shim models it/);
  });

  test('usage errors exit 2 with one line', () => {
    expect(cli('cdiff').status).toBe(2);
    const r = cli('cdiff', '--c-source', path.join(tmp, 'missing.c'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli('cdiff', '--c-source', write('f.c', fixture), '--fail-nth', 'x').status).toBe(2);
  });
});
