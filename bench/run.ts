// make bench: every figure the median (min–max) of interleaved samples, with
// its reference measured in the same run (the C reference of bench/c for
// resolution, copies and parsing), the ratio and the target. Writes
// bench/results/latest.json and bench/results/scaling.md; with --update-docs
// also the scaling tables of Documentation/bench.md; --only=GROUP,... runs some
// groups (resolution read conformance fsck open heap fuzz cdiff scaling).
// See Documentation/bench.md.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { CReference, interleave, makeRow, nsPerOp, printRows, resultsDir, Row, SAMPLES, Target, wallMs, writeResults } from './lib';
import { interleavedFmap, resolveRow, simpleFmap } from './resolve';
import { readRows } from './read';
import { heapRow, openRow } from './open';
import { buildFullImage, removeImage, timeFsck } from './image_full';
import { FUZZ_BASES, fuzzPayload } from './fuzzlib';
import { scalingMarkdown, updateDocs } from './scaling';
import { benchRows as cdiffRows } from './cdiff';

const ROOT = path.resolve(__dirname, '..', '..');
const C_BIN = path.join(ROOT, 'dist', 'bench', 'famfs_ref');

async function resolutionRows(c: CReference): Promise<Row[]> {
  return [
    await resolveRow(c, 'resolution, interleaved (1 iext, 32 strips)', interleavedFmap(1, 32), { on: 'ratio', op: '>=', x: 0.1 }),
    await resolveRow(c, 'resolution, simple (16 extents)', simpleFmap(16), { on: 'ratio', op: '>=', x: 0.1 }),
  ];
}

/** All built-in conformance vectors through the CLI, wall time, against a bare Node start. */
async function conformanceRow(): Promise<Row> {
  const bin = path.join(ROOT, 'bin', 'famfs-harness');
  let status: number | null = 0;
  const s = await interleave(() => wallMs(() => { status = spawnSync(process.execPath, [bin, 'conformance', '--format', 'json'], { encoding: 'utf8' }).status ?? status; }) / 1e3,
    () => wallMs(() => spawnSync(process.execPath, ['-e', '0'])) / 1e3);
  const row = makeRow('all built-in conformance vectors via the CLI (wall)', 's', s.path, { name: 'node -e 0 (bare Node start)', samples: s.ref }, { on: 'value', op: '<=', x: 0.3 });
  if (status !== 0) { row.met = false; row.target += ` [conformance exited ${status}]`; }
  return row;
}

/** parse + fsck of a log (warm), against reading the log's bytes out of the same store. */
async function fsckRow(name: string, entries: number | undefined, loglen: bigint | undefined, target: Target | null): Promise<Row> {
  const img = buildFullImage(undefined, { entries, loglen });
  try {
    const logBytes = new Uint8Array(Number(loglen ?? 8n << 20n));
    let report = timeFsck(img.store).report;
    const s = await interleave(() => { const r = timeFsck(img.store); report = r.report; return r.ms; }, () => wallMs(() => img.store.read(0x200000, logBytes)));
    const row = makeRow(name.replace('%N', String(report.entries)), 'ms', s.path, { name: `read the ${logBytes.length >> 20} MiB log from the store`, samples: s.ref }, target);
    if (!report.ok || report.entries !== img.entries) { row.met = false; row.target += ` [fsck: ok=${report.ok}, ${report.entries} entries]`; }
    return row;
  } finally {
    removeImage(img);
  }
}


