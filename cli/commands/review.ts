// famfs-harness review SERIES.mbox [--format pretty|ktap|junit|json] [-o FILE] [--base-c famfs.c] [--kfmap famfs_kfmap.h] [--ported-c OLD.c] [--partial]
import type { Argv } from 'yargs';
import { review, reviewJson, reviewPretty } from '../../checks/review';
import { builtinVectors } from '../../checks/vectors';
import { closingLine, diagnostics, exitCode, toJunit, toKtap, totals } from '../../checks/report';
import { readFileOrFail, writeOut, UsageError } from '../io';
import { mailBytes } from './series';

export function register(y: Argv): Argv {
  return y.command('review <mbox>', 'review a series in one report: patches and completeness, ABI drift of its uapi hunks, port-map drift of famfs.c, the vectors of the functions it touches, and cdiff of the famfs.c after the series against the port', (a) => a
    .positional('mbox', { type: 'string', demandOption: true, describe: 'the series: an mbox (b4, lore, git format-patch --stdout), one patch mail or a diff' })
    .option('format', { choices: ['pretty', 'ktap', 'junit', 'json'] as const, default: 'pretty' as const, describe: 'pretty (for people), ktap (kunit.py parse), junit (Jenkins xunit) or json (one document)' })
    .option('o', { alias: 'output', type: 'string', describe: 'write the report to FILE (the closing counts line still goes to the terminal)' })
    .option('base-c', { type: 'string', describe: 'the fs/fuse/famfs.c the series applies to, when the series does not create it: its famfs.c hunks are applied and the result is checked against the port' })
    .option('kfmap', { type: 'string', describe: 'the fs/fuse/famfs_kfmap.h the series applies to, for cdiff: its famfs_kfmap.h hunks are applied (default: our model of v9, cdiff/famfs_kfmap_model.h)' })
    .option('ported-c', { type: 'string', describe: 'the famfs.c of the revision the port follows: functions whose body changed are listed as "port needs review"' })
    .option('partial', { type: 'boolean', describe: 'accept an incomplete series (missing patches are a SKIP, not a failure)' }),
  (argv) => {
    const file = argv.mbox as string;
    const mail = mailBytes(file);
    const vectors = builtinVectors();
    const text = (f: string | undefined) => (f === undefined ? undefined : readFileOrFail(f).toString('utf8'));
    const given = (opt: string) => (argv[opt] === undefined ? '' : ` --${opt} ${argv[opt] as string}`);
    const repro = `famfs-harness review ${file}${given('base-c')}${given('kfmap')}${given('ported-c')}${argv.partial ? ' --partial' : ''}`;
    const r = review({ file, mail, baseC: text(argv['base-c']), baseKfmap: text(argv.kfmap), portedC: text(argv['ported-c']), partial: !!argv.partial, vectors, repro });
    if (!r.series.patches.length) {
      const why = r.series.skipped.length ? ` (${r.series.skipped.map((s) => s.reason).join(', ')})` : '';
      throw new UsageError(`${file}: no patch found${why}; expected an mbox, a git format-patch file or a diff`);
    }
    const t = totals(r.results);
    const report = argv.format === 'ktap' ? toKtap(r.results) : argv.format === 'junit' ? toJunit(r.results) : argv.format === 'json' ? reviewJson(r, file) : reviewPretty(r, file, diagnostics) + `\n${closingLine(t)}\n`;
    writeOut(report, argv.o);
    if (argv.o || argv.format !== 'pretty') process.stderr.write(`${closingLine(t)}\n`);
    process.exitCode = exitCode(t);
  });
}
