// famfs-harness report merge SHARD.json... [--format ktap|junit|json|jsonl|pretty] [-o FILE]
import type { Argv } from 'yargs';
import { closingLine, exitCode, mergeShards, readJsonReport, ReportFileError, toJson, toJsonLines, toJunit, toKtap, totals } from '../../checks/report';
import { readInputFile, writeOut, usageOn } from '../io';
import { FORMATS, pretty } from './conformance';

const readShard = (file: string) => ({ file, ...usageOn([ReportFileError], () => readJsonReport(readInputFile(file, { what: 'report' }).toString('utf8'), file)) });

export function register(y: Argv): Argv {
  return y.command('report <action>', 'work with saved conformance reports', (a) => a
    .command('merge <reports..>', 'join the --format json reports of a --shard K/N run into the report one run would give', (b) => b
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'the shards\' `conformance --shard K/N --format json` files, in any order' })
      .option('format', { choices: FORMATS, default: 'ktap' as const, describe: 'the joined report: ktap, junit, json, jsonl or pretty' })
      .option('o', { alias: 'output', type: 'string', describe: 'write the report to this file instead of stdout' }),
    (argv) => {
      const results = usageOn([ReportFileError], () => mergeShards((argv.reports as string[]).map(readShard)));
      const render = { pretty, ktap: toKtap, junit: toJunit, json: toJson, jsonl: toJsonLines }[argv.format];
      writeOut(render(results), argv.o);
      if (argv.format !== 'pretty' || argv.o) process.stderr.write(closingLine(totals(results)) + '\n');
      process.exitCode = exitCode(totals(results));
    })
    .demandCommand(1, 'report needs an action: merge'));
}
