// famfs-harness portmap [--json] [--c-source famfs.c [--strict] [--ported-c OLD.c]]
import type { Argv } from 'yargs';
import { builtinVectors } from '../../checks/vectors';
import { buildPortMap, driftCount, portMapDrift, PortMapDrift, unannotated } from '../../checks/portmap';
import { jsonLine, chalk, readFileOrFail, UsageError, EXIT_FAIL, EXIT_OK } from '../io';

export function printDrift(file: string, d: PortMapDrift, log: (s: string) => void = console.log): void {
  log(chalk.bold(`\nport-map drift of ${file}:`));
  for (const u of d.untwinned) log(`  ${chalk.red('no TS twin')}         ${u.name.padEnd(36)} famfs.c:${u.lines}`);
  for (const g of d.gone) log(`  ${chalk.red('C function gone')}    ${g.name.padEnd(36)} ${g.ts}`);
  for (const c of d.changed) log(`  ${chalk.yellow('port needs review')}  ${c.name.padEnd(36)} famfs.c:${c.lines} (body changed since the ported revision)`);
  if (!driftCount(d)) log('  none');
}

export function register(y: Argv): Argv {
  return y.command('portmap', 'every famfs.c (v9) function with its TypeScript twin and vectors; with --c-source, the drift of a revision\'s famfs.c from the port', (a) => a
    .option('json', { type: 'boolean', describe: 'one JSON object per row (then one {drift} object with --strict or --ported-c)' })
    .option('c-source', { type: 'string', describe: 'your fs/fuse/famfs.c: adds each function\'s C line range and lists its drift from the port' })
    .option('strict', { type: 'boolean', describe: 'exit 1 on any drift: a C function with no TS twin, a twin whose C function is gone, a body changed since --ported-c' })
    .option('ported-c', { type: 'string', describe: 'the famfs.c of the revision the port follows: functions whose body changed in --c-source are listed as "port needs review"' }),
  (argv) => {
    if (argv['ported-c'] !== undefined && argv['c-source'] === undefined) throw new UsageError('--ported-c needs --c-source (the famfs.c to compare with it)');
    const vectors = builtinVectors().map((s) => s.vector);
    const cFile = argv['c-source'];
    const cSource = cFile !== undefined ? readFileOrFail(cFile, 'C source').toString('utf8') : undefined;
    const rows = buildPortMap(vectors, cSource);
    const drift = cSource !== undefined ? portMapDrift(cSource, argv['ported-c'] !== undefined ? readFileOrFail(argv['ported-c'], 'C source').toString('utf8') : undefined) : null;
    if (argv.json) {
      for (const r of rows) process.stdout.write(jsonLine(r) + '\n');
      if (drift && (argv.strict || argv['ported-c'] !== undefined)) process.stdout.write(jsonLine({ drift }) + '\n');
    } else {
      for (const r of rows) console.log(`${r.c_function.padEnd(36)} ${r.c_lines ? `famfs.c:${r.c_lines}`.padEnd(18) : ''}${(r.ts ?? chalk.red('NOT PORTED')).padEnd(26)} ${String(r.vectors.length).padStart(3)} vector(s)${r.note ? '  ' + r.note : ''}`);
      if (drift && cFile) printDrift(cFile, drift);
    }
    if (drift && !argv.strict && driftCount(drift)) process.stderr.write(`famfs-harness: warning: ${cFile}: ${driftCount(drift)} port-map drift(s); --strict makes them fail\n`);
    const missing = unannotated();
    for (const m of missing) console.error(`unannotated kernel function: ${m}`);
    const failed = rows.some((r) => !r.ts) || missing.length > 0 || (!!argv.strict && !!drift && driftCount(drift) > 0);
    process.exitCode = failed ? EXIT_FAIL : EXIT_OK;
  });
}
