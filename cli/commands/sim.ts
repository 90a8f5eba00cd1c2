// famfs-harness sim run SCENARIO.json [--trace] [--hex] [--json]
import type { Argv } from 'yargs';
import { runScenario, Scenario, ScenarioError, describe } from '../../sim/scenario';
import { formatTrace } from '../../sim/trace';
import { SpecError } from '../../uapi/fmap_codec';
import { readJsonOrFail, jsonLine, UsageError, chalk, EXIT_FAIL, EXIT_OK, DAX_OPTION, withStores } from '../io';
import { withDaxStores } from '../../sim/mmap_store';

export function register(y: Argv): Argv {
  return y.command('sim <action>', 'run simulated famfs-in-fuse scenarios', (a) => a
    .command('run <scenario>', 'run a scripted scenario, printing every FUSE message and result', (b) => b
      .positional('scenario', { type: 'string', demandOption: true })
      .option('trace', { type: 'boolean', describe: 'print every FUSE message' })
      .option('hex', { type: 'boolean', describe: 'with --trace: hex dumps of the messages' })
      .option('dax', DAX_OPTION)
      .option('json', { type: 'boolean' }),
    (argv) => {
      const sc = readJsonOrFail(argv.scenario as string) as Scenario;
      let rep;
      try {
        const dax = (argv.dax as string[]) ?? [];
        const world = dax.length ? withDaxStores(sc.world ?? {}, dax) : sc.world;
        rep = withStores(() => runScenario({ ...sc, world: argv.trace && world ? { ...world, trace: world.trace || true } : world }));
      } catch (e) {
        if (e instanceof ScenarioError || e instanceof SpecError) throw new UsageError(`${argv.scenario}: ${e.message}`);
        throw e;
      }
      const log = rep.world.mnt.channel.log;
      if (argv.json) {
        if (argv.trace) for (const e of log) process.stdout.write(jsonLine({ trace: e }) + '\n');
        process.stdout.write(jsonLine({ step: 'mount', result: rep.mount }) + '\n');
        for (const s of rep.steps) process.stdout.write(jsonLine({ step: s.index, op: s.op, result: s.result, pass: s.pass, why: s.why ?? null }) + '\n');
        process.stdout.write(jsonLine({ pass: rep.pass, requests: rep.requests }) + '\n');
      } else {
        if (argv.trace) for (const e of log) console.log(chalk.cyan(formatTrace(e, !!argv.hex)));
        console.log(`mount: ${describe(rep.mount)}`);
        for (const s of rep.steps) console.log(`${s.pass ? chalk.green('ok  ') : chalk.red('FAIL')} ${String(s.index).padStart(2)} ${s.op.padEnd(14)} ${describe(s.result)}${s.why ? '  ' + s.why : ''}`);
        console.log(`requests: ${Object.entries(rep.requests).map(([k, v]) => `${k}=${v}`).join(' ')}`);
        console.log(rep.pass ? chalk.green('scenario passed') : chalk.red(`scenario failed: ${rep.why}`));
      }
      process.exitCode = rep.pass ? EXIT_OK : EXIT_FAIL;
    })
    .demandCommand(1, 'sim needs an action: run'));
}
