// famfs-harness image mkfs|mkdir|creat|cp|ls|stat|fmap|fsck|cat IMG ...
import * as fs from 'fs';
import type { Argv } from 'yargs';
import type { DaxStore } from '../../kernel/lib/dax';
import { openStore } from '../../sim/mmap_store';
import { FileStore } from '../../sim/stores';
import { FamfsImage, FileEntry, ImageError } from '../../sim/image/image';
import { FamfsWriter, mkfs, killSuperblock, relative, CreatOptions } from '../../sim/image/writer';
import { checkImage, firstProblem, problemLine } from '../../sim/image/check';
import { ImageLock, withImageLock } from '../../sim/image/lock';
import { FAMFS_DEVNAME_LEN, FAMFS_MAX_NBUCKETS, FAMFS_MAX_SIMPLE_EXTENTS } from '../../sim/image/format';
import { AllocError, InterleaveParam } from '../../sim/image/alloc';
import { fsck } from '../../sim/image/fsck';
import { logplay } from '../../sim/image/logplay';
import { catFile, fmapSpecOf, mountImage, mountImageWithPending, writeFile } from '../../sim/image/serve';
import { pattern } from '../../sim/scenario';
import { encodeFmap, bytesToHex } from '../../uapi/fmap_codec';
import { decodeFmapPayload } from '../../sim/fmap_tools';
import { errnoName } from '../../kernel/lib/errno';
import { DaxError } from '../../addon/index';
import { startServer, finishServer, SERVER_CMD_OPTION, SERVER_TIMEOUT_OPTION } from './sim';
import { jsonLine, parseSize, readInputFile, writeOut, whyFailed, UsageError, CheckFailed, chalk, EXIT_FAIL, EXIT_OK, LARGEST_INPUT } from '../io';

const IMG_ARG = { type: 'string', demandOption: true, describe: 'the image: a file or a devdax device' } as const;
const PATH_ARG = { type: 'string', demandOption: true, describe: 'a path inside the image' } as const;
const JSON_ARG = { type: 'boolean', describe: 'one JSON object per line instead of text' } as const;

/** The image's store: a devdax char device, or a file (mmap'd through the addon where built). */
function openImage(img: string): DaxStore {
  let st: fs.Stats;
  try {
    st = fs.statSync(img);
  } catch (e) {
    throw new UsageError(`cannot open image ${img}: ${whyFailed(e)}`);
  }
  if (!st.isFile() && !st.isCharacterDevice()) throw new UsageError(`${img}: neither a regular file nor a devdax character device`);
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

/**
 * Run fn on the image's store under its lock: exclusive for writers (the whole
 * allocate-and-append), shared for readers (a log as of one append).
 */
function locked<T>(img: string, exclusive: boolean, timeoutMs: number, fn: (store: DaxStore, lock: ImageLock) => T): T {
  openImage(img).close?.(); // a missing or unusable image is a usage error before any lock
  return imageOp(() => withImageLock(img, exclusive, (lock) => {
    const store = openImage(img);
    try {
      return fn(store, lock);
    } finally {
      store.close?.();
    }
  }, timeoutMs));
}

// Option values: whole numbers in range, octal modes, sizes — parsed before
// anything is created or opened, each bad value one line and exit 2.
function wholeNumber(v: unknown, what: string, min: number, max: number): number {
  const s = String(v).trim();
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) throw new UsageError(`${what}: expected a whole number in ${min}..${max}, got '${v}'`);
  return Number(s);
}

function octalMode(v: unknown, what = '--mode'): number {
  const s = String(v).trim();
  if (!/^0?[0-7]{1,4}$/.test(s) || parseInt(s, 8) > 0o7777) throw new UsageError(`${what}: expected octal permission bits 0..7777, got '${v}'`);
  return parseInt(s, 8);
}

function interleaveOpts(a: Argv) {
  return a.option('N', { alias: 'nstrips', type: 'number', describe: 'strips per file (interleaved allocation)' })
    .option('B', { alias: 'nbuckets', type: 'number', describe: 'buckets the device is split into' })
    .option('C', { alias: 'chunk', type: 'string', describe: 'chunk size (e.g. 2M)' })
    .option('alloc-seed', { type: 'number', default: 1, describe: 'seed of the bucket shuffle' })
    .option('mock-stripe', { type: 'boolean', describe: 'allow buckets under 1 GiB (famfs test hook)' });
}

interface CreatArgs { N?: number; B?: number; C?: string; 'alloc-seed'?: number; 'mock-stripe'?: boolean; mode?: string }