/** Fuzz payloads/s through bench/fuzzlib.ts (parse + open + resolution), against the C parse of the base payloads. */
async function fuzzRow(c: CReference): Promise<Row> {
  let seed = 1;
  let bad = 0;
  const sample = (): number => 1e9 / nsPerOp(() => {
    for (let k = 0; k < 200; k++, seed++) if (!fuzzPayload(FUZZ_BASES[seed % 2], seed).ok) bad++;
    return 200;
  }, 300);
  const hexes = FUZZ_BASES.map((b) => Buffer.from(b).toString('hex'));
  let turn = 0;
  const s = await interleave(sample, async () => 1e9 / Number((await c.cmd(`parse ${hexes[turn++ % 2]} 120`))[0]));
  const row = makeRow('fuzz: payloads through parse + open + resolution', '/s', s.path, { name: 'C parse of the base payloads', samples: s.ref }, { on: 'value', op: '>=', x: 50000 });
  if (bad) { row.met = false; row.target += ` [${bad} fuzz failures]`; }
  return row;
}

async function main(): Promise<void> {
  const updateDocsFlag = process.argv.includes('--update-docs');
  const c = new CReference(C_BIN);
  const rows: Row[] = [];
  const scaling: Record<string, Row[]> = { resolution: [], open: [], fsck: [], memory: [] };
  const t0 = Date.now();
  const only = (process.argv.find((x) => x.startsWith('--only=')) ?? '').slice(7).split(',').filter(Boolean);
  const want = (group: string): boolean => !only.length || only.includes(group);
  try {
    if (want('resolution')) rows.push(...await resolutionRows(c));
    if (want('read')) rows.push(...await readRows(c, 4096, '4 KiB', 0.5), ...await readRows(c, 2 << 20, '2 MiB', 0.9));
    if (want('conformance')) rows.push(await conformanceRow());
    if (want('fsck')) rows.push(await fsckRow('parse + fsck, full default log (%N entries), warm', undefined, undefined, { on: 'value', op: '<=', x: 50 }));
    if (want('open')) rows.push(await openRow(c, 'open of a 1-extent file (LOOKUP + OPEN + GET_FMAP + parse)', 1, { on: 'value', op: '<=', x: 20 }));
    if (want('heap')) rows.push(heapRow('heap with 10 000 open files', 10000, { on: 'value', op: '<=', x: 50 }));
    if (want('fuzz')) rows.push(await fuzzRow(c));
    if (want('cdiff')) rows.push(...await cdiffRows());
    if (want('scaling') && !process.argv.includes('--no-scaling')) {
      for (const n of [1, 8, 32]) scaling.resolution.push(await resolveRow(c, `simple, ${n} extent${n > 1 ? 's' : ''}`, simpleFmap(n), null));
      for (const n of [1, 8, 32]) scaling.resolution.push(await resolveRow(c, `interleaved, ${n} iext${n > 1 ? 's' : ''} x 2 strips`, interleavedFmap(n, 2), null));
      scaling.resolution.push(await resolveRow(c, 'interleaved, 1 iext x 32 strips', interleavedFmap(1, 32), null));
      for (const n of [1, 8, 32]) scaling.open.push(await openRow(c, `${n} extent${n > 1 ? 's' : ''}`, n, null, 1000));
      for (const n of [1000, 4000, 15000, 30000, 61000]) scaling.fsck.push(await fsckRow(`%N entries (32 MiB log)`, n, 32n << 20n, null));
      for (const n of [1000, 5000, 10000, 20000]) scaling.memory.push(heapRow(`${n} open files`, n, null));
    }
  } finally {
    c.close();
  }
  console.log(`famfs-harness bench: ${SAMPLES} interleaved samples per figure, node ${process.version}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  printRows(rows);
  const met = rows.filter((r) => r.met === true).length;
  const targeted = rows.filter((r) => r.met !== null).length;
  console.log(`\ntargets met: ${met} of ${targeted}`);
  const md = scalingMarkdown(scaling);
  if (md) {
    fs.writeFileSync(path.join(resultsDir(), 'scaling.md'), md);
    console.log(`\n${md}`);
    if (updateDocsFlag) console.log(`updated ${updateDocs(path.join(ROOT, 'Documentation', 'bench.md'), md)}`);
  }
  console.log(`results: ${writeResults(rows, { scaling })}`);
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
});
