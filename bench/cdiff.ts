// cdiff speed: every vector through both sides, the gcc ASan/UBSan build
// included, in one run of the command's own code path (target <= 5 s), and the
// whole `review` of the example series (make run's second step). The reference
// is the port alone over the same vectors, so the ratio shows what the C side
// adds. Runs on the project's fixture famfs.c, or on CDIFF_C_SOURCE
// (+ CDIFF_KFMAP) when set (e.g. a reviewer's real famfs.c outside the repo).
// bench/run.ts takes benchRows(); `node dist/bench/cdiff.js` prints them alone.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { runCdiff, selectCases } from '../checks/cdiff';
import { runVector } from '../checks/vectors';
import { interleave, makeRow, printRows, Row, wallMs } from './lib';

const ROOT = [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')].find((d) => fs.existsSync(path.join(d, 'tests', 'fixtures', 'cdiff', 'famfs.c')));

function fixture(...parts: string[]): string {
  if (!ROOT) throw new Error('bench/cdiff: tests/fixtures/cdiff/famfs.c not found');
  return path.join(ROOT, ...parts);
}

export async function benchRows(): Promise<Row[]> {
  const cfile = process.env.CDIFF_C_SOURCE ?? fixture('tests', 'fixtures', 'cdiff', 'famfs.c');
  const kfmap = process.env.CDIFF_KFMAP;
  const sources = { famfs_c: fs.readFileSync(cfile, 'utf8'), kfmap: kfmap ? fs.readFileSync(kfmap, 'utf8') : undefined };
  const cases = selectCases(undefined, undefined);
  let agreed = true;
  const both = () => wallMs(() => { const r = runCdiff({ sources, sourceArgs: `--c-source ${cfile}`, cases }); agreed &&= r.agreed === r.ran; }) / 1e3;
  const portOnly = () => wallMs(() => { for (const c of cases) runVector(c.vector, c.file); }) / 1e3;
  const s = await interleave(both, portOnly);
  const rows = [makeRow(`cdiff: ${cases.length} vectors, both sides, gcc build included (${path.basename(cfile)})`, 's', s.path,
    { name: 'the port alone over the same vectors', samples: s.ref }, { on: 'value', op: '<=', x: 5 })];
  if (!agreed) { rows[0].met = false; rows[0].target += ' [a disagreement]'; }

  const bin = fixture('bin', 'famfs-harness');
  const args = ['review', fixture('tests', 'fixtures', 'example-series', 'v2.mbox'), '--base-c', fixture('tests', 'fixtures', 'cdiff', 'famfs.c'),
    '--kfmap', fixture('cdiff', 'famfs_kfmap_model.h'), '--format', 'json'];
  let status: number | null = 0;
  const rv = await interleave(() => wallMs(() => { status = spawnSync(process.execPath, [bin, ...args]).status; }) / 1e3,
    () => wallMs(() => spawnSync(process.execPath, ['-e', '0'])) / 1e3);
  const review = makeRow('review of the example series, cdiff included, via the CLI (wall)', 's', rv.path, { name: 'node -e 0 (bare Node start)', samples: rv.ref }, { on: 'value', op: '<=', x: 5 });
  if (status !== 0) { review.met = false; review.target += ` [review exited ${status}]`; }
  return [...rows, review];
}

if (require.main === module) {
  benchRows().then((rows) => printRows(rows)).catch((e) => { console.error(`bench/cdiff: ${(e as Error).message}`); process.exitCode = 1; });
}
