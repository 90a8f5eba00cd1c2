// make bench: ratios measured in one run, with the targets beside them.
// Results also go to bench/results/latest.json. See Documentation/bench.md.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { createWorld } from '../sim/world';
import { famfs_fuse_iomap_begin } from '../kernel/famfs';
import { iomap_zero } from '../kernel/lib/iomap';
import { encodeFmap } from '../uapi/fmap_codec';
import { buildFullImage, timeFsck } from './image_full';

function timeIt(fn: () => void, minMs = 400): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (el < minMs) { fn(); n++; el = Number(process.hrtime.bigint() - t0) / 1e6; }
  return (el * 1e6) / n; // ns per call
}

const rows: { name: string; value: number; unit: string; target: string; met: boolean }[] = [];

// 1. iomap resolution rate vs plain arithmetic
function resolveRate(fmapSpec: object, size: bigint): { rate: number; base: number } {
  const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x1000000000' }], files: [{ path: 'f', fmap: fmapSpec as never }] });
  const ino = w.mnt.file(w.mnt.open('/f'))!.f_inode;
  const map = iomap_zero();
  const offs = Array.from({ length: 1024 }, (_, i) => ((BigInt(i) * 7919n * 4096n) % size));
  const per = timeIt(() => { for (const o of offs) famfs_fuse_iomap_begin(ino, o, 4096n, 0, map, null); }) / offs.length;
  const offn = offs.map(Number);
  let sink = 0;
  const baseNs = timeIt(() => { for (const o of offn) { const c = Math.floor(o / 2097152); sink += (c % 32) * 1e9 + Math.floor(c / 32) * 2097152 + (o % 2097152); } }) / offn.length;
  if (sink < 0) console.log(sink);
  return { rate: 1e9 / per, base: 1e9 / baseNs };
}
const simple = resolveRate({ file_size: '0x4000000', extents: Array.from({ length: 16 }, (_, i) => ({ se_offset: `0x${(0x200000 * (2 * i + 1)).toString(16)}`, se_len: '0x400000' })) }, 0x4000000n);
const ilv = resolveRate({ ext_type: 'interleave', file_size: '0x8000000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x8000000', strips: Array.from({ length: 32 }, (_, i) => ({ se_offset: `0x${(0x10000000 * (i + 1)).toString(16)}`, se_len: '0x400000' })) }] }, 0x8000000n);
rows.push({ name: 'iomap resolutions/s, simple (16 extents)', value: simple.rate, unit: '/s', target: `(baseline ${(simple.base / 1e6).toFixed(1)} M/s)`, met: true });
rows.push({ name: 'iomap resolutions/s, interleaved (32 strips)', value: ilv.rate, unit: '/s', target: '>= 5 M/s', met: ilv.rate >= 5e6 });

// 2. read bandwidth through the whole path vs raw copy from the same store
function readRatio(chunk: number): { ratio: number; mibs: number } {
  const total = 64 << 20;
  const w = createWorld({ devices: [{ name: '/dev/dax0.0', size: '0x10000000' }], files: [{ path: 'f', fmap: { file_size: `0x${total.toString(16)}`, extents: [{ se_offset: '0x200000', se_len: `0x${total.toString(16)}` }] } }] });
  const fd = w.mnt.open('/f');
  const buf = new Uint8Array(chunk);
  const store = w.machine.device('/dev/dax0.0')!.store;
  store.write(0x200000, new Uint8Array(total).fill(1));
  const pathNs = timeIt(() => { for (let o = 0; o < total; o += chunk) w.mnt.pread(fd, buf, BigInt(o)); });
  const rawNs = timeIt(() => { for (let o = 0; o < total; o += chunk) store.read(0x200000 + o, buf); });
  return { ratio: rawNs / pathNs, mibs: (total / (1 << 20)) / (pathNs / 1e9) };
}
const r2m = readRatio(2 << 20);
const r4k = readRatio(4096);
rows.push({ name: 'read 2 MiB: path / raw copy', value: r2m.ratio, unit: 'x', target: '>= 0.8x', met: r2m.ratio >= 0.8 });
rows.push({ name: 'read 4 KiB: path / raw copy', value: r4k.ratio, unit: 'x', target: '>= 0.3x', met: r4k.ratio >= 0.3 });

// 3. every built-in conformance vector through the CLI
const bin = path.resolve(__dirname, '..', '..', 'bin', 'famfs-harness');
const t0 = Date.now();
const c = spawnSync(process.execPath, [bin, 'conformance', '--format', 'json'], { encoding: 'utf8' });
const wall = (Date.now() - t0) / 1000;
rows.push({ name: 'all conformance vectors via CLI (wall s)', value: wall, unit: 's', target: '<= 2 s', met: wall <= 2 && c.status === 0 });
// review of the example series, cdiff's gcc build and both-sides run included (make run's second step)
const root = path.resolve(__dirname, '..', '..');
const t1 = Date.now();
const rv = spawnSync(process.execPath, [bin, 'review', path.join(root, 'tests', 'fixtures', 'example-series', 'v2.mbox'),
  '--base-c', path.join(root, 'tests', 'fixtures', 'cdiff', 'famfs.c'), '--kfmap', path.join(root, 'cdiff', 'famfs_kfmap_model.h'), '--format', 'json'], { encoding: 'utf8' });
const reviewWall = (Date.now() - t1) / 1000;
rows.push({ name: 'review example series + cdiff via CLI (wall s)', value: reviewWall, unit: 's', target: '<= 5 s', met: reviewWall <= 5 && rv.status === 0 });
// parse cost of one GET_FMAP reply, for reference
const payload = encodeFmap({ file_size: '0x200000', extents: [{ se_offset: '0', se_len: '0x200000' }] });
rows.push({ name: 'fmap payload bytes (reference)', value: payload.length, unit: 'B', target: '-', met: true });

// 4. parse + fsck of a full default log (15420 entries) on a 4 GiB sparse image
const full = buildFullImage();
const f1 = timeFsck(full.store);
rows.push({ name: `parse + fsck, full log (${f1.report.entries} entries)`, value: f1.ms / 1000, unit: 's', target: '<= 1 s', met: f1.ms <= 1000 && f1.report.ok });
full.store.close?.();
fs.unlinkSync(full.file);

console.log('benchmark'.padEnd(48) + 'value'.padStart(14) + '  target');
for (const r of rows) {
  const v = r.unit === '/s' ? `${(r.value / 1e6).toFixed(2)} M/s` : r.unit === 'x' ? `${r.value.toFixed(2)}x` : `${r.value.toFixed(2)} ${r.unit}`;
  console.log(r.name.padEnd(48) + v.padStart(14) + `  ${r.target} ${r.target === '-' ? '' : r.met ? 'MET' : 'NOT MET'}`);
}
const out = path.resolve(__dirname, '..', '..', 'bench', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 1));
