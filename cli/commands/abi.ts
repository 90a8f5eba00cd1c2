// famfs-harness abi [--json] [--check FILE]
import type { Argv } from 'yargs';
import { formatLayout, StructLayout } from '../../uapi/layout';
import { FAMFS_CONSTANTS, FAMFS_STRUCTS, FUSE_BASE_STRUCTS, FUSE_INIT_FLAGS } from '../../uapi/fuse';
import { chalk, jsonLine, EXIT_OK } from '../io';
import { runAbiCheck } from './abi_check';

function layoutJson(l: StructLayout) {
  return { struct: l.name, size: l.size, align: l.align, fields: l.fields.map((f) => ({ name: f.name, ctype: f.ctype, offset: f.offset, size: f.size })) };
}

export function register(y: Argv): Argv {
  return y.command('abi', 'show the modelled famfs ABI (opcodes, INIT flags, struct layouts), or check a patch/header against it', (a) =>
    a.option('json', { type: 'boolean', describe: 'one JSON object per line' })
      .option('check', { type: 'string', describe: 'a patch, an mbox of a series (mail as delivered) or a fuse.h: compare its uapi definitions with the model; exit 1 on drift, 2 when it has none' }),
  (argv) => {
    if (argv.check !== undefined) { process.exitCode = runAbiCheck(String(argv.check), !!argv.json); return; }
    const structs = [...FAMFS_STRUCTS, ...FUSE_BASE_STRUCTS];
    if (argv.json) {
      for (const [name, value] of Object.entries(FAMFS_CONSTANTS)) process.stdout.write(jsonLine({ constant: name, value: value.toString() }) + '\n');
      for (const [name, value] of Object.entries(FUSE_INIT_FLAGS)) process.stdout.write(jsonLine({ init_flag: name, bit: value.toString(2).length - 1, value: '0x' + value.toString(16) }) + '\n');
      for (const l of structs) process.stdout.write(jsonLine(layoutJson(l)) + '\n');
    } else {
      console.log(chalk.bold('famfs uapi (include/uapi/linux/fuse.h, series v9)'));
      for (const [name, value] of Object.entries(FAMFS_CONSTANTS)) console.log(`  ${name.padEnd(28)} ${typeof value === 'bigint' ? `0x${value.toString(16)} (bit ${value.toString(2).length - 1})` : value}`);
      console.log(chalk.bold('\nstruct layouts (x86-64, little-endian)'));
      for (const l of structs) console.log(formatLayout(l) + '\n');
    }
    process.exitCode = EXIT_OK;
  });
}
