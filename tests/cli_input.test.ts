// Generic CLI hygiene through the built binary: bounded inputs, values that
// every option demands, a closed stdout that ends the run quietly.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
const built = fs.existsSync(path.resolve(__dirname, '..', 'dist', 'cli', 'main.js'));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20000 });
const sh = (cmd: string) => spawnSync('bash', ['-c', `set -o pipefail; ${cmd}`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20000 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-cli-input-'));
const SCENARIO = path.resolve(__dirname, '..', 'Documentation', 'scenarios', 'poison.json');

/** exit 2, exactly one line on stderr, no stack trace */
function expectUsage(args: string[], pattern: RegExp): void {
  const r = run(...args);
  expect({ args, status: r.status, signal: r.signal }).toEqual({ args, status: 2, signal: null });
  const lines = r.stderr.trim().split('\n');
  expect({ args, lines }).toEqual({ args, lines: [expect.stringMatching(pattern)] });
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

const d = built ? describe : describe.skip;

d('every file argument is bounded', () => {
  const fifo = path.join(tmp, 'fifo');
  beforeAll(() => { spawnSync('mkfifo', [fifo]); });

  const readers: [string, (f: string) => string[]][] = [
    ['fmap decode', (f) => ['fmap', 'decode', f]],
    ['fmap decode --hex', (f) => ['fmap', 'decode', '--hex', f]],
    ['fmap encode', (f) => ['fmap', 'encode', f]],
    ['fmap resolve', (f) => ['fmap', 'resolve', f, '--offset', '0']],
    ['abi --check', (f) => ['abi', '--check', f]],
    ['series', (f) => ['series', f]],
    ['sim run', (f) => ['sim', 'run', f]],
    ['portmap --c-source', (f) => ['portmap', '--c-source', f]],
    ['conformance --vectors', (f) => ['conformance', '--vectors', f]],
  ];
  test.each(readers)('%s refuses devices, pipes and directories', (_name, argsOf) => {
    expectUsage(argsOf('/dev/zero'), /\/dev\/zero: a character device, expected a regular file$/);
    expectUsage(argsOf('/dev/urandom'), /\/dev\/urandom: a character device, expected a regular file$/);
    expectUsage(argsOf(fifo), /fifo: a pipe, expected a regular file$/);
  });

  test('a GET_FMAP payload is capped at one page plus a margin; text at 16 MiB', () => {
    const big = path.join(tmp, 'big.bin');
    fs.writeFileSync(big, new Uint8Array(8193));
    expectUsage(['fmap', 'decode', big], /payload .*big\.bin: 8193 bytes, over the 8 KiB limit$/);
    const page = path.join(tmp, 'page.bin');
    fs.writeFileSync(page, new Uint8Array(8192));
    expect(run('fmap', 'decode', page).status).toBe(1); // read, then rejected by the kernel parser
    const huge = path.join(tmp, 'huge.mbox');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, (16 << 20) + 1);
    expectUsage(['series', huge], /mbox .*huge\.mbox: 16777217 bytes, over the 16 MiB limit$/);
    expectUsage(['sim', 'run', '/no/such/scenario.json'], /cannot read scenario \/no\/such\/scenario\.json: ENOENT$/);
  });
});

d('option values', () => {
  test.each([
    [['conformance', '--format'], /Not enough arguments following: format$/],
    [['conformance', '--format', 'tap'], /^famfs-harness: Invalid values: Argument: format, Given: "tap", Choices: .*"ktap"/],
    [['conformance', '--filter'], /--filter: needs a value$/],
    [['conformance', '--vectors'], /--vectors: needs a value$/],
    [['conformance', '-o'], /Not enough arguments following: o$/],
    [['fmap', 'resolve', SCENARIO, '--offset'], /Not enough arguments following: offset$/],
    [['sim', 'run', SCENARIO, '--dax'], /--dax: needs a value$/],
    [['conformance', '--format', ''], /--format: needs a value|Invalid values/],
    [['portmap', '--c-source', ''], /^famfs-harness: --c-source: needs a value$/],
    [['image', 'creat', '/nonexistent.img', 'f', '--size', '1M', '-N', 'abc'], /^famfs-harness: -N: expected a number$/],
  ])('%j -> one line, exit 2', (args, pattern) => expectUsage(args as string[], pattern as RegExp));
});

d('a closed stdout ends the run quietly', () => {
  test.each([
    `"${process.execPath}" "${BIN}" conformance --format ktap | head -c1`,
    `"${process.execPath}" "${BIN}" sim run "${SCENARIO}" --trace --hex | head -1`,
    `"${process.execPath}" "${BIN}" conformance --list | head -1`,
  ])('%s', (cmd) => {
    const r = sh(`${cmd} >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`);
    expect(r.stderr).toMatch(/status (0|141)\n$/);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
  });
});

d('malformed scenarios name the field', () => {
  test.each([
    ['null', /scenario: must be an object, got null$/],
    ['[]', /scenario: must be an object, got a list$/],
    ['{"world": null, "steps": []}', /: world: must be an object, got null$/],
    ['{"steps": []}', /: world: must be an object, got nothing$/],
    ['{"world": {"files": [null]}, "steps": []}', /: world\.files\[0\]: must be an object, got null$/],
    ['{"world": {"files": [{"path": 3}]}, "steps": []}', /: world\.files\[0\]\.path: must be a string, got number 3$/],
    ['{"world": {"devices": [{"name": "/dev/dax0.0", "size": true}]}, "steps": []}', /: world\.devices\[0\]\.size: must be a number or a string, got boolean true$/],
    ['{"world": {}, "steps": [null]}', /: steps\[0\]: must be an object, got null$/],
    ['{"world": {}, "steps": {}}', /: steps: must be a list, got an object$/],
    ['{"world": {}, "steps": [], "expect_requests": {"OPEN": "x"}}', /: expect_requests\.OPEN: must be a number, got string "x"$/],
  ])('%s', (json, msg) => {
    const f = path.join(tmp, 'scenario.json');
    fs.writeFileSync(f, json);
    expectUsage(['sim', 'run', f], msg);
    expectUsage(['sim', 'run', f, '--dax', 'memory'], msg);
  });
});

d('data files and closed pipes elsewhere', () => {
  const img = path.join(tmp, 'fs.img');
  beforeAll(() => {
    expect(run('image', 'mkfs', img, '--size', '4G').status).toBe(0);
    const src = path.join(tmp, 'src.bin');
    fs.writeFileSync(src, new Uint8Array(1 << 20).fill(7));
    expect(run('image', 'cp', img, src, 'big').status).toBe(0);
  });
  test('image cp refuses a device as its source', () => {
    expectUsage(['image', 'cp', img, '/dev/zero', 'x'], /source file \/dev\/zero: a character device, expected a regular file$/);
  });
  test('image cat | head -c1 ends quietly', () => {
    const r = sh(`"${process.execPath}" "${BIN}" image cat "${img}" big | head -c1 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`);
    expect(r.stderr).toMatch(/^status (0|141)\n$/);
  });
  test('a regular file that claims size 0 (/proc) is still read, within the cap', () => {
    expectUsage(['sim', 'run', '/proc/self/status'], /\/proc\/self\/status: not valid JSON/);
  });
});
