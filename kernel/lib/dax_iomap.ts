// fs/dax.c as famfs uses it: dax_iomap_rw() walks the file range through
// ->iomap_begin and copies to/from device memory; dax_iomap_fault() resolves
// one PTE or PMD fault. Behaviour follows the stock code (fs/dax.c
// dax_iomap_pte_fault / dax_iomap_pmd_fault / dax_fault_check_fallback /
// dax_fault_cow_page, read in linux-fsdevel/vfs): PMD faults that cannot be
// served fall back to PTE, private write faults always do; a PTE write fault
// on a private mapping copies into vmf->cow_page; orders other than 0 and
// PMD_ORDER fall back; beyond i_size is SIGBUS; iomap errors map through
// vmf_error().
import { EHWPOISON, EIO, ENOMEM } from './errno';
import { arch, PMD_ORDER } from './params';
import { dax_device, dax_direct_access } from './dax';
import { iomap, iomap_ops, iomap_reset, iomap_zero, IOMAP_DAX, IOMAP_FAULT, IOMAP_MAPPED, IOMAP_WRITE } from './iomap';
import { FAULT_FLAG_WRITE, iov_iter, kiocb, vm_fault, VM_FAULT_DONE_COW, VM_FAULT_FALLBACK, VM_FAULT_HWPOISON, VM_FAULT_NOPAGE, VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_SHARED, WRITE } from './fs';
import { WARN_ON } from './printk';
import { size_t, u64_to_number } from './types';

export interface DaxInode {
  i_size: bigint;
}

/** vmf_error(): errno -> vm_fault_t */
export function vmf_error(err: number): number {
  if (err === -ENOMEM) return VM_FAULT_OOM;
  if (err === -EHWPOISON) return VM_FAULT_HWPOISON;
  return VM_FAULT_SIGBUS;
}

/** The device offset of file position `pos` in the mapping (iomap->addr + pos - iomap->offset). */
function iomap_dev_pos(map: iomap, pos: bigint): bigint {
  return pos === map.offset ? map.addr : map.addr + (pos - map.offset); // the first chunk starts the mapping: no new bigint
}

/** Bytes the mapping's device has from device offset `dev_pos`, or -errno from the device. */
function direct_access(map: iomap, dev_pos: bigint, len: bigint): bigint | number {
  if (!map.dax_dev) return -EIO;
  return dax_direct_access(map.dax_dev, dev_pos, len);
}

/**
 * dax_iomap_rw(): returns bytes done, or -errno if nothing was done. Positions
 * stay loff_t (bigint) as in the C. The read path the bench times makes few
 * heap bigints: the bytes left are counted in a number (they never exceed
 * iov_iter_count), and pos advances only when another chunk follows.
 */
export function dax_iomap_rw<I extends DaxInode>(iocb: kiocb<I>, iter: iov_iter, ops: iomap_ops<I>): number {
  const inode = iocb.ki_filp.f_inode;
  const write = iter.rw === WRITE;
  if (iter.count <= 0) return 0; // nothing to do (ki_pos += 0)
  let pos = iocb.ki_pos;
  let length = size_t(iter.count);
  if (!write) {
    // end = min(pos + length, i_size); nothing to do when pos >= end
    if (pos >= inode.i_size) return 0;
    if (inode.i_size - pos < length) length = inode.i_size - pos;
  }
  const flags = IOMAP_DAX | (write ? IOMAP_WRITE : 0);
  let left = u64_to_number(length); // in (0, iov_iter_count]: exact
  let done = 0;
  let ret = 0;
  const map = spare_map ? iomap_reset(spare_map) : iomap_zero();
  spare_map = null; // a nested call gets its own
  while (left > 0) {
    ret = ops.iomap_begin(inode, pos, length, flags, map, null);
    if (ret < 0) break;
    // iomap->length is a u64: a value outside [0, 2^64) from a broken ->iomap_begin is read as the C would
    const mlen = BigInt.asUintN(64, map.length);
    if (WARN_ON(mlen === 0n, 'iomap_iter: zero-length mapping')) { ret = -EIO; break; }
    const n = dax_iomap_iter_copy(map, pos, mlen < length ? mlen : length, iter, write);
    if (n < 0) { ret = n; break; }
    if (n === 0) break;
    done += n;
    left -= n;
    if (left > 0) {
      pos += size_t(n);
      length = size_t(left);
    }
  }
  iocb.ki_pos += size_t(done);
  spare_map = map;
  return done > 0 ? done : ret;
}

/**
 * The C keeps dax_iomap_rw's iomap (in struct iomap_iter) on the stack; here
 * one is kept between calls, so a read makes no object for it. While a call
 * holds it the slot is empty; a call that oopses leaves it empty (the next
 * call makes a new one).
 */
let spare_map: iomap | null = null;

/** One mapped chunk between the device and the user buffer (the whole buffer itself when it fits: no view). */
function dax_iomap_iter_copy(map: iomap, pos: bigint, len: bigint, iter: iov_iter, write: boolean): number {
  if (map.type !== IOMAP_MAPPED || !map.dax_dev) return -EIO;
  const dev_pos = iomap_dev_pos(map, pos);
  const avail = dax_direct_access(map.dax_dev, dev_pos, len);
  if (typeof avail === 'number') return avail;
  // 0 < avail <= len <= iov_iter_count; 0 <= dev_pos < the device size < 2^64
  const n = u64_to_number(avail);
  const at = u64_to_number(dev_pos);
  const buf = iter.buf;
  const user = iter.off === 0 && n === buf.length ? buf : buf.subarray(iter.off, iter.off + n);
  const store = (map.dax_dev as dax_device).store;
  if (write) store.write(at, user);
  else store.read(at, user);
  iter.off += n;
  iter.count -= n;
  return n;
}

