// famfs-harness dax info PATH | dax selftest PATH
import type { Argv } from 'yargs';
import * as fs from 'fs';
import { addonStatus, deviceInfo, mapRegion, loadAddon } from '../../addon/index';
import { jsonLine, parseIntArg, UsageError, EXIT_FAIL, EXIT_OK, chalk, withStores } from '../io';

export function register(y: Argv): Argv {
  return y.command('dax <action>', 'inspect and test dax devices and files through the mmap addon', (a) => a
    .command('info <path>', 'kind, major:minor, size and align of a devdax device or file', (b) => b.positional('path', { type: 'string', demandOption: true, describe: 'a devdax device (/dev/daxX.Y) or a file' }).option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }),
      (argv) => {
        const i = withStores(() => deviceInfo(argv.path as string));
        const out = { ...i, size: i.size.toString(), align: i.align.toString(), backend: addonStatus() };
        if (argv.json) process.stdout.write(jsonLine(out) + '\n');
        else console.log(`${i.path}: ${i.kind}${i.kind === 'chardev' ? ` ${i.major}:${i.minor}` : ''} size ${i.size} align ${i.align}${i.devdax ? ' (devdax)' : ''}\nbackend: ${out.backend}`);
        process.exitCode = EXIT_OK;
      })
    .command('selftest <path>', 'write a pattern through the mapping, read it back through the file, report bandwidth', (b) => b
      .positional('path', { type: 'string', demandOption: true, describe: 'a devdax device or a file to map and overwrite' })
      .option('length', { type: 'string', default: '0x4000000', describe: 'bytes to write through the mapping (clipped to the device)' })
      .option('json', { type: 'boolean', describe: 'one JSON object per line instead of text' }),
    (argv) => {
      const p = argv.path as string;
      if (!loadAddon()) throw new UsageError(addonStatus());
      const info = withStores(() => deviceInfo(p));
      let len = parseIntArg(argv.length, '--length');
      if (info.size && len > info.size) len = info.size - (info.size % info.align);
      if (len <= 0n) throw new UsageError(`${p}: ${info.size === 0n ? 'the file is empty (0 bytes)' : `${info.size} bytes, less than one page (${info.align})`}: selftest needs at least one page`);
      const m = withStores(() => mapRegion(p, 0n, len));
      const total = Number(len);
      const pat = new Uint8Array(1 << 20);
      for (let i = 0; i < pat.length; i++) pat[i] = (i * 131 + 7) & 0xff;
      const t0 = process.hrtime.bigint();
      withStores(() => { for (let off = 0; off < total; off += pat.length) m.write(off, pat.subarray(0, Math.min(pat.length, total - off))); });
      const t1 = process.hrtime.bigint();
      withStores(() => m.msync());
      const back = new Uint8Array(pat.length);
      const fd = info.kind === 'file' ? fs.openSync(p, 'r') : -1;
      let ok = true;
      try {
        for (let off = 0; off < total && ok; off += pat.length) {
          const dst = back.subarray(0, Math.min(pat.length, total - off));
          const n = fd >= 0 ? fs.readSync(fd, dst, 0, dst.length, off) : (withStores(() => m.read(off, dst)), dst.length);
          ok = n === dst.length && dst.every((x, i) => x === pat[i]);
        }
      } finally {
        if (fd >= 0) fs.closeSync(fd);
        m.close();
      }
      const secs = Number(t1 - t0) / 1e9;
      const mibs = Number(len) / (1 << 20) / secs;
      const res = { path: p, bytes: len.toString(), write_mib_s: Math.round(mibs), verified: ok, backend: addonStatus() };
      if (argv.json) process.stdout.write(jsonLine(res) + '\n');
      else console.log(`${ok ? chalk.green('ok') : chalk.red('MISMATCH')} ${p}: wrote ${len} bytes through the mapping at ${res.write_mib_s} MiB/s; read back through ${info.kind === 'file' ? 'read(2)' : 'the mapping'}: ${ok ? 'identical' : 'different'}`);
      process.exitCode = ok ? EXIT_OK : EXIT_FAIL;
    })
    .demandCommand(1, 'dax needs an action: info or selftest'));
}
