// famfs-harness image mkfs|mkdir|creat|cp|ls|stat|fmap|fsck|cat IMG ...
import * as fs from 'fs';
import type { Argv } from 'yargs';
import type { DaxStore } from '../../kernel/lib/dax';
import { openStore } from '../../sim/mmap_store';
import { FileStore } from '../../sim/stores';
import { FamfsImage, ImageError } from '../../sim/image/image';
import { FamfsWriter, mkfs, killSuperblock, relative } from '../../sim/image/writer';
import { AllocError, InterleaveParam } from '../../sim/image/alloc';
import { fsck } from '../../sim/image/fsck';
import { logplay } from '../../sim/image/logplay';
import { catFile, fmapSpecOf, mountImage, writeFile } from '../../sim/image/serve';
import { pattern } from '../../sim/scenario';
import { encodeFmap, bytesToHex } from '../../uapi/fmap_codec';
import { decodeFmapPayload } from '../../sim/fmap_tools';
import { errnoName } from '../../kernel/lib/errno';
import { DaxError } from '../../addon/index';
import { startServer, finishServer, SERVER_CMD_OPTION, SERVER_TIMEOUT_OPTION } from './sim';
import { jsonLine, parseSize, readInputFile, LARGEST_INPUT, writeOut, UsageError, CheckFailed, chalk, EXIT_FAIL, EXIT_OK } from '../io';

const IMG_ARG = { type: 'string', demandOption: true, describe: 'the image: a file or a devdax device' } as const;
const PATH_ARG = { type: 'string', demandOption: true, describe: 'a path inside the image' } as const;
const JSON_ARG = { type: 'boolean', describe: 'one JSON object per line instead of text' } as const;

/** The image's store: a devdax char device, or a file (mmap'd through the addon where built). */
function openImage(img: string): DaxStore {
  let st: fs.Stats;
  try {
    st = fs.statSync(img);
  } catch (e) {
    throw new UsageError(`cannot open image ${img}: ${(e as NodeJS.ErrnoException).code}`);
  }
  try {
    return openStore(st.isCharacterDevice() ? `devdax:${img}` : `file:${img}`);
  } catch (e) {
    if (e instanceof DaxError) throw new UsageError(e.message);
    throw e;
  }
}

/** ImageError / AllocError: the image or the request was rejected (exit 1). */
function imageOp<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ImageError) throw new CheckFailed(`${e.code}: ${e.message}`);
    if (e instanceof AllocError) throw new CheckFailed(`${e.code}: ${e.message}`);
    throw e;
  }
}

function interleaveOpts(a: Argv) {
  return a.option('N', { alias: 'nstrips', type: 'number', describe: 'strips per file (interleaved allocation)' })
    .option('B', { alias: 'nbuckets', type: 'number', describe: 'buckets the device is split into' })
    .option('C', { alias: 'chunk', type: 'string', describe: 'chunk size (e.g. 2M)' })
    .option('alloc-seed', { type: 'number', default: 1, describe: 'seed of the bucket shuffle' })
    .option('mock-stripe', { type: 'boolean', describe: 'allow buckets under 1 GiB (famfs test hook)' });
}

function interleaveOf(argv: { N?: number; B?: number; C?: string }): InterleaveParam | undefined {
  if (argv.N === undefined && argv.B === undefined && argv.C === undefined) return undefined;
  return { nstrips: argv.N ?? 0, nbuckets: argv.B ?? 0, chunk_size: argv.C === undefined ? 0n : parseSize(argv.C, '--chunk') };
}

function out(json: boolean | undefined, obj: unknown, human: string): void {
  process.stdout.write(json ? jsonLine(obj) + '\n' : human + '\n');
}

