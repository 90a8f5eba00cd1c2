// One simulated machine: its dax bus, its device nodes (the namespace that
// famfs_verify_daxdev walks) and its kernel configuration.
import { DaxBus, DaxStore, dax_holder_notify_failure, dax_device } from '../kernel/lib/dax';
import { KernelConfig, KernelEnv } from '../kernel/fuse_i';
import { MKDEV, Namespace, path, S_IFCHR, S_IFREG, S_IFBLK, S_IFLNK, S_IFDIR } from '../kernel/lib/namei';
import { ELOOP, ENOENT } from '../kernel/lib/errno';

interface NodeEntry { mode: number; rdev: number; nodev: boolean; target?: string }

export const DAX_MAJOR = 252;

export class SimMachine implements Namespace {
  readonly dax = new DaxBus();
  readonly config: KernelConfig = { CONFIG_FUSE_FAMFS_DAX: true, CONFIG_FUSE_DAX: true };
  private nodes = new Map<string, NodeEntry>();
  private nextMinor = 0;

  env(): KernelEnv {
    return { dax: this.dax, ns: this, config: this.config };
  }

  /** Create /dev/daxN.M backed by `store`; returns the dax_device. */
  addDaxDevice(name: string, store: DaxStore, opts: { nodev?: boolean } = {}): dax_device {
    const devno = MKDEV(DAX_MAJOR, this.nextMinor++);
    this.nodes.set(name, { mode: S_IFCHR | 0o600, rdev: devno, nodev: !!opts.nodev });
    return this.dax.register(devno, name, store);
  }

  /** Other node kinds, to exercise famfs_verify_daxdev's checks. */
  addNode(name: string, kind: 'chr' | 'blk' | 'reg' | 'dir', opts: { rdev?: number; nodev?: boolean } = {}): void {
    const mode = { chr: S_IFCHR, blk: S_IFBLK, reg: S_IFREG, dir: S_IFDIR }[kind] | 0o600;
    this.nodes.set(name, { mode, rdev: opts.rdev ?? (kind === 'chr' ? MKDEV(1, 3) : 0), nodev: !!opts.nodev });
  }

  addSymlink(name: string, target: string): void {
    this.nodes.set(name, { mode: S_IFLNK | 0o777, rdev: 0, nodev: false, target });
  }

  device(name: string): dax_device | undefined {
    const n = this.nodes.get(name);
    return n ? this.dax.byDevno(n.rdev) : undefined;
  }

  /** Driver unbind: the device is gone for new lookups and accesses. */
  unbind(name: string): void {
    const n = this.nodes.get(name);
    if (n) this.dax.kill(n.rdev);
  }

  /** memory_failure on a device range: poison + holder notify_failure. */
  memoryFailure(name: string, offset: bigint, len: bigint): number {
    const dev = this.device(name);
    if (!dev) return -ENOENT;
    return dax_holder_notify_failure(dev, offset, len, 0);
  }

  kern_path(pathname: string): { err: number; path?: path } {
    let name = pathname;
    for (let hops = 0; hops < 40; hops++) {
      const n = this.nodes.get(name);
      if (!n) return { err: -ENOENT };
      if (n.target === undefined) return { err: 0, path: { i_mode: n.mode, i_rdev: n.rdev, mnt_nodev: n.nodev } };
      name = n.target;
    }
    return { err: -ELOOP };
  }
}
