// conformance through the built binary: --list, repeatable --filter, one JSON
// document, pure KTAP on stdout, --baseline and --shard.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseKtap } from './ktap_parser';

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-conf-'));
const MIXED = path.resolve(__dirname, 'fixtures', 'report', 'mixed_vectors.json');
const d = built ? describe : describe.skip;

d('conformance selection', () => {
  test('--list: one SUITE.CASE a line, nothing run', () => {
    const r = run('conformance', '--list');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(200);
    for (const l of lines) expect(l).toMatch(/^[a-z_0-9]+\.[a-z0-9_]+$/);
    expect(lines).toContain('famfs_fuse_meta_alloc.extent_devindex_1_rejected');
    expect(r.stderr).toBe('');
  });

  test('--filter is repeatable and takes *, ?, {a,b} and SUITE.CASE', () => {
    const r = run('conformance', '--list', '--filter', 'b1?_*', '--filter', 'famfs_fuse_meta_alloc.{nextents_zero_erange,nextents_33_erange}');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'famfs_fuse_meta_alloc.nextents_zero_erange', 'famfs_fuse_meta_alloc.nextents_33_erange',
      'famfs_interleave_fileofs_to_daxofs.b1a_second_iext_9m_4k', 'famfs_interleave_fileofs_to_daxofs.b1a_second_iext_14m',
      'famfs_interleave_fileofs_to_daxofs.b1b_first_iext_6m', 'famfs_interleave_fileofs_to_daxofs.b17_strip_offset_past_strip',
      'famfs_interleave_fileofs_to_daxofs.b16_chunk_zero_divides']);
    const ran = run('conformance', '--filter', 'nextents_zero_erange', '--filter', 'nextents_33_erange', '--format', 'ktap');
    expect(ran.status).toBe(0);
    expect(ran.stdout.match(/^ {2}ok \d+ /gm)).toHaveLength(2);
    const none = run('conformance', '--filter', 'no_such_case_*');
    expect(none.status).toBe(2);
    expect(none.stderr).toBe('famfs-harness: no vector matches no_such_case_*\n');
    expect(run('conformance', '--filter', '{a,b').stderr).toBe('famfs-harness: filter {a,b: unbalanced {\n');
  });
});

d('conformance formats', () => {
  test('ktap: every stdout line is KTAP; the closing line is on stderr', () => {
    const r = run('conformance', '--format', 'ktap');
    expect(r.status).toBe(0);
    expect(parseKtap(r.stdout).errors).toEqual([]);
    const last = r.stdout.trimEnd().split('\n').pop();
    expect(last).toMatch(/^# Totals: pass:\d+ fail:0 xfail:\d+ xpass:0 skip:0 error:0$/);
    expect(r.stderr).toMatch(/^\d+ passed, 0 failed, 0 skipped\n$/);
  });

  test('json: one document python3 -m json.tool accepts; jsonl: one object a line', () => {
    const out = path.join(tmp, 'run.json');
    expect(run('conformance', '--format', 'json', '-o', out).status).toBe(0);
    const tool = spawnSync('python3', ['-m', 'json.tool', out], { encoding: 'utf8' });
    expect(tool.status).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(doc.totals.fail).toBe(0);
    expect(doc.results.length).toBe(doc.totals.pass + doc.totals.xfail);
    const jl = run('conformance', '--format', 'jsonl', '--filter', 'b1*');
    const lines = jl.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.pop()).toHaveProperty('totals');
    expect(lines.every((l) => typeof l.id === 'string' && typeof l.status === 'string')).toBe(true);
  });
});

d('conformance --baseline', () => {
  const mixedJson = () => {
    const f = path.join(tmp, 'mixed.json');
    expect(run('conformance', '--vectors', MIXED, '--format', 'json', '-o', f).status).toBe(1);
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  };
  const withStatuses = (doc: { results: { id: string; status: string }[] }, statuses: Record<string, string>, name: string) => {
    for (const r of doc.results) if (statuses[r.id]) r.status = statuses[r.id];
    const f = path.join(tmp, name);
    fs.writeFileSync(f, JSON.stringify(doc));
    return f;
  };

  test('same failures as before: no regression, exit 0', () => {
    const base = withStatuses(mixedJson(), {}, 'same.json');
    const r = run('conformance', '--vectors', MIXED, '--baseline', base);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`baseline ${base}: 0 new failure(s), 0 fixed, 0 XFAIL->XPASS, 3 still failing, 0 gone`);
  });

  test('new failure and XFAIL->XPASS: exit 1, named; a fixed case is reported', () => {
    const base = withStatuses(mixedJson(), { planted_fail_wrong_errno: 'pass', planted_xpass_flaw_gone: 'xfail', planted_xfail_known_flaw: 'fail' }, 'regressed.json');
    const r = run('conformance', '--vectors', MIXED, '--baseline', base, '--format', 'ktap');
    expect(r.status).toBe(1);
    expect(parseKtap(r.stdout).errors).toEqual([]);
    expect(r.stderr).toContain('new failure: famfs_fuse_meta_alloc.planted_fail_wrong_errno (pass -> fail)');
    expect(r.stderr).toContain('XFAIL->XPASS: famfs_fuse_meta_alloc.planted_xpass_flaw_gone (xfail -> xpass)');
    expect(r.stderr).toContain('fixed: famfs_fuse_meta_alloc.planted_xfail_known_flaw (fail -> xfail)');
  });

  test('bad baselines and shards: one line, exit 2', () => {
    for (const [args, msg] of [
      [['--baseline', '/dev/zero'], /baseline \/dev\/zero: a character device/],
      [['--baseline', path.join(tmp, 'nope.json')], /cannot read baseline/],
      [["--baseline", MIXED], /mixed_vectors.json: "results" is not a list/],
      [['--shard', '5/4'], /--shard 5\/4: K must be between 1 and N/],
      [['--shard', 'x'], /--shard: expected K\/N/],
    ] as [string[], RegExp][]) {
      const r = run('conformance', ...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(msg)]);
    }
  });
});
