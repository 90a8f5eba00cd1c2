// The VFS objects the famfs read/write/mmap paths take: struct file, kiocb,
// iov_iter, vm_area_struct, vm_fault, and the vm_fault_t codes.
export const READ = 0;
export const WRITE = 1;
import { size_t } from './types';

export interface file<I> {
  f_inode: I;
  f_mode: number;
  fh: bigint;
  /** fuse_file->args is NULL (opendir the server does not implement): no RELEASEDIR */
  no_release_args?: boolean;
  /** set by ->mmap */
  vm_ops?: vm_operations_struct<I> | null;
}

export interface kiocb<I> {
  ki_filp: file<I>;
  ki_pos: bigint; // loff_t
}

/** A single-segment iov_iter over a user buffer. */
export interface iov_iter {
  rw: typeof READ | typeof WRITE;
  buf: Uint8Array;
  /** bytes consumed so far */
  off: number;
  /** bytes left (iov_iter_count) */
  count: number;
}

export function iov_iter_new(rw: typeof READ | typeof WRITE, buf: Uint8Array): iov_iter {
  return { rw, buf, off: 0, count: buf.length };
}
/** iov_iter_ubuf(): (re)start an iov_iter over a user buffer. */
export function iov_iter_ubuf(i: iov_iter, rw: typeof READ | typeof WRITE, buf: Uint8Array): iov_iter {
  i.rw = rw;
  i.buf = buf;
  i.off = 0;
  i.count = buf.length;
  return i;
}
export const iov_iter_count = (i: iov_iter): number => i.count;
export function iov_iter_truncate(i: iov_iter, count: bigint): void {
  if (size_t(i.count) > count) i.count = Number(count);
}

export const VM_SHARED = 0x08;
export const VM_HUGEPAGE = 0x20000000;
export const FAULT_FLAG_WRITE = 0x01;

export interface vm_area_struct<I> {
  vm_file: file<I>;
  vm_flags: number;
  vm_pgoff: bigint; // file offset of the mapping, in pages
  vm_len: bigint; // bytes
  vm_ops: vm_operations_struct<I> | null;
}

export interface vm_fault<I> {
  vma: vm_area_struct<I>;
  pgoff: bigint; // file page index of the fault
  flags: number;
  /** the device byte offset mapped by a successful fault (the pfn, in bytes) */
  mapped_addr?: bigint;
  mapped_len?: bigint;
  /** the dax_device behind that pfn */
  mapped_dev?: unknown;
  /**
   * mm/memory.c do_cow_fault: a write fault on a private mapping brings a
   * private page; the fault handler fills it (dax_fault_cow_page) and the
   * device is only read. mapped_addr then names the page it was copied from.
   */
  cow_page?: Uint8Array;
}

export interface vm_operations_struct<I> {
  fault(vmf: vm_fault<I>): number;
  huge_fault(vmf: vm_fault<I>, order: number): number;
  page_mkwrite(vmf: vm_fault<I>): number;
  pfn_mkwrite(vmf: vm_fault<I>): number;
}

export const VM_FAULT_OOM = 0x000001;
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_MAJOR = 0x000004;
export const VM_FAULT_HWPOISON = 0x000010;
export const VM_FAULT_HWPOISON_LARGE = 0x000020;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_LOCKED = 0x000200;
export const VM_FAULT_RETRY = 0x000400;
export const VM_FAULT_FALLBACK = 0x000800;
export const VM_FAULT_DONE_COW = 0x001000;
export const VM_FAULT_NEEDDSYNC = 0x002000;

const VM_FAULT_NAMES: [number, string][] = [
  [VM_FAULT_OOM, 'OOM'], [VM_FAULT_SIGBUS, 'SIGBUS'], [VM_FAULT_HWPOISON, 'HWPOISON'], [VM_FAULT_SIGSEGV, 'SIGSEGV'],
  [VM_FAULT_NOPAGE, 'NOPAGE'], [VM_FAULT_FALLBACK, 'FALLBACK'], [VM_FAULT_NEEDDSYNC, 'NEEDDSYNC'], [VM_FAULT_RETRY, 'RETRY'],
  [VM_FAULT_DONE_COW, 'DONE_COW'],
];

export function vm_fault_name(v: number): string {
  const names = VM_FAULT_NAMES.filter(([bit]) => v & bit).map(([, n]) => n);
  return names.length ? names.join('|') : `0x${v.toString(16)}`;
}
