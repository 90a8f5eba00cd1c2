// famfs-harness sim run SCENARIO.json [--trace] [--hex] [--json] [--server-cmd 'PROGRAM ARGS /dev/fd/3']
import type { Argv } from 'yargs';
import { runScenario, validateScenario, ScenarioError, describe } from '../../sim/scenario';
import { formatTrace } from '../../sim/trace';
import { SpecError } from '../../uapi/fmap_codec';
import { readJsonOrFail, jsonLine, UsageError, chalk, EXIT_FAIL, EXIT_OK, DAX_OPTION, withStores } from '../io';
import { withDaxStores } from '../../sim/mmap_store';
import { DEFAULT_TIMEOUT_MS, ExternalServer, ExternalServerError, ServerExit } from '../../sim/external_server';

export const SERVER_CMD_OPTION = {
  type: 'string' as const,
  describe: "run against a real fuse server process instead of the model: 'PROGRAM ARGS... /dev/fd/3' (fd 3 is its fuse device, a socketpair)",
};
export const SERVER_TIMEOUT_OPTION = { type: 'number' as const, describe: 'with --server-cmd: ms to wait for each reply before the kernel aborts the connection', default: DEFAULT_TIMEOUT_MS };

/** Start the --server-cmd process, or null for the in-process model. */
export function startServer(cmd: unknown, timeoutMs: unknown): ExternalServer | null {
  if (cmd === undefined) return null;
  try {
    return ExternalServer.spawn(String(cmd), { timeoutMs: Number(timeoutMs) });
  } catch (e) {
    if (e instanceof ExternalServerError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * After the run: close the server's fuse device, then say how it ended
 * (asynchronously: the child's exit). 'quiet' says nothing (stdout carries data).
 */
export function finishServer(srv: ExternalServer, how: 'text' | 'json' | 'quiet'): void {
  const said = [...srv.notes];
  void srv.close().then((exit: ServerExit) => {
    const notes = srv.notes.slice(said.length);
    if (how === 'quiet') return;
    if (how === 'json') {
      process.stdout.write(jsonLine({ server: { argv: srv.argv, exit_code: exit.code, signal: exit.signal, notes: [...said, ...notes], stderr: exit.stderr } }) + '\n');
      return;
    }
    for (const n of [...said, ...notes]) console.log(chalk.yellow(`server: ${n}`));
    for (const l of exit.stderr.split('\n').filter(Boolean).slice(-20)) console.log(chalk.gray(`server stderr: ${l}`));
    console.log(`server: ${srv.argv[0]} ${exit.signal ? `killed by ${exit.signal}` : `exited with ${exit.code}`}`);
  });
}

export function register(y: Argv): Argv {
  return y.command('sim <action>', 'run simulated famfs-in-fuse scenarios', (a) => a
    .command('run <scenario>', 'run a scripted scenario, printing every FUSE message and result', (b) => b
      .positional('scenario', { type: 'string', demandOption: true, describe: 'a scenario JSON file (world + steps; see Documentation/scenarios/)' })
      .option('trace', { type: 'boolean', describe: 'print every FUSE message' })
      .option('hex', { type: 'boolean', describe: 'with --trace: hex dumps of the messages' })
      .option('dax', DAX_OPTION)
      .option('server-cmd', SERVER_CMD_OPTION)
      .option('server-timeout', SERVER_TIMEOUT_OPTION)
      .option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }),
    (argv) => {
      const sc = readJsonOrFail(argv.scenario as string, 'scenario');
      let rep;
      const srv = startServer(argv['server-cmd'], argv['server-timeout']);
      try {
        validateScenario(sc);
        const dax = (argv.dax as string[]) ?? [];
        const world = dax.length ? withDaxStores(sc.world ?? {}, dax) : sc.world;
        rep = withStores(() => runScenario({ ...sc, world: argv.trace && world ? { ...world, trace: world.trace || true } : world }, undefined, { peer: srv ?? undefined }));
        if (srv && rep.world.mnt.mounted) rep.world.mnt.umount(); // DESTROY, as at the end of a real session
      } catch (e) {
        if (srv) srv.kill();
        if (e instanceof ScenarioError || e instanceof SpecError) throw new UsageError(`${argv.scenario}: ${e.message}`);
        throw e;
      }
      const log = rep.world.mnt.channel.log;
      if (argv.json) {
        if (argv.trace) for (const e of log) process.stdout.write(jsonLine({ trace: e }) + '\n');
        process.stdout.write(jsonLine({ step: 'mount', result: rep.mount, famfs: rep.famfs }) + '\n');
        for (const s of rep.steps) process.stdout.write(jsonLine({ step: s.index, op: s.op, result: s.result, pass: s.pass, why: s.why ?? null, plain: s.plain ?? false }) + '\n');
        process.stdout.write(jsonLine({ pass: rep.pass, requests: rep.requests }) + '\n');
      } else {
        if (argv.trace) for (const e of log) console.log(chalk.cyan(formatTrace(e, !!argv.hex)));
        console.log(`mount: ${describe(rep.mount)}`);
        console.log(`famfs mode: ${rep.famfs.famfs ? 'on' : 'off'}: ${rep.famfs.why}`);
        for (const s of rep.steps) console.log(`${s.pass ? chalk.green('ok  ') : chalk.red('FAIL')} ${String(s.index).padStart(2)} ${s.op.padEnd(14)} ${describe(s.result)}${s.plain ? ' (plain fuse mount)' : ''}${s.why ? '  ' + s.why : ''}`);
        console.log(`requests: ${Object.entries(rep.requests).map(([k, v]) => `${k}=${v}`).join(' ')}`);
        console.log(rep.pass ? chalk.green('scenario passed') : chalk.red(`scenario failed: ${rep.why}`));
      }
      process.exitCode = rep.pass ? EXIT_OK : EXIT_FAIL;
      if (srv) finishServer(srv, argv.json ? 'json' : 'text');
    })
    .demandCommand(1, 'sim needs an action: run'));
}
