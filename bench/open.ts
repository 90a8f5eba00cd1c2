// Opening files (LOOKUP + OPEN + GET_FMAP + parse, over the channel) and the
// heap that many open files hold.
import { createWorld, World } from '../sim/world';
import { bytesToHex, encodeFmap, FmapSpec } from '../uapi/fmap_codec';
import { CReference, interleave, makeRow, median, Row, SAMPLES, Target } from './lib';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A file of `nextents` 2 MiB extents at distinct device offsets. */
function fileFmap(i: number, nextents: number): FmapSpec {
  return { file_size: hex(nextents * 0x200000), extents: Array.from({ length: nextents }, (_, k) => ({ se_offset: hex(0x200000 * (1 + i * nextents + k)), se_len: '0x200000' })) };
}

export function worldWithFiles(n: number, nextents = 1): World {
  const files = Array.from({ length: n }, (_, i) => ({ path: `f${i}`, fmap: fileFmap(i, nextents) }));
  return createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x100000000000' }], files });
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('bench: run node with --expose-gc (make bench does)');
  g();
  g();
}

const heapMiB = (): number => process.memoryUsage().heapUsed / 1048576;

/** µs per open of fresh files (each sample opens `perSample` files not opened before). */
export async function openRow(c: CReference, name: string, nextents: number, target: Target | null, perSample = 2000): Promise<Row> {
  const w = worldWithFiles((SAMPLES + 1) * perSample, nextents);
  let next = 0;
  const sample = (): number => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < perSample; k++, next++) if (w.mnt.open(`/f${next}`) < 0) throw new Error(`bench: open /f${next} failed`);
    return Number(process.hrtime.bigint() - t0) / perSample / 1e3;
  };
  const payload = bytesToHex(encodeFmap(fileFmap(0, nextents)));
  const s = await interleave(sample, async () => Number((await c.cmd(`parse ${payload} 120`))[0]) / 1e3);
  w.mnt.umount();
  return makeRow(name, 'µs', s.path, { name: 'C parse of the same GET_FMAP payload', samples: s.ref }, target);
}

/** Heap (after GC) with `n` files open, against the same world before the opens. */
export function heapRow(name: string, n: number, target: Target | null): Row {
  const after: number[] = [];
  const before: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    let w: World | null = worldWithFiles(n);
    gc();
    before.push(heapMiB());
    for (let k = 0; k < n; k++) if (w.mnt.open(`/f${k}`) < 0) throw new Error('bench: open failed');
    gc();
    after.push(heapMiB());
    w.mnt.umount();
    w = null;
    gc();
  }
  return makeRow(name, 'MiB', after, { name: 'the same world before the opens', samples: before }, target);
}

