// famfs-harness cdiff --c-source FILE [--kfmap FILE] [--uapi FILE] [--series MBOX]
//   [--format pretty|ktap|junit|json|jsonl] [--filter GLOB]... [--vectors PATH...] [--shard K/N]
//   [--fail-nth N|all] [-o FILE] [--keep-build DIR]
import type { Argv } from 'yargs';
import { cdiffSummary, runCdiff, CdiffReport } from '../../checks/cdiff';
import { CdiffBuildError, CSources } from '../../checks/cdiff_build';
import { bigintSafe, closingLine, exitCode, Indexed, JsonReport, toJsonLines, toJsonReport, toJunit, toKtap, totals } from '../../checks/report';
import { FILTER_OPTION, FORMATS, pretty as prettyReport, selectedOrFail, shardOption, VECTORS_OPTION } from './conformance';
import { inSeriesOrder, readMail } from '../../checks/mail';
import { FAMFS_C, FAMFS_KFMAP, rebuildSeries, RebuildError } from '../../checks/rebuild';
import { readFileOrFail, writeOut, usageOn, UsageError } from '../io';
import { mailBytes } from './series';

function sources(argv: { 'c-source'?: string; kfmap?: string; uapi?: string; series?: string }): { src: CSources; args: string } {
  if (argv.series !== undefined) return seriesSources(argv.series);
  if (!argv['c-source']) throw new UsageError('cdiff needs --c-source FILE (a famfs.c) or --series MBOX');
  const read = (f: string) => readFileOrFail(f).toString('utf8');
  const src: CSources = { famfs_c: read(argv['c-source']) };
  let args = `--c-source ${argv['c-source']}`;
  if (argv.kfmap) { src.kfmap = read(argv.kfmap); args += ` --kfmap ${argv.kfmap}`; }
  if (argv.uapi) { src.uapi = read(argv.uapi); args += ` --uapi ${argv.uapi}`; }
  return { src, args };
}

/** --series: famfs.c, famfs_kfmap.h and the uapi rebuilt from the series' own hunks. */
function seriesSources(mbox: string): { src: CSources; args: string } {
  const read = readMail(mailBytes(mbox));
  if (!read.patches.length) throw new UsageError(`${mbox}: no patches in it (${read.messages} messages)`);
  const rebuilt = usageOn([RebuildError], () => rebuildSeries(inSeriesOrder(read.patches)), `${mbox}: `);
  const famfs_c = rebuilt.files.get(FAMFS_C);
  if (famfs_c === undefined) throw new UsageError(`${mbox}: the series creates no ${FAMFS_C}`);
  const src: CSources = { famfs_c, kfmap: rebuilt.files.get(FAMFS_KFMAP) };
  if (rebuilt.uapi.trim()) src.uapi = rebuilt.uapi;
  return { src, args: `--series ${mbox}` };
}

const summary = (rep: CdiffReport): string[] => [`# cdiff: ${cdiffSummary(rep)}`, ...rep.findings.map((f) => `# C sanitizer finding: ${f}`)];

const pretty = (rep: CdiffReport): string =>
  prettyReport(rep.results, { header: `; cdiff: built in ${rep.build.seconds.toFixed(2)} s`, beforeTotals: summary(rep) });

/**
 * KTAP with the cdiff summary as comments before the totals; JSON with a
 * cdiff member and, for a shard, the shard so `report merge` joins it; JUnit
 * and JSONL exactly as conformance writes them (JSONL stays readable as a
 * --baseline), the summary on stderr.
 */
function formatted(fmt: string, rep: CdiffReport, results: Indexed[], shard: JsonReport['shard']): string {
  if (fmt === 'ktap') {
    const k = toKtap(results).split('\n');
    k.splice(k.findIndex((l) => l.startsWith('# Totals')), 0, ...summary(rep));
    return k.join('\n');
  }
  if (fmt === 'json') {
    const cdiff = { ran: rep.ran, agreed: rep.agreed, findings: rep.findings, disagreements: rep.disagreements, build_seconds: rep.build.seconds };
    return JSON.stringify({ ...toJsonReport(results, shard), cdiff }, bigintSafe, 2) + '\n';
  }
  process.stderr.write(summary(rep).join('\n') + '\n');
  return fmt === 'junit' ? toJunit(results) : toJsonLines(results);
}

export function register(y: Argv): Argv {
  return y.command('cdiff', "run the vectors against a revision's real famfs.c and the port, side by side", (a) => a
    .option('c-source', { type: 'string', describe: 'the revision\'s fs/fuse/famfs.c' })
    .option('kfmap', { type: 'string', describe: 'its fs/fuse/famfs_kfmap.h (default: our model of v9)' })
    .option('uapi', { type: 'string', describe: 'its uapi fuse.h famfs definitions (default: generated from our layouts)' })
    .option('series', { type: 'string', describe: 'rebuild famfs.c, famfs_kfmap.h and the uapi from a patch series (mbox)' })
    .option('format', { choices: FORMATS, default: 'pretty' as const, describe: 'pretty, ktap, junit, json (one document, with a cdiff member) or jsonl, as for conformance' })
    .option('filter', FILTER_OPTION)
    .option('shard', { type: 'string', describe: 'run shard K of N (K/N) of the selected cases, e.g. to split --fail-nth all over a CI matrix' })
    .option('vectors', VECTORS_OPTION)
    .option('fail-nth', { type: 'string', describe: 'fail the Nth allocation in every case, or "all" to sweep every allocation' })
    .option('keep-build', { type: 'string', describe: 'build in this folder and keep it' })
    .option('o', { alias: 'output', type: 'string', describe: 'write the report here' }),
  (argv) => {
    const { src, args } = sources(argv);
    const fn = argv['fail-nth'];
    if (fn !== undefined && fn !== 'all' && !/^[1-9]\d*$/.test(fn)) throw new UsageError(`--fail-nth: expected a positive number or "all", got ${fn}`);
    const shard = shardOption(argv.shard);
    const sweep = fn === 'all';
    // the sweep adds rows that no other shard can number, so its shards are not joined
    if (sweep && shard && argv.format === 'json') throw new UsageError('--fail-nth all --shard K/N: --format json shards cannot be joined by report merge (run each shard for its own report and exit code)');
    const { cases, total } = selectedOrFail(argv.vectors as string[] | undefined, argv.filter, shard);
    const rep = usageOn([CdiffBuildError], () => runCdiff({ sources: src, sourceArgs: args, cases, failNth: fn === undefined ? undefined : sweep ? 'all' : Number(fn), keepBuild: argv['keep-build'] }));
    // each result numbered by its case's place in the whole (unsharded) run
    const results: Indexed[] = rep.results.map((r, i) => ({ ...r, index: i < cases.length ? cases[i].index : undefined }));
    writeOut(argv.format === 'pretty' ? pretty(rep) : formatted(argv.format, rep, results, shard && !sweep ? { ...shard, cases: total } : null), argv.o);
    // the report itself stays pure; people and CI read the counts on stderr
    if (argv.format !== 'pretty' || argv.o) process.stderr.write(closingLine(totals(rep.results)) + '\n');
    process.exitCode = exitCode(totals(rep.results));
  });
}
