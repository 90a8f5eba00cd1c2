// famfs-harness abi --check FILE: the uapi definitions of a patch / mbox / fuse.h against the model.
import { checkAbi, AbiResult } from '../../checks/abicheck';
import { jsonLine, chalk, UsageError, EXIT_FAIL, EXIT_OK } from '../io';
import { mailBytes } from './series';

/** Read FILE and check it; no famfs uapi definition in it is a usage error (exit 2). */
export function abiCheckFile(file: string): AbiResult {
  if (!file) throw new UsageError('abi --check: give a FILE (a patch, an mbox of a series, or a fuse.h)');
  const res = checkAbi(mailBytes(file, 'patch'));
  if (!res.famfs) {
    const internal = res.ignored.filter((f) => /famfs/.test(f));
    throw new UsageError(`no famfs uapi definitions in ${file}${internal.length ? ` (${internal.join(', ')}: kernel-internal, not ABI; see portmap)` : ''}`);
  }
  return res;
}

export function runAbiCheck(file: string, json: boolean): number {
  const res = abiCheckFile(file);
  const what = res.mode === 'patch' ? `${res.sources.length} uapi hunk(s)` : 'a whole header';
  if (json) {
    for (const d of res.diffs) process.stdout.write(jsonLine(d) + '\n');
    process.stdout.write(jsonLine({ file, mode: res.mode, compared: res.compared, famfs_definitions: res.famfs, ignored: res.ignored, drift: res.diffs.length }) + '\n');
  } else {
    for (const d of res.diffs) console.log(`${chalk.red('drift')} ${d.what}: ${d.detail}  ${chalk.gray(`[${d.where}]`)}`);
    if (res.ignored.length) console.log(chalk.gray(`not ABI (not read): ${res.ignored.join(', ')}`));
    console.log(`${file}: ${res.compared.length} uapi definitions compared from ${what} (${res.famfs} famfs), ${res.diffs.length} difference(s)`);
  }
  return res.diffs.length ? EXIT_FAIL : EXIT_OK;
}
