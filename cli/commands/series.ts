// famfs-harness series FILE.mbox [--json]
import type { Argv } from 'yargs';
import { MailError, readMail, unpackMail } from '../../checks/mail';
import { analyzeSeries, rowsToRecheck, SeriesReport } from '../../checks/series';
import { buildPortMap } from '../../checks/portmap';
import { builtinVectors } from '../../checks/vectors';
import { readFileOrFail, jsonLine, UsageError, chalk, EXIT_OK } from '../io';

/** The bytes of a mail file (an mbox, a patch, lore's t.mbox.gz unpacked); unreadable is a usage error. */
export function mailBytes(file: string, what = 'mbox'): Buffer {
  try {
    return unpackMail(readFileOrFail(file, what));
  } catch (e) {
    if (e instanceof MailError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Read an mbox / patch / diff through the mail reader and analyse it; no patch is a usage error. */
export function readSeries(file: string): SeriesReport {
  const report = analyzeSeries(readMail(mailBytes(file)));
  if (!report.patches.length) {
    const why = report.skipped.length ? ` (${report.skipped.map((s) => s.reason).join(', ')})` : '';
    throw new UsageError(`${file}: no patch found${why}; expected an mbox, a git format-patch file or a diff`);
  }
  return report;
}

function printPretty(file: string, report: SeriesReport, recheck: ReturnType<typeof rowsToRecheck>): void {
  report.patches.forEach((p, i) => {
    console.log(chalk.bold(`${i + 1}. ${p.subject}`) + chalk.gray(`  (${p.encoding})`));
    for (const f of p.files) console.log(`   ${f}${p.created.includes(f) ? '  (new file)' : ''}`);
    for (const h of p.hunks.filter((x) => x.functions.length)) console.log(`     ${h.file.split('/').pop()} ${h.header.replace(/ @@.*/, ' @@')}  -> ${h.functions.join(', ')}`);
    for (const pr of p.problems) console.log(chalk.red(`   problem: ${pr}`));
    if (p.files.some((f) => f.endsWith('include/uapi/linux/fuse.h'))) console.log(`     uapi changes: check them with \`famfs-harness abi --check ${file}\``);
  });
  for (const s of report.skipped) console.log(chalk.gray(`skipped: ${s.subject || '(no subject)'} (${s.reason})`));
  console.log(chalk.bold('\ncompleteness: ') + (report.completeness.complete ? report.completeness.line : chalk.yellow(report.completeness.line)));
  console.log(chalk.bold('functions touched: ') + (report.touched.join(', ') || 'none'));
  console.log(chalk.bold('ported functions to re-check:'));
  for (const r of recheck) console.log(`   ${r.c_function.padEnd(36)} ${r.ts ?? 'not ported'}  (${r.vectors.length} vectors)`);
  if (!recheck.length) console.log('   none');
}

export function register(y: Argv): Argv {
  return y.command('series <mbox>', 'list the patches of a series (decoded as delivered), its completeness and the functions each C hunk defines or changes', (a) =>
    a.positional('mbox', { type: 'string', demandOption: true, describe: 'an mbox (b4, lore, git format-patch --stdout), one patch mail or a plain diff' })
      .option('json', { type: 'boolean', describe: 'one JSON object per patch, then one with completeness, skipped mails, touched functions and port-map rows to re-check' }),
  (argv) => {
    const file = argv.mbox as string;
    const report = readSeries(file);
    const recheck = rowsToRecheck(report, buildPortMap(builtinVectors().map((s) => s.vector)));
    if (argv.json) {
      for (const p of report.patches) process.stdout.write(jsonLine(p) + '\n');
      process.stdout.write(jsonLine({ completeness: report.completeness, skipped: report.skipped, touched: report.touched, recheck }) + '\n');
    } else printPretty(file, report, recheck);
    if (!report.completeness.complete) process.stderr.write(`famfs-harness: warning: ${file}: ${report.completeness.line}\n`);
    process.exitCode = EXIT_OK;
  });
}
