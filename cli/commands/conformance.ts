// famfs-harness conformance [--format pretty|ktap|junit|json] [--filter GLOB] [--vectors PATH...] [-o FILE]
import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import { builtinVectorFiles, loadVectorFile, runVector, Vector, VectorFileError, VectorResult } from '../../checks/vectors';
import { closingLine, diagnostics, exitCode, headerComment, toJsonLines, toJunit, toKtap, totals, totalsLine } from '../../checks/report';
import { writeOut, UsageError, chalk } from '../io';
import { readSeries } from './series';
import { touchesVector } from '../../checks/review';

function globToRe(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
}

function vectorFiles(paths: string[] | undefined): string[] {
  if (!paths || !paths.length) return builtinVectorFiles();
  return paths.flatMap((p) => {
    if (!fs.existsSync(p)) throw new UsageError(`no such vector file or folder: ${p}`);
    return fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(p, f)) : [p];
  });
}

export function runConformance(paths: string[] | undefined, filter: string | undefined, keep?: (v: Vector) => boolean): VectorResult[] {
  const re = filter ? globToRe(filter) : null;
  const results: VectorResult[] = [];
  for (const file of vectorFiles(paths)) {
    let vectors: Vector[];
    try {
      vectors = loadVectorFile(file);
    } catch (e) {
      if (e instanceof VectorFileError) throw new UsageError(e.message);
      throw e;
    }
    for (const v of vectors) if ((!keep || keep(v)) && (!re || re.test(v.id) || re.test(v.fn))) results.push(runVector(v, file));
  }
  return results;
}

function pretty(results: VectorResult[]): string {
  const lines = [chalk.bold(headerComment())];
  for (const r of results) {
    const tag = { pass: chalk.green('PASS '), xfail: chalk.yellow('XFAIL'), fail: chalk.red('FAIL '), xpass: chalk.red('XPASS'), skip: chalk.gray('SKIP '), error: chalk.red('ERROR') }[r.status];
    lines.push(`${tag} ${r.vector.fn.padEnd(36)} ${r.vector.id}`);
    if (r.status === 'fail' || r.status === 'xpass' || r.status === 'error') lines.push(...diagnostics(r).map((d) => `        ${d}`));
  }
  const t = totals(results);
  lines.push(totalsLine(t), closingLine(t));
  return lines.join('\n') + '\n';
}

export function register(y: Argv): Argv {
  return y.command('conformance', 'run the test vectors against the port', (a) => a
    .option('format', { choices: ['pretty', 'ktap', 'junit', 'json'] as const, default: 'pretty' as const })
    .option('filter', { type: 'string', describe: 'glob over vector ids or C function names' })
    .option('vectors', { type: 'string', array: true, describe: 'vector files or folders (default: the built-in set)' })
    .option('series', { type: 'string', describe: 'an mbox or patch (mail as delivered): run only the vectors of the C functions the series defines or changes' })
    .option('o', { alias: 'output', type: 'string', describe: 'write the report here' }),
  (argv) => {
    const series = argv.series === undefined ? undefined : readSeries(String(argv.series));
    const results = runConformance(argv.vectors as string[] | undefined, argv.filter, series && touchesVector(series));
    if (!results.length) throw new UsageError(series ? `${argv.series}: no vector exercises a function the series touches (${series.touched.join(', ') || 'none'})` : `no vector matches ${argv.filter ?? ''}`);
    const fmt = { pretty, ktap: toKtap, junit: toJunit, json: toJsonLines }[argv.format];
    writeOut(fmt(results), argv.o);
    if (argv.o) console.log(closingLine(totals(results)));
    process.exitCode = exitCode(totals(results));
  });
}
