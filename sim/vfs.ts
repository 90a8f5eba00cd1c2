// The VFS front: system calls on a simulated famfs-in-fuse mount. Each call goes
// through the ported kernel code and, where the kernel talks to its server,
// over the binary channel. Results are values or negative errno, never throws
// (a modelled kernel oops is reported as such).
import { fuse_conn, fuse_file_famfs, fuse_mount, inode, IS_DAX, KernelConfig } from '../kernel/fuse_i';
import { fuse_iqueue, FUSE_ARGS } from '../kernel/dev';
import { fuse_send_init, inode_cache, fuse_conn_put } from '../kernel/inode';
import { fuse_lookup_name, fuse_do_getattr } from '../kernel/dir';
import { fuse_file_mmap, fuse_file_read_iter, fuse_file_write_iter, fuse_open, fuse_release, fuse_splice } from '../kernel/file';
import { fuse_opcode, FUSE_ROOT_ID } from '../uapi/fuse';
import { EBADF, EINVAL, EIO, ENOENT, ENOTCONN, ENOTDIR } from '../kernel/lib/errno';
import { S_ISDIR } from '../kernel/lib/namei';
import { file, FAULT_FLAG_WRITE, iov_iter, iov_iter_new, iov_iter_ubuf, kiocb, READ, vm_area_struct, vm_fault, VM_FAULT_DONE_COW, VM_FAULT_FALLBACK, VM_FAULT_HWPOISON, VM_FAULT_NOPAGE, VM_FAULT_SIGBUS, vm_fault_name, VM_HUGEPAGE, VM_SHARED, WRITE } from '../kernel/lib/fs';
import { arch, PMD_ORDER } from '../kernel/lib/params';
import { KernelOops } from '../kernel/lib/oops';
import { dax_device, dax_poisoned } from '../kernel/lib/dax';
import type { FusePeer } from './peer';
import { FuseChannel } from './channel';
import { SimMachine } from './machine';

export interface MountOptions {
  /** CAP_SYS_RAWIO of the mounting process (default true) */
  cap_sys_rawio?: boolean;
  config?: Partial<KernelConfig>;
  /** the server used FUSE_DEV_IOC_SYNC_INIT: mount(2) waits for INIT and fails if it failed */
  sync_init?: boolean;
}

/** What a mapped access (load/store through an mmap) ended in. */
export type FaultOutcome = { ok: true; vm_fault: string; addr: bigint; len: bigint; order: number } | { ok: false; vm_fault: string; signal: 'SIGBUS'; code: 'BUS_ADRERR' | 'BUS_MCEERR_AR' };

/** A page table entry: device memory (the dax pfn), or a private copy after copy-on-write. */
type DevicePte = { anon?: undefined; addr: bigint; dev: dax_device; writable: boolean };
type Pte = DevicePte | { anon: Uint8Array; writable: true };

interface Mapping {
  vma: vm_area_struct<inode>;
  /** file page index -> its page table entry */
  pages: Map<bigint, Pte>;
}

export class SimMount {
  readonly iq = new fuse_iqueue();
  readonly fc: fuse_conn;
  readonly fm: fuse_mount;
  readonly channel: FuseChannel;
  readonly icache: inode_cache;
  private dcache = new Map<string, inode>();
  private files = new Map<number, file<inode>>();
  private maps = new Map<number, Mapping>();
  private nextFd = 3;
  private nextMap = 1;
  private spareIo: { iocb: kiocb<inode>; iter: iov_iter } | null = null;
  mounted = false;

  constructor(readonly machine: SimMachine, readonly server: FusePeer, opts: MountOptions = {}) {
    Object.assign(machine.config, opts.config ?? {});
    this.fc = new fuse_conn(machine.env(), this.iq, opts.cap_sys_rawio ?? true);
    this.fc.sync_init = opts.sync_init ?? false;
    this.fm = new fuse_mount(this.fc);
    this.channel = new FuseChannel(this.iq, server);
    this.icache = new inode_cache(this.fc);
  }

  /** mount(2): INIT over the channel. */
  mount(): number {
    const rc = guard(() => fuse_send_init(this.fm));
    this.mounted = rc === 0;
    return rc;
  }

  get famfsMode(): boolean {
    return this.fc.famfs_iomap;
  }

