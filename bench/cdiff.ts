// cdiff speed: every vector through both sides, the gcc ASan/UBSan build
// included, in one run of the command's own code path. Target: <= 5 s.
// Runs on the project's fixture famfs.c, or on CDIFF_C_SOURCE (+ CDIFF_KFMAP)
// when set (e.g. a reviewer's real famfs.c outside the repo).
// Exported for bench/run.ts; `node dist/bench/cdiff.js` prints the row alone.
import * as fs from 'fs';
import * as path from 'path';
import { runCdiff, selectCases } from '../checks/cdiff';

export interface CdiffBenchRow { name: string; value: number; unit: string; target: string; met: boolean }

const TARGET_S = 5;

function fixtureSource(): string {
  const dirs = [path.resolve(__dirname, '..', 'tests', 'fixtures', 'cdiff'), path.resolve(__dirname, '..', '..', 'tests', 'fixtures', 'cdiff')];
  const d = dirs.find((x) => fs.existsSync(path.join(x, 'famfs.c')));
  if (!d) throw new Error('bench/cdiff: tests/fixtures/cdiff/famfs.c not found');
  return path.join(d, 'famfs.c');
}

export function benchCdiff(): CdiffBenchRow[] {
  const cfile = process.env.CDIFF_C_SOURCE ?? fixtureSource();
  const kfmap = process.env.CDIFF_KFMAP;
  const t0 = process.hrtime.bigint();
  const rep = runCdiff({
    sources: { famfs_c: fs.readFileSync(cfile, 'utf8'), kfmap: kfmap ? fs.readFileSync(kfmap, 'utf8') : undefined },
    sourceArgs: `--c-source ${cfile}`, cases: selectCases(undefined, undefined),
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return [
    { name: `cdiff: ${rep.results.length} vectors, ${rep.ran} on both sides, build included (${path.basename(cfile)})`, value: s, unit: 's', target: `<= ${TARGET_S} s`, met: s <= TARGET_S },
    { name: 'cdiff: gcc build of famfs.c + driver (ASan+UBSan)', value: rep.build.seconds, unit: 's', target: '(part of the above)', met: true },
  ];
}

if (require.main === module) {
  for (const r of benchCdiff()) console.log(`${r.met ? 'ok  ' : 'MISS'} ${r.name}: ${r.value.toFixed(2)} ${r.unit} (target ${r.target})`);
}
