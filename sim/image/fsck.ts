// famfs fsck: superblock and log checks, every entry validated, the allocation
// bitmap rebuilt from the log with its collisions counted, and space statistics.
// Like famfs, it does not check extent alignment, extents past the device end
// (counted here only as information), size versus map length or duplicate paths.
import { bitmapFromLog } from './alloc';
import { deviceSize, FamfsImage, ImageError } from './image';
import { logplay } from './logplay';

export interface FsckReport {
  ok: boolean;
  errors: number;
  superblock: string;
  log: string;
  entries: number;
  log_capacity: number;
  bad_entries: { index: number; why: string }[];
  files: number;
  directories: number;
  collisions: number;
  extents_beyond_device: number;
  logplay_errors: string[];
  size_sum: string;
  allocated: string;
  space_amplification: number;
  percent_used: number;
}

export function fsck(img: FamfsImage): FsckReport {
  const base = { entries: 0, log_capacity: 0, bad_entries: [], files: 0, directories: 0, collisions: 0, extents_beyond_device: 0, logplay_errors: [], size_sum: '0', allocated: '0', space_amplification: 0, percent_used: 0 };
  try {
    img.checkSuper();
  } catch (e) {
    if (e instanceof ImageError) return { ...base, ok: false, errors: 1, superblock: `${e.code}: ${e.message}`, log: 'not checked' };
    throw e;
  }
  let log;
  try {
    log = img.readLog();
  } catch (e) {
    if (e instanceof ImageError) return { ...base, ok: false, errors: 1, superblock: 'ok', log: `${e.code}: ${e.message}` };
    throw e;
  }
  const sb = img.superblock();
  const h = img.logHeader();
  const bm = bitmapFromLog(log.entries, deviceSize(img), sb.ts_log_offset, sb.ts_log_len);
  const play = logplay(log.entries);
  let sizeSum = 0n;
  let files = 0;
  let dirs = 0;
  for (const n of play.tree.values()) {
    if (n.kind === 'dir') dirs++;
    else { files++; sizeSum += n.file?.size ?? 0n; }
  }
  const allocated = BigInt(bm.used()) * bm.au - (sb.ts_log_offset + sb.ts_log_len);
  const errors = log.bad.length + bm.collisions;
  return {
    ok: errors === 0, errors, superblock: 'ok', log: 'ok', entries: Number(h.famfs_log_next_index), log_capacity: Number(h.famfs_log_last_index + 1n),
    bad_entries: log.bad, files, directories: dirs, collisions: bm.collisions, extents_beyond_device: bm.beyond, logplay_errors: play.errors,
    size_sum: sizeSum.toString(), allocated: allocated.toString(),
    space_amplification: sizeSum ? Number((allocated * 1000n) / sizeSum) / 1000 : 0,
    percent_used: Math.round((bm.used() / bm.nau) * 10000) / 100,
  };
}
