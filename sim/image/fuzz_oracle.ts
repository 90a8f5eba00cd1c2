// The image fuzz's content oracle: corrupt a famfs image whose files hold known
// bytes, then a clean check must mean every file reads back — through the
// server, GET_FMAP, the kernel port's iomap and the store — as the bytes that
// were written. Two kinds of damage:
//  - raw: 1..3 bytes flipped in the superblock, log header or entries, CRCs
//    left as they are (the format's CRCs and our checks must catch what matters);
//  - forged: bytes of one entry's body changed and its CRC recomputed (a valid
//    looking entry); a clean check then guarantees every untouched file reads
//    back exactly and the forged one returns exactly fm_size bytes.
import { MemoryStore } from '../stores';
import { mkfs, FamfsWriter } from './writer';
import { FamfsImage, FileEntry } from './image';
import { checkImage } from './check';
import { catFile, mountImage, mountImageWithPending, writeFile } from './serve';
import { LOG_ENTRY_CRC, LOG_ENTRY_SIZE, zlibCrc32 } from './format';

export interface ImageFuzzOutcome {
  ok: boolean;
  /** the check found nothing wrong */
  clean: boolean;
  why?: string;
}

const M = 1n << 20n;
const LOG = 0x200000;
const entryAt = (i: number) => LOG + 48 + LOG_ENTRY_SIZE * i;

/** xorshift32: the fuzzers' reproducible stream of u32s from a seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

function pattern(len: number, seed: number): Uint8Array {
  const r = rng(seed * 2654435761);
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = r() & 0xff;
  return b;
}

/** The image every case starts from: a directory, a simple and an interleaved file, known bytes in both. */
function baseImage(): { store: MemoryStore; written: Map<number, Uint8Array> } {
  const store = new MemoryStore(256n * M);
  mkfs(store, { allowSmall: true, seed: 1 });
  const w = new FamfsWriter(store);
  w.mkdir('d');
  const written = new Map<number, Uint8Array>();
  const put = (name: string, size: number, interleave: boolean) => {
    const data = pattern(size, size);
    const opts = interleave ? { interleave: { nbuckets: 4, nstrips: 2, chunk_size: 2n * M }, mockStripe: true } : {};
    const f = w.creat(name, BigInt(size), opts, (pending) => {
      const rc = writeFile(mountImageWithPending(store, pending), '/' + pending.relpath, data);
      if (rc < 0) throw new Error(`fuzz base image: writing ${name} failed (${rc})`);
    });
    written.set(f.index, data);
  };
  put('d/a', (1 << 20) + 4321, false);
  put('b', (2 << 20) + 17, true);
  return { store, written };
}

/** The base image's used ranges (superblock, log, every extent and strip) and their bytes. */
let base: { ranges: [number, Uint8Array][]; written: Map<number, Uint8Array> } | null = null;

function freshCopy(): { store: MemoryStore; written: Map<number, Uint8Array> } {
  if (!base) {
    const b = baseImage();
    const c = checkImage(new FamfsImage(b.store));
    const used: [number, number][] = [[0, LOG + 8 * (1 << 20)]];
    for (const e of c.entries) if (e.type === 'file') for (const x of e.interleave ? e.interleave.strips : e.extents) used.push([Number(x.offset), Number(x.len)]);
    base = { ranges: used.map(([at, len]) => { const bytes = new Uint8Array(len); b.store.read(at, bytes); return [at, bytes]; }), written: b.written };
  }
  const store = new MemoryStore(256n * M);
  for (const [at, bytes] of base.ranges) store.write(at, bytes);
  return { store, written: base.written };
}

function damageRaw(store: MemoryStore, r: () => number): void {
  const regions: [number, number][] = [[0, 200], [LOG, 48], [entryAt(0), 4 * LOG_ENTRY_SIZE]];
  for (let k = 1 + (r() % 3); k > 0; k--) {
    const [at, len] = regions[r() % regions.length];
    store.write(at + (r() % len), new Uint8Array([r() & 0xff]));
  }
}

/** Change 1..4 body bytes of one entry, then recompute its crc. Returns the entry's index. */
function forge(store: MemoryStore, r: () => number): number {
  const i = r() % 4;
  const e = new Uint8Array(LOG_ENTRY_SIZE);
  store.read(entryAt(i), e);
  for (let k = 1 + (r() % 4); k > 0; k--) e[8 + (r() % (LOG_ENTRY_CRC - 8))] = r() & 0xff;
  new DataView(e.buffer).setBigUint64(LOG_ENTRY_CRC, BigInt(zlibCrc32(e.subarray(0, LOG_ENTRY_CRC))), true);
  store.write(entryAt(i), e);
  return i;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** One fuzz case; `ok` false names the broken promise. */
export function fuzzImageContents(seed: number): ImageFuzzOutcome {
  const r = rng(seed);
  const { store, written } = freshCopy();
  const forged = seed % 2 === 0 ? forge(store, r) : -1;
  if (forged < 0) damageRaw(store, r);
  try {
    const c = checkImage(new FamfsImage(store));
    if (c.problems.length) return { ok: true, clean: false };
    const world = mountImage(store);
    for (const e of c.entries) {
      if (e.type !== 'file') continue;
      const got = catFile(world, '/' + e.relpath);
      if (typeof got === 'number') return { ok: false, clean: true, why: `seed ${seed}: clean image, but cat ${escape(e.relpath)} (entry ${e.index}) -> ${got}` };
      const want = written.get(e.index);
      if (e.index === forged) {
        if (BigInt(got.length) !== (e as FileEntry).size) return { ok: false, clean: true, why: `seed ${seed}: forged entry ${e.index}: ${got.length} bytes, fm_size ${(e as FileEntry).size}` };
      } else if (!want || !same(got, want)) {
        return { ok: false, clean: true, why: `seed ${seed}: clean image, but ${escape(e.relpath)} (entry ${e.index}) does not read back the bytes written` };
      }
    }
    world.mnt.umount();
    return { ok: true, clean: true };
  } catch (e) {
    return { ok: false, clean: false, why: `seed ${seed}: ${(e as Error).message}` };
  }
}
