// Image-command option values (issue 13 item 7, image part; item 6 for cp's
// source): every bad value -> one line on stderr, exit 2, nothing created or
// changed; a failed mkfs leaves no file behind.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { built, run, scratch, newImage } from './image_cli_util';

const d = built ? describe : describe.skip;
/** superblock + log + the first data units, the size and the mtime: what any change would touch */
function fileSha(p: string): string {
  const fd = fs.openSync(p, 'r');
  const b = new Uint8Array(16 << 20);
  fs.readSync(fd, b, 0, b.length, 0);
  fs.closeSync(fd);
  const st = fs.statSync(p);
  return crypto.createHash('sha256').update(b).update(`${st.size}:${st.mtimeMs}`).digest('hex');
}
const ONE_LINE = /^famfs-harness: [^\n]+\n$/;

d('image option values (child processes)', () => {
  const dir = scratch('famfs-opts-');
  const img = newImage(dir);
  const src = path.join(dir, 'src');
  fs.writeFileSync(src, 'data\n');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['mkdir', '--mode', 'abc'],
    ['mkdir', '--mode', '77777777777'],
    ['mkdir', '--mode', '8'],
    ['mkdir', '--mode', '-1'],
    ['mkdir', '--lock-timeout', 'abc'],
    ['creat', '--mode', '1e3'],
    ['creat', '-N', '1.5'],
    ['creat', '-N', 'abc'],
    ['creat', '-N', '17'],
    ['creat', '-N', '-2'],
    ['creat', '-B', '65'],
    ['creat', '-B', '-1'],
    ['creat', '-B', '2.5'],
    ['creat', '-C', 'big'],
    ['creat', '--seed', 'abc'],
    ['creat', '--seed', '1.5'],
    ['creat', '--seed', '99999999999'],
    ['creat', '--alloc-seed', 'x'],
    ['creat', '--size', '-1'],
    ['creat', '--size', '1.5M'],
    ['cp', '-N', 'NaN'],
  ])('%s %s %s -> exit 2, one line, image unchanged', (cmd, opt, value) => {
    const before = fileSha(img);
    const args = cmd === 'mkdir' ? ['mkdir', img, 'x'] : cmd === 'creat' ? ['creat', img, 'x', '-s', '1M'] : ['cp', img, src, 'x'];
    const r = run('image', ...args, opt, value);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(ONE_LINE) });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(fileSha(img)).toBe(before);
  });

  test.each([
    ['--size', '-1', 2],
    ['--size', 'lots', 2],
    ['--size', '0', 2],
    ['--loglen', '8Q', 2],
    ['--device', '/dev/' + 'x'.repeat(70), 2],
    ['--size', '1G', 1], // under 4 GiB without --small: famfs_mkfs_allowed
    ['--loglen', '11M', 1], // not a power of two
    ['--kill', '', 2], // --kill without --force
  ])('mkfs NEW %s %s -> exit %d, one line, no file left behind', (opt, value, status) => {
    const p = path.join(dir, `new-${opt}-${value.length}.img`);
    const extra = opt === '--size' ? [] : ['--size', '256M', '--small'];
    const r = run('image', 'mkfs', p, ...extra, opt, ...(value ? [value] : []));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status, stderr: expect.stringMatching(ONE_LINE) });
    expect(r.stderr).not.toMatch(/internal error|undefined/);
    expect(fs.existsSync(p)).toBe(false);
  });

  test('mkfs over a valid image without --force -> exit 1, unchanged; --device of 63 bytes fits', () => {
    const before = fileSha(img);
    const r = run('image', 'mkfs', img, '--small');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^famfs-harness: exists: a valid famfs superblock exists/);
    expect(fileSha(img)).toBe(before);
    const p = path.join(dir, 'dev63.img');
    expect(run('image', 'mkfs', p, '--size', '256M', '--small', '--device', '/dev/' + 'y'.repeat(58)).status).toBe(0);
  });

  test.each(['/dev/zero', '/dev/urandom', '/dev/null', '.'])('cp IMG %s -> refused (not a regular file), exit 2, image unchanged', (bad) => {
    const before = fileSha(img);
    const r = run('image', 'cp', img, bad === '.' ? dir : bad, 'x');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(/^famfs-harness: source file .*: (a character device|a directory), expected a regular file\n$/) });
    expect(fileSha(img)).toBe(before);
  });

  test('cp of a file larger than the image -> exit 2 before reading it', () => {
    const big = path.join(dir, 'big');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 300 * 1024 * 1024); // sparse, larger than the 256 MiB image
    const r = run('image', 'cp', img, big, 'x');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(/do not fit in the 268435456-byte image\n$/) });
  });

  test('a missing image or one that is not a file -> exit 2, one line, nothing created', () => {
    for (const args of [['mkdir', path.join(dir, 'none.img'), 'x'], ['fsck', path.join(dir, 'none.img')], ['ls', '/dev/null'], ['cat', dir, 'x']]) {
      const r = run('image', ...args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 2, stderr: expect.stringMatching(ONE_LINE) });
    }
    expect(fs.existsSync(path.join(dir, 'none.img'))).toBe(false);
  });
});
