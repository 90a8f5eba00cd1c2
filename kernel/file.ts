// fs/fuse/file.c: open/release and the read/write/mmap/splice dispatch, with the
// famfs hooks of the series (GET_FMAP at open, famfs read/write/mmap, splice -EIO).
import { encodeStruct, encodeStructInto, decodeStruct } from '../uapi/layout';
import {
  fuse_open_in, fuse_open_out, fuse_opcode, fuse_read_in, fuse_release_in, fuse_write_in, fuse_write_out,
  FUSE_READ_LOCKOWNER, FUSE_WRITE_LOCKOWNER,
} from '../uapi/fuse';
import { fuse_conn, fuse_mount, inode, get_node_id, fuse_file_famfs, FUSE_IS_VIRTIO_DAX } from './fuse_i';
import { FUSE_ARGS, fuse_args_in_out } from './dev';
import { famfs_fuse_mmap, famfs_fuse_read_iter, famfs_fuse_write_iter, fuse_get_fmap } from './famfs';
import { EIO, EISDIR, ENOSYS, EOPNOTSUPP } from './lib/errno';
import { S_ISDIR, S_ISREG } from './lib/namei';
import { WARN_ON } from './lib/printk';
import { file, iov_iter, kiocb, READ, vm_area_struct } from './lib/fs';

const O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000;

/** file.c fuse_send_open: the server never sees O_CREAT, O_EXCL, O_NOCTTY; O_TRUNC only with atomic_o_trunc. */
function fuse_send_open(fm: fuse_mount, ino: inode, flags: number, opcode: number): { err: number; fh: bigint } {
  let inflags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
  if (!fm.fc.atomic_o_trunc) inflags &= ~O_TRUNC;
  const inarg = encodeStruct(fuse_open_in, { flags: inflags });
  const outarg = new Uint8Array(fuse_open_out.size);
  const args = fuse_args_in_out(opcode, get_node_id(ino), inarg, outarg);
  const err = fm.fc.iq.fuse_simple_request(args);
  return { err, fh: err ? 0n : decodeStruct(fuse_open_out, outarg, 0).fh };
}

/**
 * file.c fuse_file_open: -ENOSYS from OPEN / OPENDIR means the server does
 * without it (fc->no_open / no_opendir): the open succeeds with fh 0 and later
 * opens send nothing; an OPENDIR so refused also has no release args.
 */
function fuse_file_open(fm: fuse_mount, ino: inode, flags: number, isdir: boolean): { err: number; fh: bigint; release: boolean } {
  const fc = fm.fc;
  const open = isdir ? !fc.no_opendir : !fc.no_open;
  const release = !isdir || open;
  if (!open) return { err: 0, fh: 0n, release };
  const { err, fh } = fuse_send_open(fm, ino, flags, isdir ? fuse_opcode.FUSE_OPENDIR : fuse_opcode.FUSE_OPEN);
  if (!err) return { err, fh, release };
  if (err !== -ENOSYS) return { err, fh: 0n, release };
  if (isdir) fc.no_opendir = true;
  else fc.no_open = true;
  return { err: 0, fh: 0n, release: !isdir };
}

/**
 * file.c fuse_release / fuse_sync_release -> fuse_file_put: RELEASE, no reply
 * payload; nothing is sent without release args or for a RELEASE with fc->no_open.
 */
export function fuse_release(fm: fuse_mount, f: file<inode>): number {
  const ino = f.f_inode;
  if (f.no_release_args) return 0;
  if (!S_ISDIR(ino.i_mode) && fm.fc.no_open) return 0; // fuse_release_end() only
  const inarg = encodeStruct(fuse_release_in, { fh: f.fh, flags: f.f_mode });
  const args = fuse_args_in_out(S_ISDIR(ino.i_mode) ? fuse_opcode.FUSE_RELEASEDIR : fuse_opcode.FUSE_RELEASE, get_node_id(ino), inarg, null);
  return fm.fc.iq.fuse_simple_request(args);
}

/**
 * file.c fuse_open (famfs part, patch 03): after a successful fuse_do_open of a
 * regular file on a famfs connection, fuse_get_fmap(); its error is fatal to
 * the open (the file is released synchronously).
 */
export function fuse_open(fm: fuse_mount, ino: inode, flags: number): file<inode> | number {
  const fc = fm.fc;
  const isdir = S_ISDIR(ino.i_mode);
  if (isdir && (flags & 3) !== 0) return -EISDIR;
  const { err: openErr, fh, release } = fuse_file_open(fm, ino, flags, isdir);
  if (openErr) return openErr;
  const f: file<inode> = { f_inode: ino, f_mode: flags, fh };
  if (!release) f.no_release_args = true;

  if (fc.famfs_iomap && S_ISREG(ino.i_mode)) {
    const err = fuse_get_fmap(fm, ino);
    if (err) {
      fuse_release(fm, f); // fuse_sync_release()
      return err;
    }
  }
  // invalidate_inode_pages2() is skipped for famfs files (&& !fuse_file_famfs(fi))
  return f;
}

/** file.c fuse_file_read_iter dispatch: virtio-dax, then famfs, then the plain fuse path. */
export function fuse_file_read_iter(fm: fuse_mount, iocb: kiocb<inode>, to: iov_iter): number {
  const fi = iocb.ki_filp.f_inode.fi;
  if (FUSE_IS_VIRTIO_DAX(fi)) return -EOPNOTSUPP; // virtio-fs dax: not modelled
  if (fuse_file_famfs(fi)) return famfs_fuse_read_iter(iocb, to);
  return fuse_direct_io(fm, iocb, to);
}

