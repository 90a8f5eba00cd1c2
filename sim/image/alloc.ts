// famfs allocation (userspace-spec §4, src/famfs_alloc.c): an allocation-unit
// bitmap built from the log, first-fit contiguous allocation, and the strided
// (interleaved) allocator with its bucket arithmetic. Deterministic: the bucket
// shuffle is seeded.
import { FAMFS_ALLOC_UNIT, FAMFS_MAX_NBUCKETS, FAMFS_MAX_SIMPLE_EXTENTS } from './format';
import type { LogExtent } from './image';

export class AllocBitmap {
  /** per allocation unit: how many extents claim it */
  readonly counts: Uint16Array;
  readonly nau: number;
  collisions = 0;

  constructor(readonly devsize: bigint, readonly au = FAMFS_ALLOC_UNIT) {
    this.nau = Number(devsize / au);
    this.counts = new Uint16Array(this.nau);
  }

  /** Claim the AUs of [off, off+len); count collisions with earlier claims. */
  mark(off: bigint, len: bigint): void {
    if (len === 0n) return;
    const first = off / this.au;
    const last = (off + len - 1n) / this.au;
    for (let i = Number(first); i <= Math.min(Number(last), this.nau - 1); i++) {
      if (this.counts[i]++) this.collisions++;
    }
  }

  clear(off: bigint, len: bigint): void {
    for (let i = Number(off / this.au); i <= Number((off + len - 1n) / this.au); i++) this.counts[i] = 0;
  }

  /** First run of n free AUs inside [start, end): its first AU, or -1. */
  findFree(n: number, start = 0, end = this.nau): number {
    let run = 0;
    for (let i = start; i < end; i++) {
      run = this.counts[i] ? 0 : run + 1;
      if (run === n) return i - n + 1;
    }
    return -1;
  }

  used(): number {
    let n = 0;
    for (const c of this.counts) if (c) n++;
    return n;
  }
}

export interface InterleaveParam {
  nbuckets: number;
  nstrips: number;
  chunk_size: bigint;
}

/**
 * famfs_validate_interleave_param(): the reasons a parameter set is refused
 * (empty: valid). All three zero means "contiguous".
 */
export function validateInterleaveParam(p: InterleaveParam, devsize: bigint, mockStripe = false): string[] {
  if (!p.nbuckets && !p.nstrips && !p.chunk_size) return [];
  const errs: string[] = [];
  const c = p.chunk_size;
  if (c === 0n || (c & (c - 1n)) !== 0n || c % FAMFS_ALLOC_UNIT !== 0n) errs.push(`chunk_size ${c} must be a non-zero power of two and a multiple of 2 MiB`);
  if (p.nstrips > p.nbuckets) errs.push(`nstrips ${p.nstrips} > nbuckets ${p.nbuckets}`);
  if (p.nbuckets < 1 || p.nbuckets > FAMFS_MAX_NBUCKETS) errs.push(`nbuckets ${p.nbuckets} not in 1..${FAMFS_MAX_NBUCKETS}`);
  if (p.nstrips < 1 || p.nstrips > FAMFS_MAX_SIMPLE_EXTENTS) errs.push(`nstrips ${p.nstrips} not in 1..${FAMFS_MAX_SIMPLE_EXTENTS}`);
  if (p.nbuckets >= 1 && !mockStripe && devsize / BigInt(p.nbuckets) < 1n << 30n) errs.push(`buckets of ${devsize / BigInt(p.nbuckets)} bytes are smaller than 1 GiB`);
  return errs;
}

/** The strided-allocation arithmetic, in allocation units. */
export function stripeGeometry(size: bigint, p: InterleaveParam) {
  const au = FAMFS_ALLOC_UNIT;
  const C = p.chunk_size / au;
  const alloc_au = (size + au - 1n) / au;
  const stripe_au = BigInt(p.nstrips) * C;
  const nstripes = (alloc_au + stripe_au - 1n) / stripe_au;
  const strip_au = nstripes * C;
  return { alloc_au, stripe_au, nstripes, strip_au };
}

export class AllocError extends Error {
  constructor(public readonly code: 'ENOSPC' | 'ENOMEM' | 'EINVAL', msg: string) {
    super(msg);
  }
}

/** famfs_file_alloc_contiguous(): one simple extent, the size rounded up to the AU. */
export function allocContiguous(bm: AllocBitmap, size: bigint): LogExtent {
  const n = Number((size + bm.au - 1n) / bm.au) || 1;
  const at = bm.findFree(n);
  if (at < 0) throw new AllocError('ENOSPC', `no ${n} contiguous free allocation units`);
  const ext = { devindex: 0n, offset: BigInt(at) * bm.au, len: BigInt(n) * bm.au };
  bm.mark(ext.offset, ext.len);
  return ext;
}

function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let x = seed >>> 0 || 0x2545f491;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * famfs_file_strided_alloc(): smaller than a chunk -> contiguous; else one strip
 * of strip_au AUs in each of nstrips different buckets, buckets tried in a
 * (seeded) random order. Not enough buckets with room: free what was taken, -ENOMEM.
 */
export function allocStrided(bm: AllocBitmap, size: bigint, p: InterleaveParam, seed: number): { strips: LogExtent[] } | { contiguous: LogExtent } {
  if (size < p.chunk_size) return { contiguous: allocContiguous(bm, size) };
  const { strip_au } = stripeGeometry(size, p);
  const bucketAu = Math.floor(bm.nau / p.nbuckets);
  const strips: LogExtent[] = [];
  for (const b of shuffled(p.nbuckets, seed)) {
    if (strips.length === p.nstrips) break;
    const at = bm.findFree(Number(strip_au), b * bucketAu, (b + 1) * bucketAu);
    if (at < 0) continue;
    const ext = { devindex: 0n, offset: BigInt(at) * bm.au, len: strip_au * bm.au };
    bm.mark(ext.offset, ext.len);
    strips.push(ext);
  }
  if (strips.length < p.nstrips) {
    for (const s of strips) bm.clear(s.offset, s.len);
    throw new AllocError('ENOMEM', `only ${strips.length} of ${p.nbuckets} buckets have ${strip_au} free allocation units (need ${p.nstrips})`);
  }
  return { strips };
}
