// One writer at a time (issue 13 item 1): parallel writer processes serialise on
// the image's flock; readers see the log as of one append; a lock dies with
// its holder (kill -9).
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { BIN, DIST, built, run, runRaw, scratch, newImage, contentFor, listFiles, runAsync, sha } from './image_cli_util';

const d = built ? describe : describe.skip;
const WRITERS = 8;
const ROUNDS = 10;

d('image locking (child processes)', () => {
  const dir = scratch('famfs-lock-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test(`${WRITERS} writers x ${ROUNDS} rounds in parallel: fsck clean, every file reads back the bytes written`, async () => {
    const img = newImage(dir, 'par.img', '512M');
    const srcs: Record<string, Uint8Array> = {};
    const scripts: string[] = [];
    for (let w = 0; w < WRITERS; w++) {
      const cmds = [`"${process.execPath}" "${BIN}" image mkdir "${img}" w${w} || exit 1`];
      for (let r = 0; r < ROUNDS; r++) {
        const name = `w${w}/f${r}`;
        srcs[name] = contentFor(name, 100_000 + ((w * 7919 + r * 104729) % 1_900_000));
        const src = path.join(dir, `src-${w}-${r}`);
        fs.writeFileSync(src, srcs[name]);
        cmds.push(`"${process.execPath}" "${BIN}" image cp "${img}" "${src}" ${name} || exit 1`);
      }
      scripts.push(cmds.join('\n'));
    }
    // a reader checking the image while the writers run: every snapshot it sees is clean
    const reader = `for i in $(seq 1 15); do "${process.execPath}" "${BIN}" image fsck "${img}" --json || exit 1; done`;
    const results = await Promise.all([...scripts, reader].map((s) => runAsync('bash', ['-c', s], 150_000)));
    for (const r of results) expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    for (const line of results[WRITERS].stdout.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ ok: true, errors: 0, collisions: 0 });
    const fsck = run('image', 'fsck', img, '--json');
    expect(fsck.status).toBe(0);
    expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, files: WRITERS * ROUNDS, directories: WRITERS, entries: WRITERS * (ROUNDS + 1) });
    const listed = listFiles(img).filter((f) => f.kind === 'file').map((f) => f.path).sort();
    expect(listed).toEqual(Object.keys(srcs).sort());
    for (const [name, want] of Object.entries(srcs)) {
      const cat = runRaw('image', 'cat', img, name);
      expect(cat.status).toBe(0);
      expect(sha(cat.stdout)).toBe(sha(want));
    }
  }, 180_000);

  test('a held lock: --lock-timeout 0 refuses with one line (exit 1); kill -9 of the holder frees it', async () => {
    const img = newImage(dir, 'held.img');
    const holder = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(DIST, 'sim', 'image', 'lock.js'))}).ImageLock.acquire(${JSON.stringify(img)}, true); console.log('held'); setTimeout(() => {}, 60000);`]);
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (b) => { if (String(b).includes('held')) resolve(); });
      holder.on('exit', () => reject(new Error('holder exited')));
    });
    const before = sha(fs.readFileSync(img));
    const busy = run('image', 'mkdir', img, 'x', '--lock-timeout', '0');
    expect(busy.status).toBe(1);
    expect(busy.stderr).toMatch(/^famfs-harness: locked: .*holds the image lock.*\n$/);
    expect(sha(fs.readFileSync(img))).toBe(before);
    const reader = run('image', 'fsck', img, '--lock-timeout', '0');
    expect(reader.status).toBe(1); // readers wait for writers too
    const exited = new Promise((r) => holder.on('exit', r));
    holder.kill('SIGKILL');
    await exited;
    const after = run('image', 'mkdir', img, 'x', '--lock-timeout', '5');
    expect(after.stderr).toBe('');
    expect(after.status).toBe(0);
  }, 60_000);
});
