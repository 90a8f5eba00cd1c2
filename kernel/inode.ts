// fs/fuse/inode.c: connection set-up (INIT) with the famfs capability gate
// (patches 02/04), the inode cache, inode free/evict and fuse_conn_put.
import { decodeStruct, encodeStruct } from '../uapi/layout';
import { fuse_attr, fuse_init_in, fuse_init_out, fuse_opcode, FUSE_DAX_FMAP, FUSE_INIT_EXT, FUSE_INIT_FLAGS, FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION } from '../uapi/fuse';
import { fuse_conn, fuse_mount, inode, fuse_file_famfs, i_size_write } from './fuse_i';
import { FUSE_ARGS } from './dev';
import { famfs_meta_free, famfs_teardown } from './famfs';
import { S_ISREG } from './lib/namei';
import { pr_debug } from './lib/printk';
import { ENOTCONN } from './lib/errno';

/** The base flags this kernel offers in INIT (a typical recent set). */
const BASE_INIT_FLAGS = FUSE_INIT_FLAGS.FUSE_ASYNC_READ | FUSE_INIT_FLAGS.FUSE_POSIX_LOCKS | FUSE_INIT_FLAGS.FUSE_ATOMIC_O_TRUNC |
  FUSE_INIT_FLAGS.FUSE_EXPORT_SUPPORT | FUSE_INIT_FLAGS.FUSE_BIG_WRITES | FUSE_INIT_FLAGS.FUSE_DONT_MASK |
  FUSE_INIT_FLAGS.FUSE_FLOCK_LOCKS | FUSE_INIT_FLAGS.FUSE_AUTO_INVAL_DATA | FUSE_INIT_FLAGS.FUSE_DO_READDIRPLUS |
  FUSE_INIT_FLAGS.FUSE_ASYNC_DIO | FUSE_INIT_FLAGS.FUSE_PARALLEL_DIROPS | FUSE_INIT_FLAGS.FUSE_MAX_PAGES |
  FUSE_INIT_FLAGS.FUSE_INIT_EXT | FUSE_INIT_FLAGS.FUSE_SECURITY_CTX | FUSE_INIT_FLAGS.FUSE_PASSTHROUGH |
  FUSE_INIT_FLAGS.FUSE_REQUEST_TIMEOUT;

/** An INIT request and the reply buffer it fills (struct fuse_init_args). */
interface fuse_init_args {
  args: ReturnType<typeof FUSE_ARGS>;
  out: Uint8Array;
}

/**
 * inode.c fuse_new_init (famfs part, v9 patches 02+04): FUSE_DAX_FMAP is
 * offered only with CONFIG_FUSE_FAMFS_DAX and CAP_SYS_RAWIO.
 */
function fuse_new_init(fm: fuse_mount): fuse_init_args {
  const fc = fm.fc;
  let flags = BASE_INIT_FLAGS;
  if (fc.env.config.CONFIG_FUSE_FAMFS_DAX && fc.mount_cap_sys_rawio) flags |= FUSE_DAX_FMAP;
  fc.init_in_flags = flags;

  const inarg = encodeStruct(fuse_init_in, {
    major: FUSE_KERNEL_VERSION, minor: FUSE_KERNEL_MINOR_VERSION, max_readahead: 131072,
    flags: Number(flags & 0xffffffffn), flags2: Number(flags >> 32n),
  });
  const out = new Uint8Array(fuse_init_out.size);
  const args = FUSE_ARGS();
  args.opcode = fuse_opcode.FUSE_INIT;
  args.in_numargs = 1;
  args.in_args[0] = { size: inarg.length, value: inarg };
  args.out_numargs = 1;
  args.out_args[0] = { size: out.length, value: out };
  args.out_argvar = true; // old servers may send a shorter fuse_init_out
  args.force = true; // INIT is sent before the connection is initialised
  return { args, out };
}

/**
 * inode.c fuse_send_init: with sync_init, wait for the reply and fail the
 * mount with -ENOTCONN when INIT failed (the reply's own errno is not passed
 * on); otherwise INIT goes in the background, mount(2) returns 0 and a failure
 * only shows as conn_error, which makes every later request -ECONNREFUSED.
 */
export function fuse_send_init(fm: fuse_mount): number {
  const fc = fm.fc;
  const ia = fuse_new_init(fm);
  let err: number;

  if (fc.sync_init) {
    err = fc.iq.fuse_simple_request(ia.args);
    if (err > 0) err = 0; // a positive return is the reply length, not an error
  } else if (fc.iq.connected) {
    // fuse_simple_background with ->end = process_init_reply: queued; the
    // single-threaded channel answers at once, so ->end runs before we return
    const rc = fc.iq.fuse_simple_request(ia.args);
    process_init_reply(fm, ia, rc > 0 ? 0 : rc);
    return 0;
  } else {
    err = -ENOTCONN; // fuse_simple_background could not queue it
  }
  process_init_reply(fm, ia, err);
  if (fc.conn_error) return -ENOTCONN;
  return 0;
}

