// Reads through the whole path (VFS pread -> fuse read_iter -> famfs read_iter
// -> dax_iomap_rw -> iomap_begin -> the store) against a raw copy out of the
// same store at the same offsets, and that raw copy against C memcpy.
import { createWorld } from '../sim/world';
import { CReference, interleave, makeRow, nsPerOp, Row } from './lib';

const TOTAL = 64 << 20;
const GiB = 1 << 30;

export async function readRows(c: CReference, chunk: number, label: string, ratioTarget: number): Promise<Row[]> {
  const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x10000000' }], files: [{ path: 'f', fmap: { file_size: `0x${TOTAL.toString(16)}`, extents: [{ se_offset: '0x200000', se_len: `0x${TOTAL.toString(16)}` }] } }] });
  const fd = w.mnt.open('/f');
  const store = w.machine.device('/dev/dax0.0')!.store;
  store.write(0x200000, new Uint8Array(TOTAL).fill(1));
  const buf = new Uint8Array(chunk);
  const poss = Array.from({ length: TOTAL / chunk }, (_, i) => BigInt(i * chunk));
  const path = (): number => {
    for (let i = 0; i < poss.length; i++) if (w.mnt.pread(fd, buf, poss[i]) !== chunk) throw new Error('bench: short read');
    return poss.length;
  };
  const raw = (): number => {
    for (let o = 0; o < TOTAL; o += chunk) store.read(0x200000 + o, buf);
    return TOTAL / chunk;
  };
  const gibs = (ns: number): number => chunk / ns / GiB * 1e9;
  const viaPath = await interleave(() => gibs(nsPerOp(path)), () => gibs(nsPerOp(raw)));
  const rawVsC = await interleave(() => gibs(nsPerOp(raw)), async () => gibs(Number((await c.cmd(`memcpy ${chunk} 120`))[0])));
  return [
    makeRow(`read ${label} through the path`, 'GiB/s', viaPath.path, { name: `raw copy of ${label} from the same store`, samples: viaPath.ref }, { on: 'ratio', op: '>=', x: ratioTarget }),
    makeRow(`raw copy ${label} from the store`, 'GiB/s', rawVsC.path, { name: `C memcpy ${label}`, samples: rawVsC.ref }, null),
  ];
}