function creatOptions(argv: CreatArgs): CreatOptions {
  const any = argv.N !== undefined || argv.B !== undefined || argv.C !== undefined;
  const interleave: InterleaveParam | undefined = any ? {
    nstrips: argv.N === undefined ? 0 : wholeNumber(argv.N, '-N/--nstrips', 0, FAMFS_MAX_SIMPLE_EXTENTS),
    nbuckets: argv.B === undefined ? 0 : wholeNumber(argv.B, '-B/--nbuckets', 0, FAMFS_MAX_NBUCKETS),
    chunk_size: argv.C === undefined ? 0n : parseSize(argv.C, '-C/--chunk'),
  } : undefined;
  return { mode: argv.mode === undefined ? undefined : octalMode(argv.mode), interleave, allocSeed: wholeNumber(argv['alloc-seed'] ?? 1, '--alloc-seed', 0, 0xffffffff), mockStripe: argv['mock-stripe'] };
}

const timeoutOf = (argv: object) => wholeNumber((argv as { 'lock-timeout'?: string })['lock-timeout'] ?? '60', '--lock-timeout', 0, 86400) * 1000;

/** `image cp` source: a regular file no larger than the image, read whole (bounded as every input). */
function readSource(src: string, imageSize: bigint): Uint8Array {
  const maxBytes = imageSize < BigInt(LARGEST_INPUT) ? Number(imageSize) : LARGEST_INPUT;
  return new Uint8Array(readInputFile(src, { what: 'source file', maxBytes, overLimit: `do not fit in the ${imageSize}-byte image` }));
}

