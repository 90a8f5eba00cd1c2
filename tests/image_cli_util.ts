// Helpers for the image child-process tests: the built CLI, scratch images,
// async children with a bound on their run time.
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const BIN = path.resolve(__dirname, '..', 'bin', 'famfs-harness');
export const DIST = path.resolve(__dirname, '..', 'dist');
export const built = fs.existsSync(path.join(DIST, 'cli', 'main.js')) && fs.existsSync(path.resolve(__dirname, '..', 'addon', 'build', 'Release', 'famfs_mmap.node'));
const env = { ...process.env, NO_COLOR: '1' };

export const run = (...args: string[]): SpawnSyncReturns<string> => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20, timeout: 60_000 });
export const runRaw = (...args: string[]): SpawnSyncReturns<Buffer> => spawnSync(process.execPath, [BIN, ...args], { env, maxBuffer: 64 << 20, timeout: 60_000 });

export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh --small image of `size` bytes. */
export function newImage(dir: string, name = 'fs.img', size = '256M'): string {
  const img = path.join(dir, name);
  const r = run('image', 'mkfs', img, '--size', size, '--small');
  if (r.status !== 0) throw new Error(`mkfs failed: ${r.stderr}`);
  return img;
}

/** Deterministic file content for a name (so any file can be verified later). */
export function contentFor(name: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = parseInt(crypto.createHash('sha256').update(name).digest('hex').slice(0, 8), 16) || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export const sha = (b: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => crypto.createHash('sha256').update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest('hex');

export interface Child { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run a process to its end (killed after `timeoutMs`). */
export function runAsync(cmd: string, args: string[], timeoutMs = 120_000): Promise<Child> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (status, signal) => { clearTimeout(t); resolve({ status, signal, stdout, stderr }); });
  });
}

/** The files `image ls --json` lists. */
export function listFiles(img: string): { path: string; kind: string; size: string }[] {
  const r = run('image', 'ls', img, '--json');
  if (r.status !== 0) throw new Error(`ls failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