/** dax_iomap_fault(): order 0 (PTE) or PMD_ORDER; anything else falls back. */
export function dax_iomap_fault<I extends DaxInode>(vmf: vm_fault<I>, order: number, ops: iomap_ops<I>): number {
  if (order === 0) return dax_iomap_pte_fault(vmf, ops);
  if (order === PMD_ORDER()) return dax_iomap_pmd_fault(vmf, ops);
  return VM_FAULT_FALLBACK;
}

function fault_flags(write: boolean): number {
  return IOMAP_DAX | IOMAP_FAULT | (write ? IOMAP_WRITE : 0);
}

const is_write_fault = <I>(vmf: vm_fault<I>): boolean => (vmf.flags & FAULT_FLAG_WRITE) !== 0;

/**
 * dax_iomap_pte_fault(): a write fault with a cow_page (private mapping) is
 * not an IOMAP_WRITE: the device page is only read, into the private page.
 */
function dax_iomap_pte_fault<I extends DaxInode>(vmf: vm_fault<I>, ops: iomap_ops<I>): number {
  const inode = vmf.vma.vm_file.f_inode;
  const pos = vmf.pgoff * arch.PAGE_SIZE;
  if (pos >= inode.i_size) return VM_FAULT_SIGBUS;
  const write = is_write_fault(vmf) && !vmf.cow_page;
  const map = iomap_zero();
  const err = ops.iomap_begin(inode, pos, arch.PAGE_SIZE, fault_flags(write), map, null);
  if (err < 0) return vmf_error(err);
  if (map.length < arch.PAGE_SIZE || map.type !== IOMAP_MAPPED) return VM_FAULT_SIGBUS;
  const dev_pos = iomap_dev_pos(map, pos);
  if (vmf.cow_page) return dax_fault_cow_page(vmf, map, dev_pos);
  const avail = direct_access(map, dev_pos, arch.PAGE_SIZE);
  if (typeof avail === 'number') return vmf_error(avail);
  if (avail < arch.PAGE_SIZE) return VM_FAULT_SIGBUS;
  vmf.mapped_addr = dev_pos;
  vmf.mapped_len = arch.PAGE_SIZE;
  vmf.mapped_dev = map.dax_dev;
  return VM_FAULT_NOPAGE;
}

/**
 * dax_fault_cow_page() for an IOMAP_MAPPED extent (copy_cow_page_dax): one
 * page read from the device into vmf->cow_page; finish_fault maps the copy.
 */
function dax_fault_cow_page<I>(vmf: vm_fault<I>, map: iomap, src: bigint): number {
  const avail = direct_access(map, src, arch.PAGE_SIZE);
  if (typeof avail === 'number') return vmf_error(avail); // copy_cow_page_dax passes rc on as is: dax_fault_return(rc)
  map.dax_dev!.store.read(Number(src), (vmf.cow_page as Uint8Array).subarray(0, Number(arch.PAGE_SIZE)));
  vmf.mapped_addr = src; // where the private copy came from (nothing of the device is mapped)
  vmf.mapped_len = arch.PAGE_SIZE;
  vmf.mapped_dev = map.dax_dev;
  return VM_FAULT_DONE_COW;
}

function dax_iomap_pmd_fault<I extends DaxInode>(vmf: vm_fault<I>, ops: iomap_ops<I>): number {
  const inode = vmf.vma.vm_file.f_inode;
  const write = is_write_fault(vmf);
  const pmdPages = arch.PMD_SIZE / arch.PAGE_SIZE;
  const pgoff = vmf.pgoff & ~(pmdPages - 1n);
  const pos = pgoff * arch.PAGE_SIZE;
  const maxPgoff = (inode.i_size + arch.PAGE_SIZE - 1n) / arch.PAGE_SIZE;
  if (pgoff >= maxPgoff) return VM_FAULT_SIGBUS;
  // dax_fault_check_fallback(): no PMD for a copy-on-write fault; the whole
  // PMD must lie inside the vma and inside i_size
  if (write && !(vmf.vma.vm_flags & VM_SHARED)) return VM_FAULT_FALLBACK;
  const vma = vmf.vma;
  if (pgoff < vma.vm_pgoff || (pgoff - vma.vm_pgoff) * arch.PAGE_SIZE + arch.PMD_SIZE > vma.vm_len) return VM_FAULT_FALLBACK;
  if ((pgoff | (pmdPages - 1n)) >= maxPgoff) return VM_FAULT_FALLBACK;
  const map = iomap_zero();
  const err = ops.iomap_begin(inode, pos, arch.PMD_SIZE, fault_flags(write), map, null);
  if (err < 0) return VM_FAULT_FALLBACK; // the PTE retry reports the error
  if (map.length < arch.PMD_SIZE || map.type !== IOMAP_MAPPED) return VM_FAULT_FALLBACK;
  const addr = iomap_dev_pos(map, pos);
  if (addr % arch.PMD_SIZE !== 0n) return VM_FAULT_FALLBACK;
  const avail = direct_access(map, addr, arch.PMD_SIZE);
  if (typeof avail === 'number' || avail < arch.PMD_SIZE) return VM_FAULT_FALLBACK;
  vmf.mapped_addr = addr;
  vmf.mapped_len = arch.PMD_SIZE;
  vmf.mapped_dev = map.dax_dev;
  return VM_FAULT_NOPAGE;
}
