// famfs-harness: wires uapi / kernel / sim together for users. No logic here.
import yargs, { Argv, Options } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError, CheckFailed, EXIT_USAGE, EXIT_FAIL, EXIT_OK } from './io';
import { HARNESS_VERSION } from '../checks/report';
import * as abi from './commands/abi';
import * as fmap from './commands/fmap';
import * as conformance from './commands/conformance';
import * as sim from './commands/sim';
import * as portmap from './commands/portmap';
import * as dax from './commands/dax';
import * as series from './commands/series';
import * as image from './commands/image';
import * as cdiff from './commands/cdiff';
import * as report from './commands/report';
import { DaxError } from '../addon/index';
import * as review from './commands/review';

/** One line on stderr (yargs' multi-line messages joined), then exit. */
function fatal(msg: string, code = EXIT_USAGE): never {
  const line = msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  process.stderr.write(`famfs-harness: ${line}\n`);
  process.exit(code);
}

/** A reader that went away (`| head`) ends the run quietly, as `cat` does. */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
      fatal(`cannot write output: ${e.code ?? e.message}`);
    });
  }
}

/**
 * Every option that takes a value demands one: `--format` at the end of the
 * line is a usage error, not an empty string that falls back to a default.
 * (yargs resets and reuses this instance for each command's builder.)
 */
function valuesRequired(y: Argv): Argv {
  const option = y.option.bind(y) as (key: string, opt?: Options) => Argv;
  const patched = (key: string | Record<string, Options>, opt?: Options): Argv => {
    if (typeof key === 'object') { for (const [k, o] of Object.entries(key)) patched(k, o); return y; }
    const takesValue = opt && opt.type !== 'boolean' && !opt.count && !opt.array && opt.requiresArg === undefined;
    return option(key, takesValue ? { ...opt, requiresArg: true } : opt);
  };
  y.option = y.options = patched as Argv['option'];
  return y;
}

/** Values yargs accepts but no command can use: NaN numbers, empty lists and strings. */
function checkValues(argv: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(argv)) {
    // yargs also sets a camelCase twin of every kebab-case option; check the name the user typed
    if (k === '_' || k === '$0' || (k.length > 1 && /[A-Z]/.test(k))) continue;
    const flag = k.length === 1 ? `-${k}` : `--${k}`;
    if (typeof v === 'number' && Number.isNaN(v)) throw new UsageError(`${flag}: expected a number`);
    if (v === '') throw new UsageError(`${flag}: needs a value`);
    if (Array.isArray(v) && (v.length === 0 || v.some((x) => x === '' || (typeof x === 'number' && Number.isNaN(x))))) throw new UsageError(`${flag}: needs a value`);
  }
}

export function main(argv = hideBin(process.argv)): void {
  quietOnClosedPipe();
  let y = valuesRequired(yargs(argv)).scriptName('famfs-harness').strict().help().version(HARNESS_VERSION)
    .usage('$0 <command>: emulation harness for the famfs-in-fuse kernel series (v9)')
    .middleware((a) => checkValues(a), true)
    .fail((msg, err) => (err instanceof CheckFailed ? fatal(err.message, EXIT_FAIL) : fatal(err ? err.message : msg)));
  for (const m of [abi, fmap, conformance, sim, dax, portmap, series, review, image, cdiff, report]) y = m.register(y);
  try {
    y.demandCommand(1, 'give a command (see --help)').parseSync();
  } catch (e) {
    if (e instanceof UsageError) fatal(e.message);
    if (e instanceof CheckFailed) fatal(e.message, EXIT_FAIL);
    if (e instanceof DaxError) fatal(e.message); // a device or image file failed under us (e.g. truncated)
    fatal(`internal error: ${(e as Error).message}`);
  }
}

if (require.main === module) main();
