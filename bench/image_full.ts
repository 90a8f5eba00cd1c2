// famfs images whose log holds a given number of entries (files until the
// space runs out, then directories); by default the 4 GiB sparse image whose
// default 8 MiB log is completely full (15 420 entries), as issue 5 asks.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStore } from '../sim/mmap_store';
import { FamfsWriter, mkfs } from '../sim/image/writer';
import { FamfsImage } from '../sim/image/image';
import { fsck, FsckReport } from '../sim/image/fsck';
import type { DaxStore } from '../kernel/lib/dax';

export interface FullImage { file: string; store: DaxStore; files: number; dirs: number; buildMs: number; entries: number }

export interface ImageShape {
  /** log entries to write (default: until the log is full) */
  entries?: number;
  /** log length in bytes (default: the 8 MiB default log) */
  loglen?: bigint;
}

export function buildFullImage(dir = os.tmpdir(), shape: ImageShape = {}): FullImage {
  const file = path.join(dir, `famfs-full-${process.pid}-${shape.entries ?? 'full'}.img`);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 4 * 1024 * 1024 * 1024);
  const store = openStore(`file:${file}`);
  const t0 = Date.now();
  mkfs(store, { seed: 1, loglen: shape.loglen });
  const w = new FamfsWriter(store);
  let files = 0;
  let dirs = 0;
  const capacity = Number(w.img.logHeader().famfs_log_last_index) + 1;
  const n = Math.min(capacity, shape.entries ?? capacity);
  for (let i = 0; i < n; i++) {
    const name = `d${Math.floor(i / 100)}/e${i}`;
    if (i % 100 === 0) { w.mkdir(`d${Math.floor(i / 100)}`); dirs++; continue; }
    if (files < 2000) { w.creat(name, BigInt(1 + ((i * 7919) % (2 << 20)))); files++; } else { w.mkdir(name); dirs++; }
  }
  return { file, store, files, dirs, buildMs: Date.now() - t0, entries: n };
}

export function removeImage(img: FullImage): void {
  img.store.close?.();
  fs.unlinkSync(img.file);
}

export function timeFsck(store: DaxStore): { report: FsckReport; ms: number } {
  const t0 = process.hrtime.bigint();
  const report = fsck(new FamfsImage(store));
  return { report, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}
