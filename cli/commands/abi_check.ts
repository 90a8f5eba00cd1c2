// famfs-harness abi --check FILE: parse a patch / mbox / header, compare with the model.
import { checkAbiText, AbiDiff } from '../../checks/abicheck';
import { readFileOrFail, jsonLine, chalk, EXIT_FAIL, EXIT_OK } from '../io';

export function runAbiCheck(file: string, json: boolean): number {
  const text = readFileOrFail(file, 'patch').toString('utf8');
  const { diffs, seen } = checkAbiText(text);
  if (json) {
    for (const d of diffs) process.stdout.write(jsonLine(d) + '\n');
    process.stdout.write(jsonLine({ file, definitions_seen: seen, drift: diffs.length }) + '\n');
  } else {
    for (const d of diffs) console.log(`${chalk.red('drift')} ${fmt(d)}`);
    console.log(`${file}: ${seen} famfs definitions compared, ${diffs.length} difference(s)`);
  }
  return diffs.length ? EXIT_FAIL : EXIT_OK;
}

function fmt(d: AbiDiff): string {
  return `${d.what}: ${d.detail}`;
}
