// --shard K/N and `report merge`: the shards' JSON joined is the single run's report.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mergeShards, readJsonReport, toJson, toJunit, toKtap, ReportFileError } from '../checks/report';
import { runConformance, selectForCli as selectVectors } from '../cli/commands/conformance';

const untimed = (s: string) => s.replace(/ time="[0-9.]+"/g, '').replace(/"seconds": [0-9.e-]+/g, '"seconds": 0');

describe('shards joined', () => {
  const single = runConformance(undefined, undefined);
  const N = 4;
  const shardJson = Array.from({ length: N }, (_, k) => {
    const shard = { index: k + 1, count: N };
    return toJson(runConformance(undefined, undefined, shard), { ...shard, cases: selectVectors(undefined, undefined).total });
  });
  const parts = shardJson.map((text, k) => ({ file: `s${k + 1}.json`, ...readJsonReport(text, `s${k + 1}.json`) }));

  test('KTAP identical to the single run; JUnit and JSON identical but for measured times', () => {
    const merged = mergeShards([parts[2], parts[0], parts[3], parts[1]]);
    expect(toKtap(merged)).toBe(toKtap(single));
    expect(untimed(toJunit(merged))).toBe(untimed(toJunit(single)));
    expect(untimed(toJson(merged))).toBe(untimed(toJson(single)));
  });

  test.each([
    [[0, 1, 2], /shard\(s\) 4 of 4 missing/],
    [[0, 0, 1, 2, 3], /shard 1\/4 given twice/],
  ])('refuses shards %j', (pick, why) => {
    expect(() => mergeShards((pick as number[]).map((k) => parts[k]))).toThrow(why as RegExp);
  });

  test('refuses shards of different runs and cases held twice', () => {
    const other = { ...parts[1], shard: { index: 2, count: 4, cases: 10 } };
    expect(() => mergeShards([parts[0], other, parts[2], parts[3]])).toThrow(/does not belong/);
    const dup = { ...parts[1], results: [...parts[1].results, parts[0].results[0]] };
    expect(() => mergeShards([parts[0], dup, parts[2], parts[3]])).toThrow(ReportFileError);
    const short = { ...parts[1], results: parts[1].results.slice(1) };
    expect(() => mergeShards([parts[0], short, parts[2], parts[3]])).toThrow(/hold \d+ of \d+ cases/);
  });

  const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
  const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
  (built ? test : test.skip)('through the CLI: conformance --shard K/N --format json, then report merge', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-shard-'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
    const files = [1, 2, 3].map((k) => {
      const f = path.join(tmp, `shard${k}.json`);
      expect(run('conformance', '--shard', `${k}/3`, '--format', 'json', '-o', f).status).toBe(0);
      return f;
    });
    const merged = run('report', 'merge', ...files.reverse());
    expect(merged.status).toBe(0);
    expect(merged.stdout).toBe(run('conformance', '--format', 'ktap').stdout);
    const partial = run('report', 'merge', files[0], '--format', 'junit');
    expect(partial.status).toBe(2);
    expect(partial.stderr).toMatch(/^famfs-harness: shard\(s\) 1, 2 of 3 missing\n$/);
  });

  // found in review: cdiff's JSON had "shard": null (merge refused its shards)
  // and its JSONL a trailing {cdiff} record (--baseline refused it)
  const gcc = spawnSync('gcc', ['--version']).status === 0;
  (built && gcc ? test : test.skip)('through the CLI: cdiff --shard K/N --format json joins; its jsonl is a baseline', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-cdshard-'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
    const C = path.resolve(__dirname, 'fixtures', 'cdiff', 'famfs.c');
    const sel = ['--c-source', C, '--filter', 'famfs_fuse_meta_alloc'];
    const files = [1, 2].map((k) => {
      const f = path.join(tmp, `cd${k}.json`);
      expect(run('cdiff', ...sel, '--shard', `${k}/2`, '--format', 'json', '-o', f).status).toBe(0);
      return f;
    });
    const merged = run('report', 'merge', ...files, '--format', 'json');
    expect(merged.status).toBe(0);
    const whole = JSON.parse(run('cdiff', ...sel, '--format', 'json').stdout);
    expect(JSON.parse(merged.stdout).results.map((r: { id: string }) => r.id)).toEqual(whole.results.map((r: { id: string }) => r.id));
    const jsonl = path.join(tmp, 'cd.jsonl');
    expect(run('cdiff', ...sel, '--format', 'jsonl', '-o', jsonl).status).toBe(0);
    const base = run('conformance', '--filter', 'famfs_fuse_meta_alloc', '--baseline', jsonl);
    expect(base.status).toBe(0);
    expect(base.stdout).toMatch(/0 new failure\(s\)/);
    expect(run('cdiff', ...sel, '--fail-nth', 'all', '--shard', '1/2', '--format', 'json').stderr).toMatch(/cannot be joined by report merge/);
  });
});
