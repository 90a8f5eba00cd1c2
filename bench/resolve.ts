// Resolution (famfs_fuse_iomap_begin) through an opened file, against the C
// resolvers of bench/c/famfs_ref.c over the same fmap and offsets.
import { createWorld } from '../sim/world';
import { famfs_fuse_iomap_begin } from '../kernel/famfs';
import { iomap_zero } from '../kernel/lib/iomap';
import type { inode } from '../kernel/fuse_i';
import type { FmapSpec } from '../uapi/fmap_codec';
import { CReference, interleave, makeRow, nsPerOp, Row, Target } from './lib';

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const MiB = 0x100000;

/** n simple extents of 4 MiB each, 2 MiB apart on the device. */
export function simpleFmap(n: number): FmapSpec {
  return { file_size: hex(n * 4 * MiB), extents: Array.from({ length: n }, (_, i) => ({ se_offset: hex(2 * MiB * (3 * i + 1)), se_len: hex(4 * MiB) })) };
}

/** niext interleaved extents of nstrips strips, 2 MiB chunks, each iext 4 MiB per strip. */
export function interleavedFmap(niext: number, nstrips: number): FmapSpec {
  const per = nstrips * 4 * MiB;
  return {
    ext_type: 'interleave', file_size: hex(niext * per),
    iexts: Array.from({ length: niext }, (_, k) => ({
      ie_chunk_size: hex(2 * MiB), ie_nbytes: hex(per),
      strips: Array.from({ length: nstrips }, (_, j) => ({ se_offset: hex(0x10000000 * (k * nstrips + j + 1)), se_len: hex(4 * MiB) })),
    })),
  };
}

/** The `fmap` command of the C reference for a spec. */
function cFmapCommand(spec: FmapSpec): string {
  if (spec.iexts) {
    const parts = spec.iexts.map((ie) => [ie.ie_chunk_size, ie.ie_nbytes, ie.strips.length, ...ie.strips.flatMap((s) => [s.se_offset, s.se_len])].join(' '));
    return `fmap interleave ${spec.file_size} ${spec.iexts.length} ${parts.join(' ')}`;
  }
  const ex = spec.extents ?? [];
  return `fmap simple ${spec.file_size} ${ex.length} ${ex.flatMap((e) => [e.se_offset, e.se_len]).join(' ')}`;
}

/** 1024 page-aligned offsets spread over the file (same for TS and C). */
export function offsetsFor(size: bigint): bigint[] {
  return Array.from({ length: 1024 }, (_, i) => (BigInt(i) * 7919n * 4096n) % size);
}

export function openedInode(spec: FmapSpec): inode {
  const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x10000000000' }], files: [{ path: 'f', fmap: spec }] });
  const fd = w.mnt.open('/f');
  if (fd < 0) throw new Error(`bench: open of the bench file failed (${fd})`);
  return w.mnt.file(fd)!.f_inode;
}

/** Sum of (addr ^ length) over one pass, mod 2^64: the C reference prints the same. */
function checksum(ino: inode, offs: bigint[]): bigint {
  const map = iomap_zero();
  let sum = 0n;
  for (const o of offs) {
    famfs_fuse_iomap_begin(ino, o, 4096n, 0, map, null);
    sum = BigInt.asUintN(64, sum + (map.addr ^ map.length));
  }
  return sum;
}

export async function resolveRow(c: CReference, name: string, spec: FmapSpec, target: Target | null): Promise<Row> {
  const ino = openedInode(spec);
  const offs = offsetsFor(BigInt(spec.file_size));
  const map = iomap_zero();
  const batch = (): number => {
    for (let i = 0; i < offs.length; i++) famfs_fuse_iomap_begin(ino, offs[i], 4096n, 0, map, null);
    return offs.length;
  };
  await c.cmd(cFmapCommand(spec));
  await c.cmd(`offsets ${offs.length} ${offs.map(String).join(' ')}`);
  let cCheck = '';
  const s = await interleave(() => 1e3 / nsPerOp(batch), async () => {
    const [ns, check] = await c.cmd('resolve 120');
    cCheck = check;
    return 1e3 / Number(ns);
  });
  const row = makeRow(name, 'M/s', s.path, { name: 'C (gcc -O2), same fmap and offsets', samples: s.ref }, target);
  const ts = checksum(ino, offs).toString();
  if (ts !== cCheck) {
    row.met = false;
    row.target += ` [C and TS resolve differently: checksum ${cCheck} vs ${ts}]`;
  }
  return row;
}
