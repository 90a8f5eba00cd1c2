// famfs-harness portmap [--json]
import type { Argv } from 'yargs';
import { builtinVectorFiles, loadVectorFile } from '../../checks/vectors';
import { buildPortMap, unannotated } from '../../checks/portmap';
import { jsonLine, chalk, readFileOrFail, EXIT_FAIL, EXIT_OK } from '../io';

export function register(y: Argv): Argv {
  return y.command('portmap', 'every famfs.c (v9) function with its TypeScript twin and vectors', (a) => a.option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }).option('c-source', { type: 'string', describe: 'your fs/fuse/famfs.c: adds each function\'s C line range' }), (argv) => {
    const vectors = builtinVectorFiles().flatMap((f) => loadVectorFile(f));
    const rows = buildPortMap(vectors, argv['c-source'] ? readFileOrFail(argv['c-source'], 'C source').toString('utf8') : undefined);
    if (argv.json) for (const r of rows) process.stdout.write(jsonLine(r) + '\n');
    else for (const r of rows) console.log(`${r.c_function.padEnd(36)} ${r.c_lines ? `famfs.c:${r.c_lines}`.padEnd(18) : ''}${(r.ts ?? chalk.red('NOT PORTED')).padEnd(26)} ${String(r.vectors.length).padStart(3)} vector(s)${r.note ? '  ' + r.note : ''}`);
    const missing = unannotated();
    for (const m of missing) console.error(`unannotated kernel function: ${m}`);
    process.exitCode = rows.some((r) => !r.ts) || missing.length ? EXIT_FAIL : EXIT_OK;
  });
}
