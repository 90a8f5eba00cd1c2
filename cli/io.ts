// CLI plumbing: one-line errors, exit codes (0 ok, 1 check failed / kernel
// rejected, 2 bad usage or unreadable input), colour that honours NO_COLOR.
import * as fs from 'fs';
import chalk from 'chalk';
import { DaxError } from '../addon/index';

if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') chalk.level = 0;

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Bad usage or unreadable input: exit 2 with one line. */
export class UsageError extends Error {}

/** The check failed or the input was rejected: exit 1 with one line. */
export class CheckFailed extends Error {}

export function readFileOrFail(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function readJsonOrFail(file: string): unknown {
  const text = readFileOrFail(file).toString('utf8');
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
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** JSON with bigint as decimal strings. */
export function jsonLine(o: unknown): string {
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
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

/** A size: decimal, 0x hex, or with a K/M/G/T suffix (powers of 1024). */
export function parseSize(v: unknown, what: string): bigint {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)i?b?\s*$/i.exec(String(v));
  if (!m) throw new UsageError(`${what}: expected a size like 4096, 0x200000, 8M or 4G, got '${v}'`);
  const mult = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return BigInt(m[1]) * mult;
}

export { chalk };
