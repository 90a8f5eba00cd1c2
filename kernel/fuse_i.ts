// fs/fuse/fuse_i.h: the fuse_conn / fuse_inode / inode fields famfs touches, and
// the famfs helpers the series adds there (famfs_meta_set, famfs_meta_free,
// fuse_file_famfs, FUSE_IS_VIRTIO_DAX).
import type { famfs_dax_devlist, famfs_file_meta } from './famfs_kfmap';
import { rw_semaphore, cmpxchg } from './lib/locks';
import type { DaxBus } from './lib/dax';
import type { Namespace } from './lib/namei';
import type { fuse_iqueue } from './dev';

/** Kernel configuration switches the harness can flip. */
export interface KernelConfig {
  CONFIG_FUSE_FAMFS_DAX: boolean;
  CONFIG_FUSE_DAX: boolean;
}

/** The kernel services of one simulated machine. */
export interface KernelEnv {
  dax: DaxBus;
  ns: Namespace;
  config: KernelConfig;
}

export const S_DAX = 1 << 13; // inode->i_flags

export interface address_space_operations {
  name: string;
}

export class fuse_conn {
  connected = true;
  conn_init = false;
  conn_error = false;
  /** FUSE_DEV_IOC_SYNC_INIT was used on the device: mount(2) waits for INIT */
  sync_init = false;
  /** the default_permissions mount option, or FUSE_POSIX_ACL in the INIT reply */
  default_permissions = false;
  /** FUSE_ATOMIC_O_TRUNC in the INIT reply: OPEN may carry O_TRUNC */
  atomic_o_trunc = false;
  /** the server answered OPEN / OPENDIR with -ENOSYS: later opens send none */
  no_open = false;
  no_opendir = false;
  minor = 0;
  max_write = 4096;
  /** the INIT flags the kernel sent (flags2 << 32 | flags) */
  init_in_flags = 0n;
  /** CAP_SYS_RAWIO of the mounting context (fuse_new_init's capable()) */
  mount_cap_sys_rawio: boolean;
  famfs_iomap = false;
  famfs_devlist_sem = new rw_semaphore('famfs_devlist_sem');
  dax_devlist: famfs_dax_devlist | null = null;
  count = 1;
  /** fuse_conn_init: get_random_bytes(&fc->scramble_key) for fuse_lock_owner_id */
  scramble_key = Uint32Array.from({ length: 4 }, () => Math.floor(Math.random() * 0x100000000));
  constructor(public readonly env: KernelEnv, public readonly iq: fuse_iqueue, cap_sys_rawio: boolean) {
    this.mount_cap_sys_rawio = cap_sys_rawio;
    iq.fc = this;
  }
}

export class fuse_mount {
  constructor(public readonly fc: fuse_conn) {}
}

export class inode {
  i_size = 0n; // loff_t
  i_flags = 0;
  i_data: { a_ops: address_space_operations | null } = { a_ops: null };
  i_rwsem: rw_semaphore;
  i_atime = 0;
  i_mtime = 0;
  readonly fi: fuse_inode;
  constructor(public readonly i_ino: bigint, public i_mode: number, public readonly fc: fuse_conn, nodeid: bigint) {
    this.i_rwsem = new rw_semaphore(`inode ${i_ino} i_rwsem`);
    this.fi = new fuse_inode(this, nodeid);
  }
}

export class fuse_inode {
  famfs_meta: famfs_file_meta | null = null; // fuse_alloc_inode: NULL
  nlookup = 0;
  constructor(public readonly inode: inode, public readonly nodeid: bigint) {}
}

export const get_fuse_inode = (i: inode): fuse_inode => i.fi;
export const get_fuse_conn = (i: inode): fuse_conn => i.fc;
export const get_node_id = (i: inode): bigint => i.fi.nodeid;
export const i_size_read = (i: inode): bigint => i.i_size;
export const i_size_write = (i: inode, size: bigint): void => { i.i_size = size; };
export const IS_DAX = (i: inode): boolean => (i.i_flags & S_DAX) !== 0;

export function inode_lock(i: inode): void {
  i.i_rwsem.down_write();
}
export function inode_unlock(i: inode): void {
  i.i_rwsem.up_write();
}

/** famfs_meta_set(): install iff empty (cmpxchg NULL -> meta); returns the old value. */
export function famfs_meta_set(fi: fuse_inode, meta: famfs_file_meta | null): famfs_file_meta | null {
  return cmpxchg(fi, 'famfs_meta', null, meta);
}

/** fuse_file_famfs(): READ_ONCE(fi->famfs_meta) != NULL */
export function fuse_file_famfs(fi: fuse_inode): boolean {
  return fi.famfs_meta !== null;
}

/**
 * FUSE_IS_VIRTIO_DAX(fi): CONFIG_FUSE_DAX && IS_DAX(inode) && !famfs. famfs
 * inodes are S_DAX too, so the famfs test is what keeps them off virtio-dax.
 */
export function FUSE_IS_VIRTIO_DAX(fi: fuse_inode): boolean {
  return fi.inode.fc.env.config.CONFIG_FUSE_DAX && IS_DAX(fi.inode) && !fuse_file_famfs(fi);
}