/** Names from the log can hold anything: control characters and backslashes escaped, as ls -b does. */
export function escapeName(s: string): string {
  return s.replace(/[\\\x00-\x1f\x7f-\x9f\ufffd]/g, (c) => (c === '\\' ? '\\\\' : c === '\ufffd' ? '\\x??' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

function out(json: boolean | undefined, obj: unknown, human: string): void {
  process.stdout.write(json ? jsonLine(obj) + '\n' : human + '\n');
}

export function register(y: Argv): Argv {
  return y.command('image <action>', 'read, write, check and serve famfs file-system images', (a) => a
    .option('lock-timeout', { type: 'string', default: '60', describe: 'seconds to wait for the image lock held by another process' })
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
      const size = parseSize(argv.size, '--size');
      const loglen = parseSize(argv.loglen, '--loglen');
      if (Buffer.byteLength(argv.device) >= FAMFS_DEVNAME_LEN) throw new UsageError(`--device: at most ${FAMFS_DEVNAME_LEN - 1} bytes (dd_daxdev), got ${Buffer.byteLength(argv.device)}`);
      if (argv.kill && !argv.force) throw new UsageError('--kill needs --force');
      const timeout = timeoutOf(argv);
      const created = !fs.existsSync(img);
      if (created) {
        if (size === 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`--size: ${size} is not a usable image size`);
        try { new FileStore(img, { create: true, size }).close(); } catch (e) { throw new UsageError(`cannot create ${img}: ${whyFailed(e)}`); }
      }
      try {
        locked(img, true, timeout, (store, lock) => {
          if (argv.kill) { killSuperblock(store); lock.flush(); console.log(`${img}: superblock killed`); return; }
          mkfs(store, { loglen, force: argv.force, devname: argv.device, allowSmall: argv.small }, () => lock.flush());
          const h = new FamfsImage(store).logHeader();
          console.log(`${img}: famfs on ${store.size} bytes, log of ${h.famfs_log_len} bytes (${h.famfs_log_last_index + 1n} entries)`);
        });
      } catch (e) {
        if (created) fs.rmSync(img, { force: true }); // a failed mkfs leaves nothing behind
        throw e;
      }
    })
    .command('mkdir <img> <path>', 'log a directory', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG)
      .option('p', { alias: 'parents', type: 'boolean', describe: 'create missing parent directories too' }).option('mode', { type: 'string', default: '755', describe: 'octal mode' }),
    (argv) => {
      const mode = octalMode(argv.mode);
      const n = locked(argv.img as string, true, timeoutOf(argv), (store, lock) => new FamfsWriter(store, () => lock.flush()).mkdir(argv.path as string, { parents: argv.p, mode }));
      console.log(`${argv.path}: ${n} director${n === 1 ? 'y' : 'ies'} logged`);
    })
    .command('creat <img> <path>', 'allocate and log a file (optionally filled with seeded data)', (b) => interleaveOpts(b.positional('img', IMG_ARG).positional('path', PATH_ARG)
      .option('size', { type: 'string', demandOption: true, alias: 's', describe: 'file size (e.g. 4096, 0x200000, 8M)' }).option('seed', { type: 'number', alias: 'S', describe: 'fill with seeded data through the simulated kernel' })
      .option('mode', { type: 'string', default: '644', describe: 'octal mode' })),
    (argv) => {
      const size = parseSize(argv.size, '--size');
      const o = creatOptions(argv as CreatArgs);
      const seed = argv.seed === undefined ? undefined : wholeNumber(argv.seed, '--seed', 0, 0xffffffff);
      if (seed !== undefined && size > 1n << 32n) throw new UsageError(`--seed: seeded fill is limited to 4 GiB, the file is ${size} bytes`);
      const f = locked(argv.img as string, true, timeoutOf(argv), (store, lock) => new FamfsWriter(store, () => lock.flush())
        .creat(argv.path as string, size, o, seed === undefined ? undefined : (pending) => fillThroughKernel(store, pending, pattern(Number(size), seed))));
      console.log(`${f.relpath}: ${size} bytes, ${f.interleave ? `${f.interleave.nstrips} strips of ${f.interleave.strips[0].len}` : `extent at 0x${f.extents[0].offset.toString(16)}`}`);
    })
    .command('cp <img> <src> <dest>', 'allocate, log and copy a host file in (data through the simulated kernel)', (b) => interleaveOpts(b.positional('img', IMG_ARG).positional('src', { type: 'string', demandOption: true, describe: 'the host file to copy in' }).positional('dest', { type: 'string', demandOption: true, describe: 'its path inside the image' })),
      (argv) => {
        const o = creatOptions(argv as CreatArgs);
        const timeout = timeoutOf(argv);
        const imageSize = BigInt(fs.statSync(argv.img as string, { throwIfNoEntry: false })?.size ?? 0);
        const data = readSource(argv.src as string, imageSize || BigInt(Number.MAX_SAFE_INTEGER));
        const f = locked(argv.img as string, true, timeout, (store, lock) => new FamfsWriter(store, () => lock.flush())
          .creat(argv.dest as string, BigInt(data.length), o, (pending) => fillThroughKernel(store, pending, data)));
        console.log(`${argv.src} -> ${f.relpath}: ${data.length} bytes`);
      })
    .command('ls <img>', 'the files and directories the log plays into (names escaped)', (b) => b.positional('img', IMG_ARG).option('json', JSON_ARG), (argv) => {
      const c = locked(argv.img as string, false, timeoutOf(argv), (store) => checkImage(new FamfsImage(store)));
      if (c.fatal) throw new CheckFailed(firstProblem(c));
      for (const [p, n] of [...logplay(c.entries).tree].sort(([x], [y]) => x.localeCompare(y))) {
        const size = n.file?.size ?? 0n;
        out(argv.json, { path: p, kind: n.kind, mode: n.mode.toString(8), size: size.toString() }, `${n.kind === 'dir' ? 'd' : '-'}${n.mode.toString(8).padStart(4, '0')} ${String(size).padStart(14)} ${escapeName(p)}`);
      }
      if (c.problems.length) throw new CheckFailed(firstProblem(c));
    })
    .command('stat <img> <path>', 'one file or directory', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG).option('json', JSON_ARG), (argv) => {
      const n = lookup(argv.img as string, argv.path as string, timeoutOf(argv));
      const f = n.file;
      const o = { path: argv.path, kind: n.kind, mode: n.mode.toString(8), uid: n.uid, gid: n.gid, size: f?.size.toString() ?? null, log_index: f?.index ?? null,
        ext_type: f ? (f.interleave ? 'interleaved' : 'simple') : null, extents: f ? (f.interleave ? f.interleave.strips : f.extents).map((e) => ({ devindex: e.devindex.toString(), offset: '0x' + e.offset.toString(16), len: '0x' + e.len.toString(16) })) : [],
        nstrips: f?.interleave?.nstrips.toString() ?? null, chunk_size: f?.interleave?.chunk_size.toString() ?? null };
      out(argv.json, o, `${escapeName(String(o.path))}: ${o.kind} mode ${o.mode} size ${o.size ?? '-'}${o.ext_type ? ` ${o.ext_type}${o.nstrips ? ` (${o.nstrips} strips, chunk ${o.chunk_size})` : ''}` : ''}\n${o.extents.map((e, i) => `  ${i}: dev ${e.devindex} offset ${e.offset} len ${e.len}`).join('\n')}`);
    })
    .command('fmap <img> <path>', 'the GET_FMAP reply the server sends for a file, and what the kernel port makes of it', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG).option('json', JSON_ARG), (argv) => {
      const n = lookup(argv.img as string, argv.path as string, timeoutOf(argv));
      if (!n.file) throw new CheckFailed(`${argv.path} is a directory (GET_FMAP: -ENOENT)`);
      const payload = encodeFmap(fmapSpecOf(n.file));
      const parsed = decodeFmapPayload(payload);
      out(argv.json, { path: argv.path, payload: bytesToHex(payload), kernel: parsed }, `${bytesToHex(payload)}\n${parsed.ok ? `kernel: accepted, ${parsed.meta.extents.join('; ')}` : `kernel: -${parsed.errno}: ${parsed.reason}`}`);
      process.exitCode = parsed.ok ? EXIT_OK : EXIT_FAIL;
    })
    .command('fsck <img>', 'check superblock, log header and every entry; one line per problem (entry, field, why)', (b) => b.positional('img', IMG_ARG).option('json', JSON_ARG), (argv) => {
      const r = locked(argv.img as string, false, timeoutOf(argv), (store) => fsck(new FamfsImage(store)));
      if (argv.json) process.stdout.write(jsonLine(r) + '\n');
      else {
        console.log(`superblock: ${r.superblock}\nlog: ${r.log} (${r.entries} of ${r.log_capacity} entries)`);
        console.log(`files ${r.files}, directories ${r.directories}, size ${r.size_sum}, allocated ${r.allocated}, amplification ${r.space_amplification}, used ${r.percent_used}%`);
        for (const p of r.problems) console.log(chalk.red(escapeName(problemLine(p))));
        console.log(r.ok ? chalk.green('clean') : chalk.red(`${r.errors} problem(s)${r.collisions ? `, ${r.collisions} allocation collision(s)` : ''}`));
      }
      process.exitCode = r.ok ? EXIT_OK : EXIT_FAIL;
    })
    .command('cat <img> <path>', 'read a file through the simulated kernel (server -> GET_FMAP -> iomap -> dax store); refuses a damaged image', (b) => b.positional('img', IMG_ARG).positional('path', PATH_ARG).option('o', { alias: 'output', type: 'string', describe: 'write the file\'s bytes here instead of stdout' })
      .option('server-cmd', SERVER_CMD_OPTION).option('server-timeout', SERVER_TIMEOUT_OPTION), (argv) => {
      const rel = imageOp(() => relative(argv.path as string));
      const got = locked(argv.img as string, false, timeoutOf(argv), (store) => {
        const c = checkImage(new FamfsImage(store));
        if (c.problems.length) throw new CheckFailed(escapeName(firstProblem(c)));
        const srv = startServer(argv['server-cmd'], argv['server-timeout']); // e.g. famfs_fused serving this image's shadow tree
        const w = mountImage(store, srv ?? undefined);
        const bytes = catFile(w, '/' + rel);
        if (srv && w.mnt.mounted) w.mnt.umount();
        if (srv) finishServer(srv, 'quiet');
        return { bytes, notes: srv ? srv.notes : [] };
      });
      if (typeof got.bytes === 'number') throw new CheckFailed(`${argv.path}: -${errnoName(got.bytes)} (${got.bytes})${got.notes.length ? `; server: ${got.notes.join('; ')}` : ''}`);
      writeOut(got.bytes, argv.o);
    })
    .demandCommand(1, 'image needs an action: mkfs, mkdir, creat, cp, ls, stat, fmap, fsck or cat'));
}

function lookup(img: string, p: string, timeoutMs: number) {
  const rel = imageOp(() => relative(p));
  const c = locked(img, false, timeoutMs, (store) => checkImage(new FamfsImage(store)));
  if (c.problems.length) throw new CheckFailed(escapeName(firstProblem(c)));
  const n = logplay(c.entries).tree.get(rel);
  if (!n) throw new CheckFailed(`${p}: no such file in the image`);
  return n;
}

/** Write a pending (allocated, not yet logged) file's data through the simulated kernel. */
function fillThroughKernel(store: DaxStore, pending: FileEntry, data: Uint8Array): void {
  const rc = writeFile(mountImageWithPending(store, pending), '/' + pending.relpath, data);
  if (rc < 0) throw new CheckFailed(`${pending.relpath}: writing through the simulated kernel failed: -${errnoName(rc)}`);
}
