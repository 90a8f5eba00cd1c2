// include/uapi/asm-generic/errno-base.h + errno.h values (x86-64). Kernel paths
// return the negative value, as the C does.
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, EFBIG: 27, ENOSPC: 28,
  ESPIPE: 29, EROFS: 30, EPIPE: 32, EDOM: 33, ERANGE: 34, ENAMETOOLONG: 36, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EPROTO: 71, EOVERFLOW: 75, EOPNOTSUPP: 95, ECONNABORTED: 103, ENOTCONN: 107,
  ETIMEDOUT: 110, ECONNREFUSED: 111, EALREADY: 114, ESTALE: 116, ECANCELED: 125, EHWPOISON: 133,
} as const;

export type ErrnoName = keyof typeof ERRNO;

export const EPERM = ERRNO.EPERM, ENOENT = ERRNO.ENOENT, EIO = ERRNO.EIO, ENXIO = ERRNO.ENXIO,
  ENOMEM = ERRNO.ENOMEM, EACCES = ERRNO.EACCES, EFAULT = ERRNO.EFAULT, EBUSY = ERRNO.EBUSY,
  ENODEV = ERRNO.ENODEV, EINVAL = ERRNO.EINVAL, ERANGE = ERRNO.ERANGE, ENOTCONN = ERRNO.ENOTCONN,
  EOPNOTSUPP = ERRNO.EOPNOTSUPP, EHWPOISON = ERRNO.EHWPOISON, ENOSYS = ERRNO.ENOSYS, E2BIG = ERRNO.E2BIG,
  ENODATA = ERRNO.ENODATA, ENAMETOOLONG = ERRNO.ENAMETOOLONG, EEXIST = ERRNO.EEXIST, ENOTDIR = ERRNO.ENOTDIR,
  EISDIR = ERRNO.EISDIR, ENOSPC = ERRNO.ENOSPC, EBADF = ERRNO.EBADF, ECONNABORTED = ERRNO.ECONNABORTED,
  ELOOP = ERRNO.ELOOP, ECONNREFUSED = ERRNO.ECONNREFUSED;

const BY_CODE = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]));

/** "EINVAL" for -22 or 22; "E<n>" for codes outside the table. */
export function errnoName(code: number): string {
  return BY_CODE.get(Math.abs(code)) ?? `E${Math.abs(code)}`;
}

/** -22 for "EINVAL" / "-EINVAL"; undefined when unknown. */
export function errnoCode(name: string): number | undefined {
  const n = name.replace(/^-/, '').toUpperCase();
  const v = (ERRNO as Record<string, number>)[n];
  return v === undefined ? undefined : -v;
}

/** The kernel's IS_ERR_VALUE range for return codes. */
export const MAX_ERRNO = 4095;
