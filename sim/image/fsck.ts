// famfs fsck: the image checker's problems (superblock, log header, every entry:
// paths, modes, extents, interleave parameters, sizes, counters, allocation
// collisions), then famfs's space statistics. Clean means no problem at all.
// famfs's own fsck returns only the collision count (Documentation/images.md).
import { checkImage, Problem, problemLine } from './check';
import { FamfsImage } from './image';

export interface FsckReport {
  ok: boolean;
  errors: number;
  superblock: string;
  log: string;
  entries: number;
  log_capacity: number;
  /** every problem found, in order: superblock and header first, then by entry */
  problems: Problem[];
  bad_entries: { index: number; why: string }[];
  files: number;
  directories: number;
  collisions: number;
  size_sum: string;
  allocated: string;
  space_amplification: number;
  percent_used: number;
}

const HEAD_FIELDS = /^(superblock|ts_|dd_)/;

export function fsck(img: FamfsImage): FsckReport {
  const c = checkImage(img);
  const heads = c.problems.filter((p) => p.index === null);
  const sbProblem = heads.find((p) => HEAD_FIELDS.test(p.field));
  const logProblem = heads.find((p) => !HEAD_FIELDS.test(p.field));
  const base = {
    ok: c.problems.length === 0, errors: c.problems.length, problems: c.problems,
    superblock: sbProblem ? problemLine(sbProblem) : 'ok',
    log: c.fatal && !sbProblem ? problemLine(logProblem as Problem) : c.fatal ? 'not checked' : logProblem ? problemLine(logProblem) : 'ok',
    entries: c.next_index, log_capacity: c.capacity,
    bad_entries: c.problems.filter((p) => p.index !== null && /^famfs_log_entry_(seqnum|crc)$/.test(p.field)).map((p) => ({ index: p.index as number, why: p.why })),
  };
  if (!c.bitmap) return { ...base, files: 0, directories: 0, collisions: 0, size_sum: '0', allocated: '0', space_amplification: 0, percent_used: 0 };
  const bm = c.bitmap;
  const sb = img.superblock();
  const allocated = BigInt(bm.used()) * bm.au - (sb.ts_log_offset + sb.ts_log_len);
  const sizeSum = c.size_sum;
  return {
    ...base, files: c.files, directories: c.directories, collisions: bm.collisions,
    size_sum: sizeSum.toString(), allocated: allocated.toString(),
    space_amplification: sizeSum ? Number((allocated * 1000n) / sizeSum) / 1000 : 0,
    percent_used: Math.round((bm.used() / bm.nau) * 10000) / 100,
  };
}
