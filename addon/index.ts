// Loader for the famfs_mmap addon. If it is not built, the harness says so in
// one line and falls back to pread/pwrite file stores (sim/stores.ts).
import * as fs from 'fs';
import * as path from 'path';

/**
 * A mapping owned by the addon. Its bytes are reached only through read() and
 * write(), which check bounds and the file's current size and turn a bus error
 * into an exception: no JS view of the memory exists that could fault.
 */
export interface NativeMapping {
  readonly length: number;
  readonly writable: boolean;
  readonly closed: boolean;
  /** copy mapping bytes [offset, offset+dst.length) into dst */
  read(offset: number, dst: Uint8Array): void;
  /** copy src into the mapping at offset; refused (EACCES) on a read-only mapping */
  write(offset: number, src: Uint8Array): void;
  close(): void;
  msync(): void;
}

interface Native {
  Mapping: new (path: string, offset: number, length: number, opts?: { write?: boolean; sync?: boolean }) => NativeMapping;
  info(path: string): { kind: 'chardev' | 'file' | 'blockdev' | 'other'; major: number; minor: number; size: number; pageSize: number };
  pageSize: number;
}

let cached: Native | null | undefined;
let loadError = '';

function candidates(): string[] {
  return [path.resolve(__dirname, 'build', 'Release', 'famfs_mmap.node'), path.resolve(__dirname, '..', '..', 'addon', 'build', 'Release', 'famfs_mmap.node')];
}

/** The addon, or null (see addonStatus() for why). */
export function loadAddon(): Native | null {
  if (cached !== undefined) return cached;
  const file = candidates().find((f) => fs.existsSync(f));
  if (!file) {
    loadError = 'the mmap addon is not built (run `make build`, or `sh addon/build.sh`)';
    cached = null;
    return null;
  }
  try {
    cached = require(file) as Native; // eslint-disable-line @typescript-eslint/no-require-imports
  } catch (e) {
    loadError = `the mmap addon failed to load: ${(e as Error).message.split('\n')[0]}`;
    cached = null;
  }
  return cached;
}

export function addonStatus(): string {
  return loadAddon() ? 'native mmap addon (famfs_mmap.node)' : `pread/pwrite fallback: ${loadError}`;
}

export class DaxError extends Error {
  constructor(public readonly code: string, public readonly errno: number, msg: string) {
    super(msg);
  }

  /** An addon exception (message, .code, .errno) as a DaxError. */
  static from(e: unknown): DaxError {
    if (e instanceof DaxError) return e;
    const err = e as Error & { code?: string; errno?: number };
    return new DaxError(err.code ?? 'EIO', err.errno ?? -5, err.message);
  }
}

export interface DeviceInfo {
  path: string;
  kind: string;
  major: number;
  minor: number;
  size: bigint;
  /** devdax fault/mmap granularity (sysfs align), page size for files */
  align: bigint;
  devdax: boolean;
}

function sysfsNumber(dev: string, attr: string): bigint | null {
  try {
    return BigInt(fs.readFileSync(`/sys/bus/dax/devices/${dev}/${attr}`, 'utf8').trim());
  } catch {
    return null;
  }
}

/** What a path is: char device (devdax with sysfs size/align) or file. */
export function deviceInfo(p: string): DeviceInfo {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new DaxError(code, -1, `${p}: ${code}`);
  }
  const base = path.basename(p);
  if (st.isCharacterDevice()) {
    const size = sysfsNumber(base, 'size');
    const align = sysfsNumber(base, 'align');
    const rdev = st.rdev;
    return { path: p, kind: 'chardev', major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00), size: size ?? 0n, align: align ?? 2097152n, devdax: size !== null };
  }
  if (!st.isFile()) throw new DaxError('EINVAL', -22, `${p}: neither a character device nor a regular file`);
  return { path: p, kind: 'file', major: 0, minor: 0, size: BigInt(st.size), align: 4096n, devdax: false };
}

/** Map [offset, offset+length) of a devdax device or file; devdax rules enforced first. */
export function mapRegion(p: string, offset: bigint, length: bigint, opts: { write?: boolean; sync?: boolean } = {}): NativeMapping {
  const native = loadAddon();
  if (!native) throw new DaxError('ENOSYS', -38, addonStatus());
  const info = deviceInfo(p);
  if (info.kind === 'file' && info.size === 0n) throw new DaxError('EINVAL', -22, `${p}: the file is empty (0 bytes): nothing to map`);
  if (length <= 0n) throw new DaxError('EINVAL', -22, `${p}: length must be > 0`);
  if (offset % info.align !== 0n || (info.devdax && length % info.align !== 0n)) {
    throw new DaxError('EINVAL', -22, `${p}: offset and length must be multiples of ${info.align} (${info.devdax ? 'devdax align' : 'page size'})`);
  }
  // a devdax without sysfs reports size 0: the addon's mmap then decides
  if ((info.kind === 'file' || info.size > 0n) && offset + length > info.size) throw new DaxError('EINVAL', -22, `${p}: range ends at ${offset + length}, beyond the size ${info.size}`);
  if (offset + length > BigInt(Number.MAX_SAFE_INTEGER)) throw new DaxError('EINVAL', -22, `${p}: length too large`);
  try {
    return new native.Mapping(p, Number(offset), Number(length), opts);
  } catch (e) {
    throw DaxError.from(e);
  }
}
