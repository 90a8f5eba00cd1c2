// A dax store whose bytes are a real shared mapping: /dev/daxX.Y or a file,
// mmap'd through the addon. Also the selector behind --dax memory|file:PATH|devdax:PATH.
import type { DaxStore } from '../kernel/lib/dax';
import { mapRegion, NativeMapping, loadAddon, deviceInfo } from '../addon/index';
import { FileStore, MemoryStore } from './stores';
import { parseU64 } from '../uapi/fmap_codec';

export class MmapStore implements DaxStore {
  readonly kind: string;
  readonly size: bigint;
  private mapping: NativeMapping;
  private bytes: Uint8Array;

  constructor(public readonly path: string, size?: bigint) {
    const info = deviceInfo(path);
    this.size = size ?? info.size;
    this.kind = info.devdax ? 'devdax' : 'mmap';
    this.mapping = mapRegion(path, 0n, this.size);
    this.bytes = new Uint8Array(this.mapping.buffer);
  }

  read(off: number, dst: Uint8Array): void {
    dst.set(this.bytes.subarray(off, off + dst.length));
  }

  write(off: number, src: Uint8Array): void {
    this.bytes.set(src, off);
  }

  view(off: number, len: number): Uint8Array {
    return this.bytes.subarray(off, off + len);
  }

  close(): void {
    this.mapping.close();
  }
}

/** --dax memory[:SIZE] | file:PATH | devdax:PATH -> a store (mmap when the addon is built). */
export function openStore(spec: string, defaultSize = 1n << 30n): DaxStore {
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  if (kind === 'memory') return new MemoryStore(arg ? parseU64(arg, '--dax memory size') : defaultSize);
  if (kind === 'file') {
    if (!arg) throw new Error('--dax file:PATH needs a path');
    return loadAddon() ? new MmapStore(arg) : new FileStore(arg);
  }
  if (kind === 'devdax') {
    if (!arg) throw new Error('--dax devdax:PATH needs a path');
    if (!loadAddon()) throw new Error('devdax needs the mmap addon (run `make build`)');
    return new MmapStore(arg);
  }
  throw new Error(`--dax: unknown store '${spec}' (memory[:SIZE], file:PATH or devdax:PATH)`);
}
