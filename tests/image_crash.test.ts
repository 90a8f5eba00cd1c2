// Crash-consistent appends (issue 13 item 2): data written and flushed before
// the log entry, the entry flushed before the header counters, the counters
// flushed last. A writer that dies at any point leaves fsck clean and every
// logged file complete.
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { MemoryStore } from '../sim/stores';
import type { DaxStore } from '../kernel/lib/dax';
import { mkfs, FamfsWriter } from '../sim/image/writer';
import { FamfsImage } from '../sim/image/image';
import { fsck } from '../sim/image/fsck';
import { catFile, mountImage, mountImageWithPending, writeFile } from '../sim/image/serve';
import { BIN, built, run, runRaw, scratch, newImage, contentFor, sha } from './image_cli_util';

const M = 1n << 20n;
const LOG = 0x200000;
const ENTRIES = LOG + 48;
const LOG_END = LOG + 8 * 1024 * 1024;

class Crash extends Error {}

/** A store that records writes and flushes, and dies after `budget` writes. */
class CrashingStore implements DaxStore {
  readonly kind = 'memory';
  readonly ops: string[] = [];
  constructor(readonly inner: MemoryStore, private budget = Infinity) {}
  get size() { return this.inner.size; }
  read(off: number, dst: Uint8Array) { this.inner.read(off, dst); }
  write(off: number, src: Uint8Array) {
    if (this.budget-- <= 0) throw new Crash();
    this.ops.push(off === LOG + 32 ? 'counters' : off >= ENTRIES && off < LOG_END ? 'entry' : off >= LOG_END ? 'data' : `other@${off}`);
    this.inner.write(off, src);
  }
  flush() { this.ops.push('flush'); }
}

function base(): MemoryStore {
  const s = new MemoryStore(256n * M);
  mkfs(s, { allowSmall: true, seed: 3 });
  const w = new FamfsWriter(s);
  w.mkdir('d');
  return s;
}

const copy = (s: MemoryStore) => { const c = new MemoryStore(s.size); const b = new Uint8Array(Number(s.size)); s.read(0, b); c.write(0, b); return c; };

/** The cp path: allocate, write data through the simulated kernel, then log. */
function cp(store: CrashingStore, name: string, data: Uint8Array, interleave = false) {
  return new FamfsWriter(store, () => store.flush()).creat(name, BigInt(data.length), interleave ? { interleave: { nbuckets: 4, nstrips: 2, chunk_size: 2n * M }, mockStripe: true } : {}, (pending) => {
    expect(writeFile(mountImageWithPending(store, pending), '/' + pending.relpath, data)).toBe(0);
  });
}

describe('append order', () => {
  test('data, flush, entry, flush, counters, flush', () => {
    const s = new CrashingStore(base());
    cp(s, 'd/a', contentFor('d/a', 5 << 20));
    const order = s.ops.filter((o, i) => o !== s.ops[i - 1]); // runs of data writes as one
    expect(order).toEqual(['data', 'flush', 'entry', 'flush', 'counters', 'flush']);
  });
  test('mkdir: entry, flush, counters, flush', () => {
    const s = new CrashingStore(base());
    new FamfsWriter(s, () => s.flush()).mkdir('e/f', { parents: true });
    expect(s.ops).toEqual(['entry', 'flush', 'counters', 'flush', 'entry', 'flush', 'counters', 'flush']);
  });
});

describe('a writer dying after every possible write', () => {
  for (const interleave of [false, true]) {
    test(`${interleave ? 'interleaved' : 'simple'} cp: fsck clean, the file absent or complete`, () => {
      const data = contentFor('d/x', (2 << 20) + 12345);
      const probe = new CrashingStore(base());
      cp(probe, 'd/x', data, interleave);
      const total = probe.ops.filter((o) => o !== 'flush').length;
      let complete = 0;
      for (let k = 0; k <= total; k++) {
        const s = new CrashingStore(base(), k);
        try { cp(s, 'd/x', data, interleave); } catch (e) { if (!(e instanceof Crash)) throw e; }
        const after = copy(s.inner);
        const r = fsck(new FamfsImage(after));
        expect({ k, ok: r.ok, problems: r.problems }).toEqual({ k, ok: true, problems: [] });
        const got = catFile(mountImage(after), '/d/x');
        if (typeof got === 'number') { expect(got).toBe(-2); continue; } // -ENOENT: never logged
        expect({ k, same: sha(got) === sha(data) }).toEqual({ k, same: true });
        complete++;
        // the next writer goes on from there
        expect(() => new FamfsWriter(after).mkdir('next')).not.toThrow();
      }
      expect(complete).toBe(1); // only the run whose last write (the counters) landed
    });
  }
});

const d = built ? describe : describe.skip;

d('kill -9 of image cp at random moments (child processes)', () => {
  const dir = scratch('famfs-crash-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('fsck clean after every kill; every logged file reads back whole', async () => {
    const img = newImage(dir, 'kill.img', '1G');
    const KILLS = 24;
    const size = 12 << 20;
    const t0 = Date.now();
    const probeSrc = path.join(dir, 'probe');
    fs.writeFileSync(probeSrc, contentFor('probe', size));
    expect(run('image', 'cp', img, probeSrc, 'probe').status).toBe(0);
    const span = Math.max(100, Date.now() - t0); // one cp, start to end
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
    const names = ['probe'];
    let killedMidway = 0;
    for (let k = 0; k < KILLS && Date.now() - t0 < 90_000; k++) {
      const name = `f${k}`;
      const src = path.join(dir, name);
      fs.writeFileSync(src, contentFor(name, size));
      const child = spawn(process.execPath, [BIN, 'image', 'cp', img, src, name]);
      const delay = Math.floor(rnd() * span * 1.2);
      const ended = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      setTimeout(() => child.kill('SIGKILL'), delay);
      if ((await ended) === null) killedMidway++;
      names.push(name);
      const r = run('image', 'fsck', img, '--json');
      expect({ k, delay, status: r.status, out: r.status ? r.stdout : '' }).toEqual({ k, delay, status: 0, out: '' });
    }
    expect(killedMidway).toBeGreaterThan(0);
    const logged = new Set(run('image', 'ls', img, '--json').stdout.trim().split('\n').map((l) => JSON.parse(l).path));
    for (const name of names) {
      if (!logged.has(name)) continue;
      const cat = runRaw('image', 'cat', img, name);
      expect({ name, status: cat.status, same: sha(cat.stdout) === sha(contentFor(name, size)) }).toEqual({ name, status: 0, same: true });
    }
  }, 150_000);
});

describe('mkfs over an image, dying after every write', () => {
  test('no valid superblock until the new log is complete', () => {
    const probe = new CrashingStore(base());
    mkfs(probe, { allowSmall: true, force: true, seed: 4 });
    const writes = probe.ops.filter((o) => o !== 'flush').length;
    for (let k = 0; k <= writes; k++) {
      const s = new CrashingStore(base(), k);
      try { mkfs(s, { allowSmall: true, force: true, seed: 4 }, () => s.flush()); } catch (e) { if (!(e instanceof Crash)) throw e; }
      const r = fsck(new FamfsImage(s.inner));
      if (k === 0) expect({ k, ok: r.ok, entries: r.entries }).toEqual({ k, ok: true, entries: 1 }); // the old file system, untouched
      else if (k < writes) expect({ k, sb: r.superblock }).toEqual({ k, sb: expect.stringMatching(/^image: ts_magic: 0x0,/) });
      else expect({ k, ok: r.ok, entries: r.entries }).toEqual({ k, ok: true, entries: 0 });
    }
  });
});
