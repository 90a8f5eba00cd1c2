// drivers/dax (super.c + the fsdev mode of the "dax: prepare for famfs" series):
// the dax_device objects famfs holds, looked up by devno, with exclusive holders
// and notify_failure. Bytes live in a DaxStore that sim/ provides (memory, file,
// mmap of a real /dev/daxX.Y); the kernel never knows which.
import { EBUSY, EFAULT, EIO, ENODEV, ENXIO } from './errno';

/** Where a dax device's bytes live. Offsets are device byte offsets. */
export interface DaxStore {
  readonly kind: string;
  readonly size: bigint;
  /** copy device bytes [off, off+dst.length) into dst */
  read(off: number, dst: Uint8Array): void;
  /** copy src into device bytes at off */
  write(off: number, src: Uint8Array): void;
  /** zero-copy view when the store has one (memory), else null */
  view?(off: number, len: number): Uint8Array | null;
  close?(): void;
}

export interface dax_holder_operations {
  notify_failure(dax_dev: dax_device, offset: bigint, len: bigint, mf_flags: number): number;
}

export class dax_device {
  alive = true;
  holder_data: unknown = null;
  holder_ops: dax_holder_operations | null = null;
  refcount = 0;
  /** poisoned byte ranges [start, end) (memory_failure) */
  poison: [bigint, bigint][] = [];
  constructor(public readonly devno: number, public readonly name: string, public readonly store: DaxStore) {}
  get size(): bigint {
    return this.store.size;
  }
}

/** The dax bus of one simulated machine: devices by devno. */
export class DaxBus {
  private devices = new Map<number, dax_device>();

  register(devno: number, name: string, store: DaxStore): dax_device {
    const dev = new dax_device(devno, name, store);
    this.devices.set(devno, dev);
    return dev;
  }

  /** The device disappears (driver unbind): holders stay attached, accesses fail. */
  kill(devno: number): void {
    const dev = this.devices.get(devno);
    if (dev) dev.alive = false;
  }

  byDevno(devno: number): dax_device | undefined {
    return this.devices.get(devno);
  }

  all(): dax_device[] {
    return [...this.devices.values()];
  }
}

/** dax_dev_get(devno): a referenced dax_device, or null if devno is not dax. */
export function dax_dev_get(bus: DaxBus, devno: number): dax_device | null {
  const dev = bus.byDevno(devno);
  if (!dev || !dev.alive) return null;
  dev.refcount++;
  return dev;
}

export function put_dax(dev: dax_device): void {
  dev.refcount--;
}

/**
 * fs_dax_get() (the "dax: prepare for famfs" patch, drivers/dax/super.c): a
 * dead device is -ENODEV; holder_data is taken by cmpxchg(NULL -> holder), so
 * a device that already has a holder, even this same one, is -EBUSY.
 */
export function fs_dax_get(dev: dax_device, holder: unknown, ops: dax_holder_operations): number {
  if (!dev.alive) return -ENODEV;
  if (dev.holder_data !== null) return -EBUSY;
  dev.holder_data = holder;
  dev.holder_ops = ops;
  return 0;
}

export function fs_put_dax(dev: dax_device, holder: unknown): void {
  if (dev.holder_data === holder) {
    dev.holder_data = null;
    dev.holder_ops = null;
  }
}

export function dax_holder(dev: dax_device): unknown {
  return dev.holder_data;
}

/**
 * memory_failure() -> dax_holder_notify_failure(): mark the range poisoned and
 * tell the holder. Returns the holder's answer, or -EOPNOTSUPP-like 0 when none.
 */
export function dax_holder_notify_failure(dev: dax_device, offset: bigint, len: bigint, mf_flags: number): number {
  dev.poison.push([offset, offset + len]);
  if (!dev.holder_ops) return 0;
  return dev.holder_ops.notify_failure(dev, offset, len, mf_flags);
}

/** Whether [off, off + len) meets a poisoned range (a plain loop: no closure per access). */
function poisoned(dev: dax_device, off: bigint, len: bigint): boolean {
  for (const [s, e] of dev.poison) if (off < e && off + len > s) return true;
  return false;
}

/** Does [off, off + len) of the device touch poison (nothing to walk on a clean device)? The mm's machine check on a mapped access asks the same. */
export function dax_poisoned(dev: dax_device, off: bigint, len: bigint): boolean {
  return dev.poison.length !== 0 && poisoned(dev, off, len);
}

/**
 * dax_direct_access(): how many bytes from `off` are accessible, or -errno.
 * Dead device -> -ENXIO; range beyond the device -> -EFAULT (the fixed fsdev
 * pgoff_to_phys check, review B-4) [inferred errno]; poison -> -EIO (fs/dax.c
 * dax_mem2blk_err).
 */
export function dax_direct_access(dev: dax_device, off: bigint, len: bigint): bigint | number {
  if (!dev.alive) return -ENXIO;
  const size = dev.store.size;
  if (off < 0n || off >= size) return -EFAULT;
  const left = size - off;
  const avail = left < len ? left : len;
  if (dax_poisoned(dev, off, avail)) return -EIO;
  return avail;
}
