// CLI plumbing: one-line errors, exit codes (0 ok, 1 check failed / kernel
// rejected, 2 bad usage or unreadable input), colour that honours NO_COLOR.
import * as fs from 'fs';
import { constants as bufferConstants } from 'buffer';
import chalk from 'chalk';
import { DaxError } from '../addon/index';
import { bigintSafe } from '../checks/report';

if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') chalk.level = 0;

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Bad usage or unreadable input: exit 2 with one line. */
export class UsageError extends Error {}

/** The check failed or the input was rejected: exit 1 with one line. */
export class CheckFailed extends Error {}

/** Text inputs (patches, mboxes, specs, scenarios, vector files, C sources) are capped at 16 MiB. */
export const TEXT_INPUT_MAX = 16 << 20;
/** A GET_FMAP payload fits the kernel's one-page reply buffer; allow one page of margin. */
export const PAYLOAD_INPUT_MAX = 2 * 4096;
/** Data files (e.g. `image cp`'s source): as large as one buffer can be. */
export const LARGEST_INPUT = Math.min(bufferConstants.MAX_LENGTH - 1, Number.MAX_SAFE_INTEGER - 1);

/** Why a file operation failed, for the one error line: its errno code (ENOENT, EACCES, ...), else the message. */
export const whyFailed = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export interface InputLimits {
  /** what the file is, for the error line ("payload", "scenario", "mbox", ...) */
  what?: string;
  maxBytes?: number;
  /** how the refusal names the limit (default "over the 16 MiB limit") */
  overLimit?: string;
}

const KIND = (st: fs.Stats): string =>
  st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device'
    : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a regular file';

/**
 * Read an input file with bounds: stat first, refuse anything but a regular
 * file, refuse a file over maxBytes, and never read more than maxBytes + 1
 * (a file that grows while read, or a /proc file that claims size 0).
 */
export function readInputFile(file: string, limits: InputLimits = {}): Buffer {
  const what = limits.what ?? 'input';
  const max = limits.maxBytes ?? TEXT_INPUT_MAX;
  const over = limits.overLimit ?? `over the ${sizeText(max)} limit`;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${whyFailed(e)}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${what} ${file}: ${KIND(st)}, expected a regular file`);
    if (st.size > max) throw new UsageError(`${what} ${file}: ${st.size} bytes, ${over}`);
    // sized by what stat says, grown if the file grows, never past max + 1
    let buf = new Uint8Array(Math.min(max, st.size) + 1);
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        const bigger = new Uint8Array(Math.min(max + 1, buf.length * 2));
        bigger.set(buf);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > max) throw new UsageError(`${what} ${file}: ${over}`);
    }
    return Buffer.from(buf.buffer, 0, got);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${what} ${file}: ${whyFailed(e)}`);
  } finally {
    fs.closeSync(fd);
  }
}

function sizeText(n: number): string {
  return n % (1 << 20) === 0 ? `${n >> 20} MiB` : n % 1024 === 0 ? `${n >> 10} KiB` : `${n}-byte`;
}

/** A text input (patch, mbox, C source, ...), bounded as readInputFile. */
export function readFileOrFail(file: string, what = 'input'): Buffer {
  return readInputFile(file, { what });
}

export function readJsonOrFail(file: string, what = 'input'): unknown {
  const text = readInputFile(file, { what }).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

export function writeOut(text: string | Uint8Array, file?: string): void {
  if (!file) { process.stdout.write(text); return; }
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${whyFailed(e)}`);
  }
}

/** JSON with bigint as decimal strings. */
export function jsonLine(o: unknown): string {
  return JSON.stringify(o, bigintSafe);
}

export function parseIntArg(v: unknown, what: string): bigint {
  const s = String(v).trim();
  if (!/^(0x[0-9a-f_]+|\d[\d_]*)$/i.test(s)) throw new UsageError(`${what}: expected a non-negative integer (decimal or 0x hex), got '${s}'`);
  const n = BigInt(s.replace(/_/g, ''));
  if (n >= 1n << 64n) throw new UsageError(`${what}: ${s} does not fit in 64 bits`);
  return n;
}

/** The --dax option shared by every command that touches devices. */
export const DAX_OPTION = {
  type: 'string' as const,
  array: true as const,
  describe: 'back the devices with a store: memory[:SIZE], file:PATH (mmap through the addon, else pread/pwrite) or devdax:/dev/daxX.Y; repeat for more devices',
};

/** Run `fn`, turning a store-opening failure into a usage error (exit 2). */
export function withStores<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DaxError) throw new UsageError(e.message);
    throw e;
  }
}

/** Run `fn`, turning errors of the given kinds (bad input found below the CLI) into usage errors (exit 2). */
export function usageOn<T>(kinds: (abstract new (...args: never[]) => Error)[], fn: () => T, prefix = ''): T {
  try {
    return fn();
  } catch (e) {
    if (kinds.some((k) => e instanceof k)) throw new UsageError(prefix + (e as Error).message);
    throw e;
  }
}

/** A size: decimal, 0x hex, or with a K/M/G/T suffix (powers of 1024). */
export function parseSize(v: unknown, what: string): bigint {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)i?b?\s*$/i.exec(String(v));
  if (!m) throw new UsageError(`${what}: expected a size like 4096, 0x200000, 8M or 4G, got '${v}'`);
  const mult = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return BigInt(m[1]) * mult;
}

export { chalk };
