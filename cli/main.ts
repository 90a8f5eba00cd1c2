// famfs-harness: wires uapi / kernel / sim together for users. No logic here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError, CheckFailed, EXIT_USAGE, EXIT_FAIL } from './io';
import * as abi from './commands/abi';
import * as fmap from './commands/fmap';
import * as conformance from './commands/conformance';
import * as sim from './commands/sim';
import * as portmap from './commands/portmap';
import * as dax from './commands/dax';
import * as series from './commands/series';
import * as image from './commands/image';
import * as review from './commands/review';

function fatal(msg: string, code = EXIT_USAGE): never {
  process.stderr.write(`famfs-harness: ${msg.split('\n')[0]}\n`);
  process.exit(code);
}

export function main(argv = hideBin(process.argv)): void {
  let y = yargs(argv).scriptName('famfs-harness').strict().help().version('0.1.0')
    .usage('$0 <command>: emulation harness for the famfs-in-fuse kernel series (v9)')
    .fail((msg, err) => (err instanceof CheckFailed ? fatal(err.message, EXIT_FAIL) : fatal(err ? err.message : msg)));
  for (const m of [abi, fmap, conformance, sim, dax, portmap, series, review, image]) y = m.register(y);
  try {
    y.demandCommand(1, 'give a command (see --help)').parseSync();
  } catch (e) {
    if (e instanceof UsageError) fatal(e.message);
    if (e instanceof CheckFailed) fatal(e.message, EXIT_FAIL);
    fatal(`internal error: ${(e as Error).message}`);
  }
}

if (require.main === module) main();
