// The mmap-backed dax store (real devdax or a file mapped through the addon),
// and the selector behind --dax memory|file:PATH|devdax:PATH.
import type { DaxStore } from '../kernel/lib/dax';
import { mapRegion, NativeMapping, loadAddon, deviceInfo, DaxError } from '../addon/index';
import { FileStore, MemoryStore } from './stores';
import { parseU64 } from '../uapi/fmap_codec';
import { DEFAULT_DEVICE, WorldSpec } from './world';

/**
 * A dax store whose bytes are a real shared mapping: /dev/daxX.Y or a file,
 * mapped through the addon. Every access is a copy by the addon (bounds, the
 * file's size and bus errors checked there), so a file truncated under the
 * store or a poisoned page is a DaxError, never a signal. No zero-copy view.
 */
export class MmapStore implements DaxStore {
  readonly kind: string;
  readonly size: bigint;
  private mapping: NativeMapping;

  constructor(public readonly path: string, size?: bigint, opts: { write?: boolean } = {}) {
    const info = deviceInfo(path);
    this.size = size ?? info.size;
    this.kind = info.devdax ? 'devdax' : 'mmap';
    this.mapping = mapRegion(path, 0n, this.size, opts);
  }

  read(off: number, dst: Uint8Array): void {
    try {
      this.mapping.read(off, dst);
    } catch (e) {
      throw this.failure(e);
    }
  }

  write(off: number, src: Uint8Array): void {
    try {
      this.mapping.write(off, src);
    } catch (e) {
      throw this.failure(e);
    }
  }

  /** data written through the mapping reaches the file (msync MS_SYNC) */
  sync(): void {
    try {
      this.mapping.msync();
    } catch (e) {
      throw this.failure(e);
    }
  }

  close(): void {
    this.mapping.close();
  }

  private failure(e: unknown): DaxError {
    const d = DaxError.from(e);
    return new DaxError(d.code, d.errno, `${this.path}: ${d.message}`);
  }
}

/**
 * Put the stores named by --dax options behind a world's devices, in order
 * (the first --dax backs the first device, and so on). Devices not named keep
 * their memory store.
 */
export function withDaxStores(world: WorldSpec, specs: string[]): WorldSpec {
  if (!specs.length) return world;
  const devices = [...(world.devices ?? [{ name: DEFAULT_DEVICE }])];
  if (specs.length > devices.length) throw new DaxError('EINVAL', -22, `--dax given ${specs.length} times, the world has ${devices.length} device(s)`);
  specs.forEach((spec, i) => { devices[i] = { ...devices[i], store: openStore(spec, devices[i].size !== undefined ? parseU64(devices[i].size, 'device size') : undefined) }; });
  return { ...world, devices };
}

/** --dax memory[:SIZE] | file:PATH | devdax:PATH -> a store (mmap when the addon is built). Failures are DaxError. */
export function openStore(spec: string, defaultSize = 1n << 30n): DaxStore {
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  const bad = (msg: string) => new DaxError('EINVAL', -22, msg);
  try {
    if (kind === 'memory') return new MemoryStore(arg ? parseU64(arg, '--dax memory size') : defaultSize);
    if (kind !== 'file' && kind !== 'devdax') throw bad(`--dax: unknown store '${spec}' (memory[:SIZE], file:PATH or devdax:PATH)`);
    if (!arg) throw bad(`--dax ${kind}:PATH needs a path`);
    if (kind === 'devdax' && !loadAddon()) throw bad('--dax devdax: needs the mmap addon (run `make build`)');
    return loadAddon() ? new MmapStore(arg) : new FileStore(arg);
  } catch (e) {
    if (e instanceof DaxError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EINVAL';
    throw new DaxError(code, -22, `--dax ${spec}: ${code === 'EINVAL' ? (e as Error).message : code}`);
  }
}