  /** Path walk with LOOKUP per component (cached like the dcache). */
  lookup(path: string): inode | number {
    const parts = path.split('/').filter(Boolean);
    let cur: inode | null = null;
    let parentId = FUSE_ROOT_ID;
    let sofar = '';
    for (const name of parts) {
      sofar += '/' + name;
      const hit = this.dcache.get(sofar);
      if (hit) { cur = hit; parentId = hit.fi.nodeid; continue; }
      if (cur && !S_ISDIR(cur.i_mode)) return -ENOTDIR;
      const r = guard(() => fuse_lookup_name(this.fm, this.icache, parentId, name));
      if (typeof r === 'number') return r;
      this.dcache.set(sofar, r);
      cur = r;
      parentId = r.fi.nodeid;
    }
    return cur ?? -ENOENT;
  }

  /** open(2); flags: 0 O_RDONLY, 1 O_WRONLY, 2 O_RDWR. Returns an fd or -errno. */
  open(path: string, flags = 2): number {
    if (!this.iq.connected) return -ENOTCONN;
    const ino = this.lookup(path);
    if (typeof ino === 'number') return ino;
    const f = guard(() => fuse_open(this.fm, ino, flags));
    if (typeof f === 'number') return f;
    const fd = this.nextFd++;
    this.files.set(fd, f);
    return fd;
  }

  close(fd: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    this.files.delete(fd);
    return guard(() => fuse_release(this.fm, f));
  }

  file(fd: number): file<inode> | undefined {
    return this.files.get(fd);
  }

  /** pread(2) into `buf`: bytes read or -errno. */
  pread(fd: number, buf: Uint8Array, pos: bigint): number {
    return this.rw(fd, READ, buf, pos);
  }

  /** pwrite(2): bytes written or -errno. */
  pwrite(fd: number, data: Uint8Array, pos: bigint): number {
    return this.rw(fd, WRITE, data, pos);
  }