export function fuse_file_write_iter(fm: fuse_mount, iocb: kiocb<inode>, from: iov_iter): number {
  const fi = iocb.ki_filp.f_inode.fi;
  if (FUSE_IS_VIRTIO_DAX(fi)) return -EOPNOTSUPP;
  if (fuse_file_famfs(fi)) return famfs_fuse_write_iter(iocb, from);
  return fuse_direct_io(fm, iocb, from);
}

/** current->files of the one task the model runs: any stable, non-NULL identity */
const CURRENT_FILES = 0xffff888000a00000n;

/** file.c fuse_lock_owner_id: XTEA over the owner pointer, so the pointer itself is not exposed. */
export function fuse_lock_owner_id(fc: fuse_conn, id: bigint): bigint {
  const k = fc.scramble_key;
  let v0 = Number(id & 0xffffffffn) >>> 0;
  let v1 = Number((id >> 32n) & 0xffffffffn) >>> 0;
  let sum = 0;
  for (let i = 0; i < 32; i++) {
    v0 = (v0 + ((((v1 << 4) ^ (v1 >>> 5)) + v1) ^ (sum + k[sum & 3]))) >>> 0;
    sum = (sum + 0x9e3779b9) >>> 0;
    v1 = (v1 + ((((v0 << 4) ^ (v0 >>> 5)) + v0) ^ (sum + k[(sum >>> 11) & 3]))) >>> 0;
  }
  return BigInt(v0) + (BigInt(v1) << 32n);
}

/** file.c fuse_read_args_fill / fuse_write_args_fill + fuse_send_read / fuse_send_write: one READ or WRITE upcall. */
function fuse_send_rw(fm: fuse_mount, f: file<inode>, pos: bigint, data: Uint8Array, read: boolean): number {
  const inarg = new Uint8Array(read ? fuse_read_in.size : fuse_write_in.size + data.length);
  // fuse_direct_io passes owner = current->files: read/write_flags |= FUSE_*_LOCKOWNER;
  // inarg->flags = file->f_flags (fuse_write_flags for writes)
  const common = { fh: f.fh, offset: pos, size: data.length, lock_owner: fuse_lock_owner_id(fm.fc, CURRENT_FILES), flags: f.f_mode };
  if (read) encodeStructInto(fuse_read_in, { ...common, read_flags: FUSE_READ_LOCKOWNER }, inarg, 0);
  else {
    encodeStructInto(fuse_write_in, { ...common, write_flags: FUSE_WRITE_LOCKOWNER }, inarg, 0);
    inarg.set(data, fuse_write_in.size);
  }
  const args = FUSE_ARGS();
  args.opcode = read ? fuse_opcode.FUSE_READ : fuse_opcode.FUSE_WRITE;
  args.nodeid = get_node_id(f.f_inode);
  args.in_numargs = 1;
  args.in_args[0] = { size: inarg.length, value: inarg };
  const out = read ? data : new Uint8Array(fuse_write_out.size);
  args.out_numargs = 1;
  args.out_args[0] = { size: out.length, value: out };
  args.out_argvar = read; // a short READ reply is end of file
  const rc = fm.fc.iq.fuse_simple_request(args);
  if (rc < 0) return rc;
  if (read) return rc;
  const written = decodeStruct(fuse_write_out, out, 0).size;
  return written > data.length ? -EIO : written; // fuse_send_write: out.size > count is -EIO
}

/**
 * file.c fuse_direct_io: the plain fuse path for files without famfs meta, in
 * requests of at most max_write bytes (max_read is unlimited by default; the
 * max_pages cap of fuse_get_user_pages is not modelled). A short reply ends it.
 */
function fuse_direct_io(fm: fuse_mount, iocb: kiocb<inode>, it: iov_iter): number {
  const read = it.rw === READ;
  const nmax = read ? Number.MAX_SAFE_INTEGER : fm.fc.max_write;
  let res = 0;
  let err = 0;
  while (it.count > 0) {
    const nbytes = Math.min(it.count, nmax);
    const chunk = it.buf.subarray(it.off, it.off + nbytes);
    const nres = fuse_send_rw(fm, iocb.ki_filp, iocb.ki_pos, chunk, read);
    if (nres < 0) { err = nres; break; }
    WARN_ON(nres > nbytes, 'fuse_direct_io: reply longer than the request'); // fuse_send_write and copy_out_args rule it out
    it.off += nres;
    it.count -= nres;
    iocb.ki_pos += BigInt(nres);
    res += nres;
    if (nres !== nbytes) break;
  }
  return res > 0 ? res : err;
}

/** file.c fuse_file_mmap dispatch (famfs part). */
export function fuse_file_mmap(f: file<inode>, vma: vm_area_struct<inode>): number {
  const fi = f.f_inode.fi;
  if (FUSE_IS_VIRTIO_DAX(fi)) return -EOPNOTSUPP;
  if (fuse_file_famfs(fi)) return famfs_fuse_mmap(f, vma);
  return -EOPNOTSUPP; // page-cache mmap of plain fuse files: not modelled
}

/** file.c fuse_splice_read / fuse_splice_write: famfs files bypass the page cache -> -EIO. */
export function fuse_splice(f: file<inode>): number {
  if (fuse_file_famfs(f.f_inode.fi)) return -EIO;
  return -EOPNOTSUPP;
}
