// famfs-harness conformance [--format pretty|ktap|junit|json|jsonl] [--filter GLOB]... [--list]
//   [--vectors PATH...] [--baseline PREV.json] [--shard K/N] [-o FILE]
import type { Argv } from 'yargs';
import { runVector, Vector, VectorFileError, VectorResult } from '../../checks/vectors';
import { closingLine, diagnostics, exitCode, fromJsonText, headerComment, Indexed, ReportFileError, toJson, toJsonLines, toJunit, toKtap, totals, totalsLine } from '../../checks/report';
import { parseShard, Selected, selectVectors, SelectError, Shard } from '../../checks/select';
import { baselineLines, compareWithBaseline, isRegression } from '../../checks/baseline';
import { writeOut, readInputFile, usageOn, UsageError, chalk, EXIT_FAIL, EXIT_OK } from '../io';
import { readSeries } from './series';
import { touchesVector } from '../../checks/review';

/** Selection errors and malformed vector files are usage errors (exit 2). */
export function selectForCli(paths: string[] | undefined, filters: string | readonly string[] | undefined, shard: Shard | null = null,
  keep?: (v: Vector) => boolean): { cases: Selected[]; total: number } {
  return usageOn([SelectError, VectorFileError], () => selectVectors(paths, filters, shard, readVectorText, keep));
}

const readVectorText = (file: string): string => readInputFile(file, { what: 'vector file' }).toString('utf8');

const runSelected = (cases: Selected[]): Indexed[] => cases.map((s) => ({ ...runVector(s.vector, s.file), index: s.index }));

export function runConformance(paths: string[] | undefined, filters?: string | readonly string[], shard: Shard | null = null): Indexed[] {
  return runSelected(selectForCli(paths, filters, shard).cases);
}

/** The human report: one line per case, diagnostics under failures; a caller (cdiff) adds to the header and before the totals. */
export function pretty(results: VectorResult[], extra: { header?: string; beforeTotals?: string[] } = {}): string {
  const lines = [chalk.bold(headerComment() + (extra.header ?? ''))];
  for (const r of results) {
    const tag = { pass: chalk.green('PASS '), xfail: chalk.yellow('XFAIL'), fail: chalk.red('FAIL '), xpass: chalk.red('XPASS'), skip: chalk.gray('SKIP '), error: chalk.red('ERROR') }[r.status];
    lines.push(`${tag} ${r.vector.fn.padEnd(36)} ${r.vector.id}${r.status === 'skip' && r.why ? chalk.gray(`  (${r.why})`) : ''}`);
    if (r.status === 'fail' || r.status === 'xpass' || r.status === 'error') lines.push(...diagnostics(r).map((d) => `        ${d}`));
  }
  lines.push(...(extra.beforeTotals ?? []));
  const t = totals(results);
  lines.push(totalsLine(t), closingLine(t));
  return lines.join('\n') + '\n';
}

const readBaseline = (file: string): Indexed[] =>
  usageOn([ReportFileError], () => fromJsonText(readInputFile(file, { what: 'baseline' }).toString('utf8'), file));

export const FORMATS = ['pretty', 'ktap', 'junit', 'json', 'jsonl'] as const;

/** The selection options conformance and cdiff share (as DAX_OPTION is shared in io.ts). */
export const FILTER_OPTION = { type: 'string', array: true, describe: 'run only matching cases; repeatable (any match counts). Globs with *, ? and {a,b} over a case id or a C function name, or SUITE.CASE for both' } as const;
export const VECTORS_OPTION = { type: 'string', array: true, describe: 'vector files or folders (default: the built-in set)' } as const;

/** --shard K/N, or null without it; a malformed one is a usage error. */
export const shardOption = (s: string | undefined): Shard | null => (s === undefined ? null : usageOn([SelectError], () => parseShard(s)));

/** The selected cases; none is a usage error naming the filters. */
export function selectedOrFail(paths: string[] | undefined, filters: readonly string[] | undefined, shard: Shard | null): { cases: Selected[]; total: number } {
  const sel = selectForCli(paths, filters, shard);
  if (!sel.cases.length) throw new UsageError(`no vector matches ${(filters ?? []).join(' ')}`);
  return sel;
}

export function register(y: Argv): Argv {
  return y.command('conformance', 'run the test vectors against the port', (a) => a
    .option('format', { choices: FORMATS, default: 'pretty' as const, describe: 'pretty (for people); ktap (kunit.py parse reads it); junit (Jenkins xunit junit-10.xsd); json (one document); jsonl (one object per case, then a totals line)' })
    .option('filter', FILTER_OPTION)
    .option('list', { type: 'boolean', describe: 'print the selected cases, one SUITE.CASE per line, without running them' })
    .option('vectors', VECTORS_OPTION)
    .option('baseline', { type: 'string', describe: 'a previous run\'s --format json (or jsonl) report: list new failures, fixed cases and XFAIL->XPASS; exit 1 only on a regression' })
    .option('shard', { type: 'string', describe: 'run shard K of N (K/N, 1-based): a deterministic round-robin split of the selected cases; join the shards\' --format json with `report merge`' })
    .option('series', { type: 'string', describe: 'an mbox or patch (mail as delivered): run only the vectors of the C functions the series defines or changes' })
    .option('o', { alias: 'output', type: 'string', describe: 'write the report to this file instead of stdout' }),
  (argv) => {
    const shard = shardOption(argv.shard);
    const series = argv.series === undefined ? undefined : readSeries(String(argv.series));
    const keep = series && touchesVector(series);
    if (argv.list) {
      const sel = selectForCli(argv.vectors as string[] | undefined, argv.filter, shard, keep).cases;
      writeOut(sel.map((s) => `${s.vector.fn}.${s.vector.id}\n`).join(''), argv.o);
      process.exitCode = EXIT_OK;
      return;
    }
    const baseline = argv.baseline === undefined ? null : readBaseline(argv.baseline);
    const { cases, total } = selectForCli(argv.vectors as string[] | undefined, argv.filter, shard, keep);
    const results = runSelected(cases);
    if (!results.length) throw new UsageError(series ? `${argv.series}: no vector exercises a function the series touches (${series.touched.join(', ') || 'none'})` : `no vector matches ${(argv.filter ?? []).join(' ')}`);
    const render = { pretty, ktap: toKtap, junit: toJunit, json: (r: Indexed[]) => toJson(r, shard && { ...shard, cases: total }), jsonl: toJsonLines }[argv.format];
    writeOut(render(results), argv.o);
    // the report itself stays pure; people and CI read the counts on stderr
    if (argv.format !== 'pretty' || argv.o) process.stderr.write(closingLine(totals(results)) + '\n');
    if (!baseline) { process.exitCode = exitCode(totals(results)); return; }
    const diff = compareWithBaseline(baseline.map(outcome), results.map(outcome));
    const lines = baselineLines(diff, argv.baseline as string);
    if (argv.format === 'pretty' && !argv.o) process.stdout.write(lines.join('\n') + '\n');
    else process.stderr.write(lines.join('\n') + '\n');
    process.exitCode = isRegression(diff) ? EXIT_FAIL : EXIT_OK;
  });
}

const outcome = (r: VectorResult) => ({ fn: r.vector.fn, id: r.vector.id, status: r.status, why: r.why });
