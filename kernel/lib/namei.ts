// The bits of the VFS namespace famfs_verify_daxdev() walks: kern_path() with
// LOOKUP_FOLLOW, the inode's mode and rdev, and may_open_dev() (nodev mounts).
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_ISCHR = (m: number): boolean => (m & S_IFMT) === S_IFCHR;
export const S_ISREG = (m: number): boolean => (m & S_IFMT) === S_IFREG;
export const S_ISDIR = (m: number): boolean => (m & S_IFMT) === S_IFDIR;

export interface path {
  i_mode: number;
  i_rdev: number;
  /** the mount has MNT_NODEV */
  mnt_nodev: boolean;
}

/** What the kernel can look up by name. */
export interface Namespace {
  /** kern_path(name, LOOKUP_FOLLOW): 0 and the path, or -errno */
  kern_path(pathname: string): { err: number; path?: path };
}

/** may_open_dev(): device nodes on a nodev mount cannot be opened. */
export function may_open_dev(p: path): boolean {
  return !p.mnt_nodev;
}

export const MKDEV = (major: number, minor: number): number => ((major << 20) | minor) >>> 0;
export const MAJOR = (dev: number): number => dev >>> 20;
export const MINOR = (dev: number): number => dev & 0xfffff;