/**
 * inode.c process_init_reply (famfs part): famfs mode iff the server's reply has
 * FUSE_DAX_FMAP *and* the kernel offered it (flags2 needs FUSE_INIT_EXT, minor >= 6).
 * An error reply, a wrong major, or FUSE_ALLOW_IDMAP without default_permissions
 * sets conn_error; nothing is returned.
 */
function process_init_reply(fm: fuse_mount, ia: fuse_init_args, error: number): void {
  const fc = fm.fc;
  const arg = decodeStruct(fuse_init_out, ia.out, 0);
  let ok = true;

  if (error || arg.major !== FUSE_KERNEL_VERSION) {
    ok = false;
  } else {
    let flags = BigInt(arg.flags);
    if (flags & FUSE_INIT_EXT) flags |= BigInt(arg.flags2) << 32n;
    if (arg.minor >= 6) {
      if (flags & FUSE_INIT_FLAGS.FUSE_ATOMIC_O_TRUNC) fc.atomic_o_trunc = true;
      if (flags & FUSE_INIT_FLAGS.FUSE_POSIX_ACL) fc.default_permissions = true;
      // idmapped mounts need the kernel to check permissions
      if ((flags & FUSE_INIT_FLAGS.FUSE_ALLOW_IDMAP) && !fc.default_permissions) ok = false;
      if (fc.env.config.CONFIG_FUSE_FAMFS_DAX && (flags & FUSE_DAX_FMAP) && (fc.init_in_flags & FUSE_DAX_FMAP)) {
        // init_rwsem(&fc->famfs_devlist_sem)
        fc.famfs_iomap = true;
      }
    }
    fc.minor = arg.minor;
    fc.max_write = arg.minor < 5 ? 4096 : arg.max_write;
    fc.max_write = Math.max(4096, fc.max_write);
    fc.conn_init = true;
  }

  if (!ok) {
    // harness diagnostic (the C logs nothing here): say why the connection is refused
    pr_debug(`fuse: INIT failed (error ${error}, major ${arg.major}): conn_error set`);
    fc.conn_init = false;
    fc.conn_error = true;
  }
  // fuse_set_initialized(fc); wake_up_all(&fc->blocked_waitq): nobody waits here
}

/** The per-superblock inode cache (fuse_iget / ilookup5). */
export class inode_cache {
  private byNodeid = new Map<bigint, inode>();
  constructor(private readonly fc: fuse_conn) {}

  /** fuse_iget(): find or create the inode for nodeid, then refresh its attributes. */
  fuse_iget(nodeid: bigint, attr: ReturnType<typeof decodeAttr>): inode {
    let ino = this.byNodeid.get(nodeid);
    if (!ino || (ino.i_mode & 0o170000) !== (attr.mode & 0o170000)) {
      ino = new inode(attr.ino, attr.mode, this.fc, nodeid);
      this.byNodeid.set(nodeid, ino);
      ino.i_size = attr.size;
    }
    ino.fi.nlookup++;
    fuse_change_attributes(ino, attr);
    return ino;
  }

  lookup(nodeid: bigint): inode | undefined {
    return this.byNodeid.get(nodeid);
  }

  /** evict every inode (umount) */
  evict_all(): void {
    for (const ino of this.byNodeid.values()) fuse_evict_inode(ino);
    this.byNodeid.clear();
  }

  evict(nodeid: bigint): void {
    const ino = this.byNodeid.get(nodeid);
    if (ino) fuse_evict_inode(ino);
    this.byNodeid.delete(nodeid);
  }
}

export const decodeAttr = (b: Uint8Array, off: number) => decodeStruct(fuse_attr, b, off);

/**
 * inode.c fuse_change_attributes(): a fresh attribute reply overwrites i_size,
 * famfs files included. That is how "any size change" reaches famfs_file_bad.
 */
export function fuse_change_attributes(ino: inode, attr: ReturnType<typeof decodeAttr>): void {
  ino.i_mode = (ino.i_mode & 0o170000) | (attr.mode & 0o7777);
  if (ino.i_size !== attr.size) i_size_write(ino, attr.size);
}

/** inode.c fuse_evict_inode + fuse_free_inode (famfs part): regular files with famfs meta free it. */
export function fuse_evict_inode(ino: inode): void {
  // famfs files also get dax_break_layout_final() here: no layouts in the model.
  if (S_ISREG(ino.i_mode) && fuse_file_famfs(ino.fi)) famfs_meta_free(ino.fi);
}

/** inode.c fuse_conn_put (last reference): famfs_teardown. */
export function fuse_conn_put(fc: fuse_conn): void {
  if (--fc.count === 0) famfs_teardown(fc);
}