  /**
   * The read path the bench times: no closure, and no new kiocb or iov_iter
   * (the C has them on the syscall's stack). One pair is kept between calls;
   * while a call holds it the slot is empty, so a nested call (a server hook
   * that reads) makes its own.
   */
  private rw(fd: number, rw: typeof READ | typeof WRITE, buf: Uint8Array, pos: bigint): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    const io = this.spareIo ?? { iocb: { ki_filp: f, ki_pos: pos }, iter: iov_iter_new(rw, buf) };
    this.spareIo = null;
    io.iocb.ki_filp = f;
    io.iocb.ki_pos = pos;
    iov_iter_ubuf(io.iter, rw, buf);
    try {
      return rw === READ ? fuse_file_read_iter(this.fm, io.iocb, io.iter) : fuse_file_write_iter(this.fm, io.iocb, io.iter);
    } catch (e) {
      return oopsResult(e);
    } finally {
      this.spareIo = io;
    }
  }

  /** splice(2) from or to the file. */
  splice(fd: number): number {
    const f = this.files.get(fd);
    return f ? fuse_splice(f) : -EBADF;
  }

  /** fstat(2)-like: the inode's size as the kernel sees it. */
  stat(fd: number): { size: bigint; dax: boolean; famfs: boolean } | number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    return { size: f.f_inode.i_size, dax: IS_DAX(f.f_inode), famfs: fuse_file_famfs(f.f_inode.fi) };
  }

  /** Attribute refresh (GETATTR): a size changed behind famfs's back lands here. */
  refresh(path: string): number {
    const ino = this.lookup(path);
    if (typeof ino === 'number') return ino;
    return guard(() => fuse_do_getattr(this.fm, ino));
  }

  /** mmap(2) of [offset, offset+length) of an open file: a map id or -errno. */
  mmap(fd: number, offset: bigint, length: bigint, shared = true): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    if (offset % arch.PAGE_SIZE !== 0n || length <= 0n) return -EINVAL;
    const vma: vm_area_struct<inode> = { vm_file: f, vm_flags: shared ? VM_SHARED : 0, vm_pgoff: offset / arch.PAGE_SIZE, vm_len: length, vm_ops: null };
    const rc = guard(() => fuse_file_mmap(f, vma));
    if (rc) return rc;
    const id = this.nextMap++;
    this.maps.set(id, { vma, pages: new Map() });
    return id;
  }

  munmap(id: number): number {
    return this.maps.delete(id) ? 0 : -EINVAL;
  }

  /**
   * One page fault at file offset `pos` of a mapping, as the mm would raise it:
   * a PMD fault first when the vma allows huge pages (unless order is forced),
   * then the PTE fallback. A write fault on a private mapping takes the
   * do_cow_fault path: the PTE fault gets a private page to fill (cow_page).
   */
  fault(id: number, pos: bigint, write: boolean, order?: number): FaultOutcome {
    const m = this.maps.get(id);
    if (!m || !m.vma.vm_ops) return { ok: false, vm_fault: 'SIGSEGV', signal: 'SIGBUS', code: 'BUS_ADRERR' };
    const ops = m.vma.vm_ops;
    const cow = write && !(m.vma.vm_flags & VM_SHARED);
    const vmf: vm_fault<inode> = { vma: m.vma, pgoff: pos / arch.PAGE_SIZE, flags: write ? FAULT_FLAG_WRITE : 0 };
    const tryOrders = order !== undefined ? [order] : m.vma.vm_flags & VM_HUGEPAGE ? [PMD_ORDER(), 0] : [0];
    let ret = VM_FAULT_FALLBACK;
    let used = 0;
    for (const o of tryOrders) {
      used = o;
      vmf.cow_page = cow && o === 0 ? new Uint8Array(Number(arch.PAGE_SIZE)) : undefined;
      ret = guard(() => (o === 0 ? ops.fault(vmf) : ops.huge_fault(vmf, o)), () => VM_FAULT_SIGBUS); // an oops kills the task
      if (!(ret & VM_FAULT_FALLBACK)) break;
    }
    if (ret & VM_FAULT_DONE_COW && vmf.cow_page) {
      m.pages.set(vmf.pgoff, { anon: vmf.cow_page, writable: true }); // finish_fault: the private page, never the device
      return { ok: true, vm_fault: vm_fault_name(ret), addr: vmf.mapped_addr ?? 0n, len: arch.PAGE_SIZE, order: used };
    }
    if (ret & VM_FAULT_NOPAGE && vmf.mapped_addr !== undefined && vmf.mapped_len !== undefined) {
      this.installPages(m, vmf, write);
      return { ok: true, vm_fault: vm_fault_name(ret), addr: vmf.mapped_addr, len: vmf.mapped_len, order: used };
    }
    return { ok: false, vm_fault: vm_fault_name(ret), signal: 'SIGBUS', code: ret & VM_FAULT_HWPOISON ? 'BUS_MCEERR_AR' : 'BUS_ADRERR' };
  }

  private installPages(m: Mapping, vmf: vm_fault<inode>, write: boolean): void {
    const npages = (vmf.mapped_len as bigint) / arch.PAGE_SIZE;
    const first = npages > 1n ? vmf.pgoff & ~(npages - 1n) : vmf.pgoff;
    const dev = vmf.mapped_dev as dax_device;
    for (let i = 0n; i < npages; i++) m.pages.set(first + i, { addr: (vmf.mapped_addr as bigint) + i * arch.PAGE_SIZE, dev, writable: write });
  }

  /** Load or store through a mapping, faulting pages in as the CPU would. */
  access(id: number, pos: bigint, buf: Uint8Array, write: boolean): { ok: true; faults: number } | ({ ok: false; at: bigint } & FaultOutcome) {
    const m = this.maps.get(id);
    if (!m) return { ok: false, at: pos, vm_fault: 'SIGSEGV', signal: 'SIGBUS', code: 'BUS_ADRERR' };
    let done = 0;
    let faults = 0;
    const base = m.vma.vm_pgoff * arch.PAGE_SIZE;
    while (done < buf.length) {
      const p = pos + BigInt(done);
      if (p < base || p >= base + m.vma.vm_len) return { ok: false, at: p, vm_fault: 'SIGSEGV', signal: 'SIGBUS', code: 'BUS_ADRERR' };
      const pg = p / arch.PAGE_SIZE;
      let pte = m.pages.get(pg);
      if (pte && !pte.anon && !pte.dev.alive) { m.pages.clear(); pte = undefined; } // unbind zaps the mappings
      if (!pte || (write && !pte.writable)) {
        faults++;
        const r = !pte ? this.fault(id, p, write) : m.vma.vm_flags & VM_SHARED ? this.mkwrite(m, pg) : this.wp_page_copy(m, pg, pte);
        if (!r.ok) return { ...r, at: p };
        pte = m.pages.get(pg);
        if (!pte) return { ok: false, at: p, vm_fault: 'SIGBUS', signal: 'SIGBUS', code: 'BUS_ADRERR' };
      }
      const inPage = Number(arch.PAGE_SIZE - (p % arch.PAGE_SIZE));
      const n = Math.min(inPage, buf.length - done);
      const chunk = buf.subarray(done, done + n);
      if (pte.anon) {
        const at = Number(p % arch.PAGE_SIZE);
        if (write) pte.anon.set(chunk, at);
        else chunk.set(pte.anon.subarray(at, at + n));
      } else {
        const devoff = pte.addr + (p % arch.PAGE_SIZE);
        if (dax_poisoned(pte.dev, devoff, BigInt(n))) return { ok: false, at: p, vm_fault: 'HWPOISON', signal: 'SIGBUS', code: 'BUS_MCEERR_AR' };
        if (write) pte.dev.store.write(Number(devoff), chunk);
        else pte.dev.store.read(Number(devoff), chunk);
      }
      done += n;
    }
    return { ok: true, faults };
  }

  /**
   * mm/memory.c do_wp_page -> wp_page_copy: a store to a read-only device page
   * of a private mapping copies the page; the file system is not called and
   * the device is not written.
   */
  private wp_page_copy(m: Mapping, pg: bigint, pte: DevicePte): FaultOutcome {
    if (dax_poisoned(pte.dev, pte.addr, arch.PAGE_SIZE)) return { ok: false, vm_fault: 'HWPOISON', signal: 'SIGBUS', code: 'BUS_MCEERR_AR' };
    const page = new Uint8Array(Number(arch.PAGE_SIZE));
    pte.dev.store.read(Number(pte.addr), page);
    m.pages.set(pg, { anon: page, writable: true });
    return { ok: true, vm_fault: 'DONE_COW', addr: pte.addr, len: arch.PAGE_SIZE, order: 0 };
  }

  private mkwrite(m: Mapping, pg: bigint): FaultOutcome {
    const vmf: vm_fault<inode> = { vma: m.vma, pgoff: pg, flags: FAULT_FLAG_WRITE };
    const ret = guard(() => (m.vma.vm_ops as NonNullable<typeof m.vma.vm_ops>).pfn_mkwrite(vmf), () => VM_FAULT_SIGBUS);
    if (ret & VM_FAULT_NOPAGE && vmf.mapped_addr !== undefined) {
      this.installPages(m, vmf, true);
      return { ok: true, vm_fault: vm_fault_name(ret), addr: vmf.mapped_addr, len: vmf.mapped_len as bigint, order: 0 };
    }
    return { ok: false, vm_fault: vm_fault_name(ret), signal: 'SIGBUS', code: ret & VM_FAULT_HWPOISON ? 'BUS_MCEERR_AR' : 'BUS_ADRERR' };
  }

  /** umount: DESTROY, evict every inode, drop the connection (famfs_teardown). */
  umount(): number {
    for (const fd of [...this.files.keys()]) this.close(fd);
    this.maps.clear();
    if (this.iq.connected) {
      const args = FUSE_ARGS();
      args.opcode = fuse_opcode.FUSE_DESTROY;
      args.force = true; // fuse_send_destroy: sent even when INIT failed
      guard(() => this.iq.fuse_simple_request(args));
    }
    this.icache.evict_all();
    this.dcache.clear();
    fuse_conn_put(this.fc);
    this.mounted = false;
    return 0;
  }
}

/** The last modelled kernel oops (divide error, NULL deref, ...), for reports. */
export let lastOops: KernelOops | null = null;

/**
 * Run a kernel entry point. A modelled oops becomes -EIO for the caller (the
 * task would be killed) and is remembered in lastOops; anything else is a bug
 * in the harness and propagates.
 */
export function guard<T>(fn: () => T, onOops?: (e: KernelOops) => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KernelOops && onOops) {
      lastOops = e;
      return onOops(e);
    }
    return oopsResult(e) as unknown as T;
  }
}

/** guard()'s answer to a thrown value: a modelled oops is remembered and becomes -EIO; anything else propagates. */
function oopsResult(e: unknown): number {
  if (!(e instanceof KernelOops)) throw e;
  lastOops = e;
  return -EIO;
}

export function takeOops(): KernelOops | null {
  const o = lastOops;
  lastOops = null;
  return o;
}