export function register(y: Argv): Argv {
  return y.command('image <action>', 'read, write, check and serve famfs file-system images', (a) => a
    .command('mkfs <img>', 'write a superblock and an empty log (creates a sparse file if needed)', (b) => b
      .positional('img', IMG_ARG)
      .option('size', { type: 'string', default: '4G', describe: 'size of a new image file' })
      .option('loglen', { type: 'string', default: '8M', describe: 'size of the metadata log' })
      .option('force', { type: 'boolean', alias: 'f', describe: 'write over an existing valid superblock' })
      .option('kill', { type: 'boolean', alias: 'k', describe: 'with --force: zero the superblock magic' })
      .option('device', { type: 'string', default: '/dev/dax0.0', describe: 'daxdev path recorded in the superblock' })
      .option('small', { type: 'boolean', describe: 'allow images under 4 GiB' }),
    (argv) => {
      const img = argv.img as string;
      if (!fs.existsSync(img)) {
        try { new FileStore(img, { create: true, size: parseSize(argv.size, '--size') }).close(); } catch (e) { throw new UsageError(`cannot create ${img}: ${(e as NodeJS.ErrnoException).code}`); }
      }
      const store = openImage(img);
      if (argv.kill) {
        if (!argv.force) throw new UsageError('--kill needs --force');
        killSuperblock(store);
        console.log(`${img}: superblock killed`);
        return;
      }
      imageOp(() => mkfs(store, { loglen: parseSize(argv.loglen, '--loglen'), force: argv.force, devname: argv.device, allowSmall: argv.small }));
      const h = new FamfsImage(store).logHeader();
      console.log(`${img}: famfs on ${store.size} bytes, log of ${h.famfs_log_len} bytes (${h.famfs_log_last_index + 1n} entries)`);
    })
    .command('mkdir <img> <path>', 'log a directory', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG)
      .option('p', { alias: 'parents', type: 'boolean', describe: 'create missing parent directories too' }).option('mode', { type: 'string', default: '755', describe: 'octal mode' }),
    (argv) => {
      const n = imageOp(() => new FamfsWriter(openImage(argv.img as string)).mkdir(argv.path as string, { parents: argv.p, mode: parseInt(argv.mode, 8) }));
      console.log(`${argv.path}: ${n} director${n === 1 ? 'y' : 'ies'} logged`);
    })
    .command('creat <img> <path>', 'allocate and log a file (optionally filled with seeded data)', (b) => interleaveOpts(b.positional('img', IMG_ARG).positional('path', PATH_ARG)
      .option('size', { type: 'string', demandOption: true, alias: 's', describe: 'file size (e.g. 4096, 0x200000, 8M)' }).option('seed', { type: 'number', alias: 'S', describe: 'fill with seeded data through the simulated kernel' })
      .option('mode', { type: 'string', default: '644', describe: 'octal mode' })),
    (argv) => {
      const store = openImage(argv.img as string);
      const size = parseSize(argv.size, '--size');
      const f = imageOp(() => new FamfsWriter(store).creat(argv.path as string, size, { mode: parseInt(String(argv.mode), 8), interleave: interleaveOf(argv as { N?: number; B?: number; C?: string }), allocSeed: argv['alloc-seed'] as number, mockStripe: argv['mock-stripe'] as boolean | undefined }));
      if (argv.seed !== undefined) fillThroughKernel(store, f.relpath, pattern(Number(size), Number(argv.seed)));
      console.log(`${f.relpath}: ${size} bytes, ${f.interleave ? `${f.interleave.nstrips} strips of ${f.interleave.strips[0].len}` : `extent at 0x${f.extents[0].offset.toString(16)}`}`);
    })
    .command('cp <img> <src> <dest>', 'allocate, log and copy a host file in (data through the simulated kernel)', (b) => interleaveOpts(b.positional('img', IMG_ARG).positional('src', { type: 'string', demandOption: true, describe: 'the host file to copy in' }).positional('dest', { type: 'string', demandOption: true, describe: 'its path inside the image' })),
      (argv) => {
        const data = new Uint8Array(readInputFile(argv.src as string, { what: 'source file', maxBytes: LARGEST_INPUT }));
        const store = openImage(argv.img as string);
        const f = imageOp(() => new FamfsWriter(store).creat(argv.dest as string, BigInt(data.length), { interleave: interleaveOf(argv as { N?: number; B?: number; C?: string }), allocSeed: argv['alloc-seed'] as number, mockStripe: argv['mock-stripe'] as boolean | undefined }));
        fillThroughKernel(store, f.relpath, data);
        console.log(`${argv.src} -> ${f.relpath}: ${data.length} bytes`);
      })
    .command('ls <img>', 'the files and directories the log plays into', (b) => b.positional('img', IMG_ARG).option('json', JSON_ARG), (argv) => {
      const { entries } = imageOp(() => new FamfsImage(openImage(argv.img as string)).readLog());
      for (const [p, n] of [...logplay(entries).tree].sort(([x], [y]) => x.localeCompare(y))) {
        const size = n.file?.size ?? 0n;
        out(argv.json, { path: p, kind: n.kind, mode: n.mode.toString(8), size: size.toString() }, `${n.kind === 'dir' ? 'd' : '-'}${n.mode.toString(8).padStart(4, '0')} ${String(size).padStart(14)} ${p}`);
      }
    })
    .command('stat <img> <path>', 'one file or directory', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG).option('json', JSON_ARG), (argv) => {
      const n = lookup(argv.img as string, argv.path as string);
      const f = n.file;
      const o = { path: argv.path, kind: n.kind, mode: n.mode.toString(8), uid: n.uid, gid: n.gid, size: f?.size.toString() ?? null, log_index: f?.index ?? null,
        ext_type: f ? (f.interleave ? 'interleaved' : 'simple') : null, extents: f ? (f.interleave ? f.interleave.strips : f.extents).map((e) => ({ devindex: e.devindex.toString(), offset: '0x' + e.offset.toString(16), len: '0x' + e.len.toString(16) })) : [],
        nstrips: f?.interleave?.nstrips.toString() ?? null, chunk_size: f?.interleave?.chunk_size.toString() ?? null };
      out(argv.json, o, `${o.path}: ${o.kind} mode ${o.mode} size ${o.size ?? '-'}${o.ext_type ? ` ${o.ext_type}${o.nstrips ? ` (${o.nstrips} strips, chunk ${o.chunk_size})` : ''}` : ''}\n${o.extents.map((e, i) => `  ${i}: dev ${e.devindex} offset ${e.offset} len ${e.len}`).join('\n')}`);
    })
    .command('fmap <img> <path>', 'the GET_FMAP reply the server sends for a file, and what the kernel port makes of it', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG).option('json', JSON_ARG), (argv) => {
      const n = lookup(argv.img as string, argv.path as string);
      if (!n.file) throw new CheckFailed(`${argv.path} is a directory (GET_FMAP: -ENOENT)`);
      const payload = encodeFmap(fmapSpecOf(n.file));
      const parsed = decodeFmapPayload(payload);
      out(argv.json, { path: argv.path, payload: bytesToHex(payload), kernel: parsed }, `${bytesToHex(payload)}\n${parsed.ok ? `kernel: accepted, ${parsed.meta.extents.join('; ')}` : `kernel: -${parsed.errno}: ${parsed.reason}`}`);
      process.exitCode = parsed.ok ? EXIT_OK : EXIT_FAIL;
    })
    .command('fsck <img>', 'validate superblock and log, rebuild the allocation bitmap, count collisions', (b) => b.positional('img', IMG_ARG).option('json', JSON_ARG), (argv) => {
      const r = fsck(new FamfsImage(openImage(argv.img as string)));
      if (argv.json) process.stdout.write(jsonLine(r) + '\n');
      else {
        console.log(`superblock: ${r.superblock}\nlog: ${r.log} (${r.entries} of ${r.log_capacity} entries)`);
        console.log(`files ${r.files}, directories ${r.directories}, size ${r.size_sum}, allocated ${r.allocated}, amplification ${r.space_amplification}, used ${r.percent_used}%`);
        for (const b of r.bad_entries) console.log(chalk.red(`bad entry ${b.index}: ${b.why}`));
        if (r.collisions) console.log(chalk.red(`${r.collisions} allocation collision(s)`));
        for (const e of r.logplay_errors) console.log(chalk.yellow(`logplay: ${e}`));
        console.log(r.ok ? chalk.green('clean') : chalk.red(`${r.errors} error(s)`));
      }
      process.exitCode = r.ok ? EXIT_OK : EXIT_FAIL;
    })
    .command('cat <img> <path>', 'read a file through the simulated kernel (server -> GET_FMAP -> iomap -> dax store)', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG).option('o', { alias: 'output', type: 'string', describe: 'write the file\'s bytes here instead of stdout' })
      .option('server-cmd', SERVER_CMD_OPTION).option('server-timeout', SERVER_TIMEOUT_OPTION), (argv) => {
      const store = openImage(argv.img as string);
      imageOp(() => new FamfsImage(store).checkSuper());
      const srv = startServer(argv['server-cmd'], argv['server-timeout']); // e.g. famfs_fused serving this image's shadow tree
      const w = mountImage(store, srv ?? undefined);
      const got = catFile(w, '/' + imageOp(() => relative(argv.path as string)));
      if (srv && w.mnt.mounted) w.mnt.umount();
      if (srv) finishServer(srv, 'quiet');
      if (typeof got === 'number') throw new CheckFailed(`${argv.path}: -${errnoName(got)} (${got})${srv && srv.notes.length ? `; server: ${srv.notes.join('; ')}` : ''}`);
      writeOut(got, argv.o);
    })
    .demandCommand(1, 'image needs an action: mkfs, mkdir, creat, cp, ls, stat, fmap, fsck or cat'));
}

function lookup(img: string, p: string) {
  const { entries } = imageOp(() => new FamfsImage(openImage(img)).readLog());
  const n = logplay(entries).tree.get(imageOp(() => relative(p)));
  if (!n) throw new CheckFailed(`${p}: no such file in the image`);
  return n;
}

function fillThroughKernel(store: DaxStore, rel: string, data: Uint8Array): void {
  const rc = writeFile(mountImage(store), '/' + rel, data);
  if (rc < 0) throw new CheckFailed(`${rel}: writing through the simulated kernel failed: -${errnoName(rc)}`);
}
