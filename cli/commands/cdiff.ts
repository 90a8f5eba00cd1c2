// famfs-harness cdiff --c-source FILE [--kfmap FILE] [--uapi FILE] [--series MBOX]
//   [--format pretty|ktap|junit|json|jsonl] [--filter GLOB]... [--vectors PATH...] [--shard K/N]
//   [--fail-nth N|all] [-o FILE] [--keep-build DIR]
import type { Argv } from 'yargs';
import { runCdiff, CdiffReport } from '../../checks/cdiff';
import { CdiffBuildError, CSources } from '../../checks/cdiff_build';
import { VectorFileError, VectorResult } from '../../checks/vectors';
import { closingLine, exitCode, toJsonLines, toJsonReport, toJunit, toKtap, totals } from '../../checks/report';
import { parseShard, SelectError } from '../../checks/select';
import { FORMATS, pretty as prettyReport, selectForCli } from './conformance';
import { readMail } from '../../checks/mail';
import { FAMFS_C, FAMFS_KFMAP, rebuildSeries, RebuildError } from '../../checks/rebuild';
import { readFileOrFail, writeOut, usageOn, UsageError } from '../io';

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
  const read = readMail(readFileOrFail(mbox));
  if (!read.patches.length) throw new UsageError(`${mbox}: no patches in it (${read.messages} messages)`);
  let rebuilt;
  try {
    rebuilt = rebuildSeries(read.patches);
  } catch (e) {
    if (e instanceof RebuildError) throw new UsageError(`${mbox}: ${e.message}`);
    throw e;
  }
  const famfs_c = rebuilt.files.get(FAMFS_C);
  if (famfs_c === undefined) throw new UsageError(`${mbox}: the series creates no ${FAMFS_C}`);
  const src: CSources = { famfs_c, kfmap: rebuilt.files.get(FAMFS_KFMAP) };
  if (rebuilt.uapi.trim()) src.uapi = rebuilt.uapi;
  return { src, args: `--series ${mbox}` };
}

const pretty = (rep: CdiffReport): string =>
  prettyReport(rep.results, { header: `; cdiff: built in ${rep.build.seconds.toFixed(2)} s`, beforeTotals: summary(rep) });

function summary(rep: CdiffReport): string[] {
  return [
    `# cdiff: ${rep.ran} vectors ran on both sides, ${rep.agreed} agree, ${rep.ran - rep.agreed} disagree`,
    ...rep.findings.map((f) => `# C sanitizer finding: ${f}`),
  ];
}

/** KTAP/JUnit/JSON with the cdiff summary as comments (KTAP) or its own member / trailing record (JSON). */
function formatted(fmt: string, rep: CdiffReport): string {
  const rs: VectorResult[] = rep.results;
  if (fmt === 'ktap') {
    const k = toKtap(rs).split('\n');
    const at = k.findIndex((l) => l.startsWith('# Totals'));
    k.splice(at, 0, ...summary(rep));
    return k.join('\n');
  }
  if (fmt === 'junit') return toJunit(rs);
  const tail = { ran: rep.ran, agreed: rep.agreed, findings: rep.findings, disagreements: rep.disagreements, build_seconds: rep.build.seconds };
  if (fmt === 'json') return JSON.stringify({ ...toJsonReport(rs, null), cdiff: tail }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
  return toJsonLines(rs) + JSON.stringify({ cdiff: tail }) + '\n';
}

export function register(y: Argv): Argv {
  return y.command('cdiff', "run the vectors against a revision's real famfs.c and the port, side by side", (a) => a
    .option('c-source', { type: 'string', describe: 'the revision\'s fs/fuse/famfs.c' })
    .option('kfmap', { type: 'string', describe: 'its fs/fuse/famfs_kfmap.h (default: our model of v9)' })
    .option('uapi', { type: 'string', describe: 'its uapi fuse.h famfs definitions (default: generated from our layouts)' })
    .option('series', { type: 'string', describe: 'rebuild famfs.c, famfs_kfmap.h and the uapi from a patch series (mbox)' })
    .option('format', { choices: FORMATS, default: 'pretty' as const, describe: 'pretty, ktap, junit, json (one document, with a cdiff member) or jsonl, as for conformance' })
    .option('filter', { type: 'string', array: true, describe: 'run only matching cases; repeatable; globs as for conformance (*, ?, {a,b}, SUITE.CASE)' })
    .option('shard', { type: 'string', describe: 'run shard K of N (K/N) of the selected cases, e.g. to split --fail-nth all over a CI matrix' })
    .option('vectors', { type: 'string', array: true, describe: 'vector files or folders (default: the built-in set)' })
    .option('fail-nth', { type: 'string', describe: 'fail the Nth allocation in every case, or "all" to sweep every allocation' })
    .option('keep-build', { type: 'string', describe: 'build in this folder and keep it' })
    .option('o', { alias: 'output', type: 'string', describe: 'write the report here' }),
  (argv) => {
    const { src, args } = sources(argv);
    const fn = argv['fail-nth'];
    if (fn !== undefined && fn !== 'all' && !/^[1-9]\d*$/.test(fn)) throw new UsageError(`--fail-nth: expected a positive number or "all", got ${fn}`);
    let rep: CdiffReport;
    try {
      const shard = argv.shard === undefined ? null : usageOn([SelectError], () => parseShard(argv.shard as string));
      const cases = selectForCli(argv.vectors as string[] | undefined, argv.filter, shard).cases;
      if (!cases.length) throw new UsageError(`no vector matches ${(argv.filter ?? []).join(' ')}`);
      rep = runCdiff({ sources: src, sourceArgs: args, cases, failNth: fn === undefined ? undefined : fn === 'all' ? 'all' : Number(fn), keepBuild: argv['keep-build'] });
    } catch (e) {
      if (e instanceof CdiffBuildError || e instanceof VectorFileError) throw new UsageError(e.message);
      throw e;
    }
    writeOut(argv.format === 'pretty' ? pretty(rep) : formatted(argv.format, rep), argv.o);
    // the report itself stays pure; people and CI read the counts on stderr
    if (argv.format !== 'pretty' || argv.o) process.stderr.write(closingLine(totals(rep.results)) + '\n');
    process.exitCode = exitCode(totals(rep.results));
  });
}
