// famfs-harness fmap encode|decode|resolve
import * as path from 'path';
import type { Argv } from 'yargs';
import { encodeFmap, FmapSpec, SpecError, bytesToHex, hexToBytes } from '../../uapi/fmap_codec';
import { decodeFmapPayload, resolveFmapPayload } from '../../sim/fmap_tools';
import { readInputFile, readJsonOrFail, PAYLOAD_INPUT_MAX, writeOut, jsonLine, parseIntArg, UsageError, chalk, EXIT_FAIL, EXIT_OK, DAX_OPTION, withStores } from '../io';

function payloadFromFile(file: string, hex: boolean): Uint8Array {
  // hex text: two digits a byte plus separators
  const raw = readInputFile(file, { what: 'payload', maxBytes: hex ? 4 * PAYLOAD_INPUT_MAX : PAYLOAD_INPUT_MAX });
  if (!hex) return new Uint8Array(raw);
  try {
    return hexToBytes(raw.toString('utf8'), file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function register(y: Argv): Argv {
  return y.command('fmap <action>', 'build, decode and resolve GET_FMAP reply payloads', (a) => a
    .command('encode <spec>', 'build a GET_FMAP payload from a JSON spec', (b) => b
      .positional('spec', { type: 'string', demandOption: true, describe: 'a JSON fmap spec (see Documentation)' })
      .option('o', { alias: 'output', type: 'string', describe: 'write the binary payload here (default: hex on stdout)' }),
    (argv) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeFmap(readJsonOrFail(argv.spec as string, 'spec') as FmapSpec);
      } catch (e) {
        if (e instanceof SpecError) throw new UsageError(`${argv.spec}: ${e.message}`);
        throw e;
      }
      if (argv.o) writeOut(bytes, argv.o as string);
      else process.stdout.write(bytesToHex(bytes) + '\n');
      process.exitCode = EXIT_OK;
    })
    .command('decode <files..>', 'run payloads through the ported famfs_fuse_meta_alloc', (b) => b
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'binary GET_FMAP payloads (or hex text with --hex)' })
      .option('hex', { type: 'boolean', describe: 'the files hold hex text, not binary' })
      .option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }),
    (argv) => {
      let rejected = 0;
      for (const file of argv.files as string[]) {
        const r = decodeFmapPayload(payloadFromFile(file, !!argv.hex));
        if (!r.ok) rejected++;
        if (argv.json) { process.stdout.write(jsonLine({ file, ...r }) + '\n'); continue; }
        if (r.ok) {
          console.log(`${chalk.green('ok')} ${file}: ${r.meta.extent_type} file_size=${r.meta.file_size} (${r.meta.nextents} extent(s))`);
          for (const l of r.meta.extents) console.log(`    ${l}`);
        } else {
          console.log(`${chalk.red('rejected')} ${file}: -${r.errno} (${r.code}): ${r.reason}`);
        }
      }
      process.exitCode = rejected ? EXIT_FAIL : EXIT_OK;
    })
    .command('resolve <file>', 'resolve a file offset through famfs_fuse_iomap_begin', (b) => b
      .positional('file', { type: 'string', demandOption: true, describe: 'a payload (binary, or hex with --hex) or a .json fmap spec' })
      .option('offset', { type: 'string', demandOption: true, describe: 'file offset to resolve (decimal or 0x hex)' })
      .option('length', { type: 'string', default: '4096', describe: 'bytes wanted from the offset (decimal or 0x hex)' })
      .option('hex', { type: 'boolean', describe: 'the file holds hex text' })
      .option('dax', DAX_OPTION)
      .option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }),
    (argv) => {
      const payload = path.extname(argv.file as string) === '.json' ? encodeSpecFile(argv.file as string) : payloadFromFile(argv.file as string, !!argv.hex);
      const r = withStores(() => resolveFmapPayload(payload, parseIntArg(argv.offset, '--offset'), parseIntArg(argv.length, '--length'), (argv.dax as string[]) ?? []));
      if (argv.json) process.stdout.write(jsonLine(r) + '\n');
      else if (r.ok) console.log(`offset ${r.offset} -> daxdev ${r.daxdev} addr ${hex(r.addr)} length ${hex(r.length)}  [${r.hit}]`);
      else console.log(`${chalk.red('error')} -${r.errno} (${r.code}): ${r.reason}`);
      if (r.ok && r.outside) process.stderr.write(`${chalk.yellow('warning')}: ${r.outside.why}\n`);
      process.exitCode = r.ok ? EXIT_OK : EXIT_FAIL;
    })
    .demandCommand(1, 'fmap needs an action: encode, decode or resolve'));
}

/** 0x-hex of a decimal string; a negative (loff_t) value as -0x... */
function hex(dec: string): string {
  const v = BigInt(dec);
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function encodeSpecFile(file: string): Uint8Array {
  try {
    return encodeFmap(readJsonOrFail(file, 'spec') as FmapSpec);
  } catch (e) {
    if (e instanceof SpecError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

