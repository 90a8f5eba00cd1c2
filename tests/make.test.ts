// `make test` fails when conformance fails and runs it once; .ci/run ends with
// one "N passed, N failed" line counting jest and conformance together.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const built = fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'));
const MIXED = path.join('tests', 'fixtures', 'report', 'mixed_vectors.json');
// -o build: use the build that is there (jest runs after it)
const makeTest = (...vars: string[]) => spawnSync('make', ['-s', '-o', 'build', 'test', 'JEST=true', ...vars], { cwd: ROOT, encoding: 'utf8' });

(built ? describe : describe.skip)('make test', () => {
  test('a conformance failure fails the target; conformance runs once', () => {
    const r = makeTest(`CONFORMANCE_ARGS=--vectors ${MIXED}`);
    expect(r.status).not.toBe(0);
    expect((r.stdout + r.stderr).match(/^\d+ passed, \d+ failed, \d+ skipped$/gm)).toEqual(['2 passed, 3 failed, 0 skipped']);
    expect(fs.readFileSync(path.join(ROOT, 'reports', 'conformance.ktap'), 'utf8')).toMatch(/^not ok 1 famfs_fuse_meta_alloc$/m);
  });

  test('a jest failure fails it too, and conformance still runs', () => {
    const r = makeTest('JEST=false');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^\d+ passed, 0 failed, 0 skipped$/m);
  });

  test('passes when both pass', () => {
    const r = makeTest();
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^\d+ passed, 0 failed, 0 skipped$/m);
  });
});

describe('.ci/run summary line', () => {
  const fakeMake = (body: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-ci-'));
    fs.writeFileSync(path.join(dir, 'make'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return spawnSync('bash', [path.join(ROOT, '.ci', 'run')], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
  };
  test('jest and conformance counted together', () => {
    const r = fakeMake("echo 'Tests:       2 failed, 1 skipped, 40 passed, 43 total'; echo '224 passed, 3 failed, 0 skipped' >&2; exit 2");
    expect(r.status).toBe(2);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('264 passed, 5 failed');
  });
  test('a failure with no counts still reads as failed', () => {
    const r = fakeMake("echo 'npm ci failed'; exit 2");
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('0 passed, 1 failed');
  });
  test('all green', () => {
    const r = fakeMake("echo 'Tests:       40 passed, 40 total'; echo '224 passed, 0 failed, 0 skipped' >&2");
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('264 passed, 0 failed');
  });
});
