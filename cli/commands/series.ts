// famfs-harness series FILE.mbox [--json]
import type { Argv } from 'yargs';
import { analyzeSeries, rowsToRecheck } from '../../checks/series';
import { buildPortMap } from '../../checks/portmap';
import { builtinVectorFiles, loadVectorFile } from '../../checks/vectors';
import { readFileOrFail, jsonLine, UsageError, chalk, EXIT_OK } from '../io';

export function register(y: Argv): Argv {
  return y.command('series <mbox>', 'list the patches of a series and the ported functions each famfs.c hunk touches', (a) =>
    a.positional('mbox', { type: 'string', demandOption: true, describe: 'the series: an mbox, git format-patch output or a plain diff' }).option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }),
  (argv) => {
    const reports = analyzeSeries(readFileOrFail(argv.mbox as string, 'mbox').toString('utf8'));
    if (!reports.length) throw new UsageError(`${argv.mbox}: no patch found (expected an mbox or a git diff)`);
    const portmap = buildPortMap(builtinVectorFiles().flatMap((f) => loadVectorFile(f)));
    const recheck = rowsToRecheck(reports, portmap);
    if (argv.json) {
      for (const p of reports) process.stdout.write(jsonLine(p) + '\n');
      process.stdout.write(jsonLine({ recheck }) + '\n');
    } else {
      reports.forEach((p, i) => {
        console.log(chalk.bold(`${i + 1}. ${p.subject}`));
        for (const f of p.files) console.log(`   ${f}`);
        for (const h of p.hunks.filter((x) => x.file.endsWith('fs/fuse/famfs.c'))) console.log(`     ${h.header.slice(0, 60)}  -> ${h.functions.join(', ') || '(no known function)'}`);
        if (p.files.some((f) => f.endsWith('include/uapi/linux/fuse.h'))) console.log(`     uapi changes: check them with \`famfs-harness abi --check ${argv.mbox}\``);
      });
      console.log(chalk.bold('\nported functions to re-check:'));
      for (const r of recheck) console.log(`   ${r.c_function.padEnd(36)} ${r.ts ?? 'not ported'}  (${r.vectors.length} vectors)`);
      if (!recheck.length) console.log('   none');
    }
    process.exitCode = EXIT_OK;
  });
}
