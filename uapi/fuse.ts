// include/uapi/linux/fuse.h: the famfs additions of the v9 series (patches 02,
// 03, 04, 05) and the parts of the base header the simulator speaks.
import { defineStruct, readU32 } from './layout';

/** The series does not bump the minor (kernel-spec §1.3): the base tree has 45. */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 45;
export const FUSE_MIN_READ_BUFFER = 8192;
/** The protocol changelog names 7.46 for FUSE_DAX_FMAP although the define stays 45. */
export const FAMFS_CHANGELOG_MINOR = 46;

export enum fuse_opcode {
  FUSE_LOOKUP = 1,
  FUSE_FORGET = 2,
  FUSE_GETATTR = 3,
  FUSE_SETATTR = 4,
  FUSE_OPEN = 14,
  FUSE_READ = 15,
  FUSE_WRITE = 16,
  FUSE_STATFS = 17,
  FUSE_RELEASE = 18,
  FUSE_GETXATTR = 22,
  FUSE_FLUSH = 25,
  FUSE_INIT = 26,
  FUSE_OPENDIR = 27,
  FUSE_READDIR = 28,
  FUSE_RELEASEDIR = 29,
  FUSE_CREATE = 35,
  FUSE_INTERRUPT = 36,
  FUSE_DESTROY = 38,
  FUSE_COPY_FILE_RANGE_64 = 53,
  /* Famfs / devdax opcodes */
  FUSE_GET_FMAP = 54,
  FUSE_GET_DAXDEV = 55,
  CUSE_INIT = 4096,
}

/**
 * Opcode names for traces and request counts ("LOOKUP", "GET_FMAP"), built once
 * from the enum: a lookup per frame, never a scan of the enum.
 */
const FUSE_OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.keys(fuse_opcode).filter((k) => Number.isNaN(Number(k)))
    .map((k) => [fuse_opcode[k as keyof typeof fuse_opcode], k.replace(/^FUSE_/, '')] as const),
);

/** The short name of an opcode ("GET_FMAP"), or OP<n> for one the harness does not know. */
export function fuse_opcode_name(op: number): string {
  return FUSE_OPCODE_NAMES.get(op) ?? `OP${op}`;
}

/** INIT capability flags: a 64-bit space split into flags (bits 0..31) and flags2 (32..63). */
export const FUSE_INIT_FLAGS = {
  FUSE_ASYNC_READ: 1n << 0n,
  FUSE_POSIX_LOCKS: 1n << 1n,
  FUSE_ATOMIC_O_TRUNC: 1n << 3n,
  FUSE_EXPORT_SUPPORT: 1n << 4n,
  FUSE_BIG_WRITES: 1n << 5n,
  FUSE_DONT_MASK: 1n << 6n,
  FUSE_FLOCK_LOCKS: 1n << 10n,
  FUSE_AUTO_INVAL_DATA: 1n << 12n,
  FUSE_DO_READDIRPLUS: 1n << 13n,
  FUSE_ASYNC_DIO: 1n << 15n,
  FUSE_WRITEBACK_CACHE: 1n << 16n,
  FUSE_PARALLEL_DIROPS: 1n << 18n,
  FUSE_POSIX_ACL: 1n << 20n,
  FUSE_MAX_PAGES: 1n << 22n,
  FUSE_MAP_ALIGNMENT: 1n << 26n,
  FUSE_INIT_EXT: 1n << 30n,
  FUSE_INIT_RESERVED: 1n << 31n,
  FUSE_SECURITY_CTX: 1n << 32n,
  FUSE_HAS_INODE_DAX: 1n << 33n,
  FUSE_PASSTHROUGH: 1n << 37n,
  FUSE_ALLOW_IDMAP: 1n << 40n,
  FUSE_REQUEST_TIMEOUT: 1n << 42n,
  /* famfs (patch 02): kernel supports dev_dax_iomap (famfs) fmaps */
  FUSE_DAX_FMAP: 1n << 43n,
} as const;
export const FUSE_INIT_EXT = FUSE_INIT_FLAGS.FUSE_INIT_EXT;
export const FUSE_DAX_FMAP = FUSE_INIT_FLAGS.FUSE_DAX_FMAP;

/* famfs limits (patch 04/05) */
export const FAMFS_FMAP_VERSION = 1;
export const FAMFS_FMAP_MAX = 32768;
export const FUSE_FAMFS_MAX_EXTENTS = 32;
export const FUSE_FAMFS_MAX_STRIPS = 32;
export const DAXDEV_NAME_MAX = 256;

export enum fuse_famfs_file_type {
  FUSE_FAMFS_FILE_REG = 0,
  FUSE_FAMFS_FILE_SUPERBLOCK = 1,
  FUSE_FAMFS_FILE_LOG = 2,
}

/** Note: the C tag has no fuse_ prefix. */
export enum famfs_ext_type {
  FUSE_FAMFS_EXT_SIMPLE = 0,
  FUSE_FAMFS_EXT_INTERLEAVE = 1,
}

/* ---- famfs wire structs (GET_FMAP / GET_DAXDEV replies) ---- */

export const fuse_famfs_simple_ext = defineStruct('fuse_famfs_simple_ext', 24, [
  ['se_devindex', 'u32', 0],
  ['reserved', 'u32', 4],
  ['se_offset', 'u64', 8],
  ['se_len', 'u64', 16],
] as const);

export const fuse_famfs_iext = defineStruct('fuse_famfs_iext', 24, [
  ['ie_nstrips', 'u32', 0],
  ['ie_chunk_size', 'u32', 4],
  ['ie_nbytes', 'u64', 8],
  ['reserved', 'u64', 16],
] as const);

export const fuse_famfs_fmap_header = defineStruct('fuse_famfs_fmap_header', 32, [
  ['file_type', 'u8', 0],
  ['reserved', 'u8', 1],
  ['fmap_version', 'u16', 2],
  ['ext_type', 'u32', 4],
  ['nextents', 'u32', 8],
  ['reserved0', 'u32', 12],
  ['file_size', 'u64', 16],
  ['reserved1', 'u64', 24],
] as const);

/** Defined by the uapi but never sent: the index travels in the header's nodeid. */
export const fuse_get_daxdev_in = defineStruct('fuse_get_daxdev_in', 4, [
  ['daxdev_num', 'u32', 0],
] as const);

/** The protocol changelog calls it fuse_get_daxdev_out; the struct is this. */
export const fuse_daxdev_out = defineStruct('fuse_daxdev_out', 280, [
  ['index', 'u16', 0],
  ['reserved', 'u16', 2],
  ['reserved2', 'u32', 4],
  ['reserved3', 'u64', 8],
  ['reserved4', 'u64', 16],
  ['name', `char[${DAXDEV_NAME_MAX}]`, 24],
] as const);

/** static inline fmap_msg_min_size(): header plus one simple extent. */
export function fmap_msg_min_size(): number {
  return fuse_famfs_fmap_header.size + fuse_famfs_simple_ext.size;
}

/* ---- base fuse structs the simulated channel carries ---- */

export const fuse_in_header = defineStruct('fuse_in_header', 40, [
  ['len', 'u32', 0],
  ['opcode', 'u32', 4],
  ['unique', 'u64', 8],
  ['nodeid', 'u64', 16],
  ['uid', 'u32', 24],
  ['gid', 'u32', 28],
  ['pid', 'u32', 32],
  ['total_extlen', 'u16', 36],
  ['padding', 'u16', 38],
] as const);

const IN_OPCODE_OFFSET = fuse_in_header.fields.find((f) => f.name === 'opcode')!.offset;

/** fuse_in_header.opcode of a request frame, read at its fixed offset (no struct decode per frame). */
export function fuse_in_opcode(frame: Uint8Array): number {
  return readU32(frame, IN_OPCODE_OFFSET);
}

export const fuse_out_header = defineStruct('fuse_out_header', 16, [
  ['len', 'u32', 0],
  ['error', 's32', 4],
  ['unique', 'u64', 8],
] as const);

export const fuse_init_in = defineStruct('fuse_init_in', 64, [
  ['major', 'u32', 0],
  ['minor', 'u32', 4],
  ['max_readahead', 'u32', 8],
  ['flags', 'u32', 12],
  ['flags2', 'u32', 16],
  ['unused', 'u32[11]', 20],
] as const);

export const fuse_init_out = defineStruct('fuse_init_out', 64, [
  ['major', 'u32', 0],
  ['minor', 'u32', 4],
  ['max_readahead', 'u32', 8],
  ['flags', 'u32', 12],
  ['max_background', 'u16', 16],
  ['congestion_threshold', 'u16', 18],
  ['max_write', 'u32', 20],
  ['time_gran', 'u32', 24],
  ['max_pages', 'u16', 28],
  ['map_alignment', 'u16', 30],
  ['flags2', 'u32', 32],
  ['max_stack_depth', 'u32', 36],
  ['request_timeout', 'u16', 40],
  ['unused', 'u16[11]', 42],
] as const);

export const fuse_attr = defineStruct('fuse_attr', 88, [
  ['ino', 'u64', 0],
  ['size', 'u64', 8],
  ['blocks', 'u64', 16],
  ['atime', 'u64', 24],
  ['mtime', 'u64', 32],
  ['ctime', 'u64', 40],
  ['atimensec', 'u32', 48],
  ['mtimensec', 'u32', 52],
  ['ctimensec', 'u32', 56],
  ['mode', 'u32', 60],
  ['nlink', 'u32', 64],
  ['uid', 'u32', 68],
  ['gid', 'u32', 72],
  ['rdev', 'u32', 76],
  ['blksize', 'u32', 80],
  ['flags', 'u32', 84],
] as const);

export const fuse_entry_out = defineStruct('fuse_entry_out', 128, [
  ['nodeid', 'u64', 0],
  ['generation', 'u64', 8],
  ['entry_valid', 'u64', 16],
  ['attr_valid', 'u64', 24],
  ['entry_valid_nsec', 'u32', 32],
  ['attr_valid_nsec', 'u32', 36],
  ['attr', 'struct fuse_attr', 40],
] as const);

export const fuse_getattr_in = defineStruct('fuse_getattr_in', 16, [
  ['getattr_flags', 'u32', 0],
  ['dummy', 'u32', 4],
  ['fh', 'u64', 8],
] as const);

export const fuse_attr_out = defineStruct('fuse_attr_out', 104, [
  ['attr_valid', 'u64', 0],
  ['attr_valid_nsec', 'u32', 8],
  ['dummy', 'u32', 12],
  ['attr', 'struct fuse_attr', 16],
] as const);

export const fuse_open_in = defineStruct('fuse_open_in', 8, [
  ['flags', 'u32', 0],
  ['open_flags', 'u32', 4],
] as const);

export const fuse_open_out = defineStruct('fuse_open_out', 16, [
  ['fh', 'u64', 0],
  ['open_flags', 'u32', 8],
  ['backing_id', 's32', 12],
] as const);

export const fuse_release_in = defineStruct('fuse_release_in', 24, [
  ['fh', 'u64', 0],
  ['flags', 'u32', 8],
  ['release_flags', 'u32', 12],
  ['lock_owner', 'u64', 16],
] as const);

export const fuse_read_in = defineStruct('fuse_read_in', 40, [
  ['fh', 'u64', 0],
  ['offset', 'u64', 8],
  ['size', 'u32', 16],
  ['read_flags', 'u32', 20],
  ['lock_owner', 'u64', 24],
  ['flags', 'u32', 32],
  ['padding', 'u32', 36],
] as const);

export const fuse_write_in = defineStruct('fuse_write_in', 40, [
  ['fh', 'u64', 0],
  ['offset', 'u64', 8],
  ['size', 'u32', 16],
  ['write_flags', 'u32', 20],
  ['lock_owner', 'u64', 24],
  ['flags', 'u32', 32],
  ['padding', 'u32', 36],
] as const);

export const fuse_write_out = defineStruct('fuse_write_out', 8, [
  ['size', 'u32', 0],
  ['padding', 'u32', 4],
] as const);

/** fuse_read_in.read_flags / fuse_write_in.write_flags: lock_owner is valid */
export const FUSE_READ_LOCKOWNER = 1 << 1;
export const FUSE_WRITE_LOCKOWNER = 1 << 1;

/** Root nodeid of every fuse mount. */
export const FUSE_ROOT_ID = 1n;

/** The famfs parts of the ABI, as a reviewer checks them. */
export const FAMFS_STRUCTS = [fuse_famfs_fmap_header, fuse_famfs_simple_ext, fuse_famfs_iext, fuse_get_daxdev_in, fuse_daxdev_out];
export const FUSE_BASE_STRUCTS = [fuse_in_header, fuse_out_header, fuse_init_in, fuse_init_out, fuse_attr, fuse_entry_out, fuse_getattr_in, fuse_attr_out, fuse_open_in, fuse_open_out, fuse_release_in, fuse_read_in, fuse_write_in, fuse_write_out];

export const FAMFS_CONSTANTS: Record<string, bigint | number> = {
  FUSE_GET_FMAP: fuse_opcode.FUSE_GET_FMAP,
  FUSE_GET_DAXDEV: fuse_opcode.FUSE_GET_DAXDEV,
  FUSE_DAX_FMAP: FUSE_DAX_FMAP,
  FUSE_KERNEL_MINOR_VERSION,
  FAMFS_FMAP_VERSION,
  FAMFS_FMAP_MAX,
  FUSE_FAMFS_MAX_EXTENTS,
  FUSE_FAMFS_MAX_STRIPS,
  DAXDEV_NAME_MAX,
  FUSE_FAMFS_FILE_REG: fuse_famfs_file_type.FUSE_FAMFS_FILE_REG,
  FUSE_FAMFS_FILE_SUPERBLOCK: fuse_famfs_file_type.FUSE_FAMFS_FILE_SUPERBLOCK,
  FUSE_FAMFS_FILE_LOG: fuse_famfs_file_type.FUSE_FAMFS_FILE_LOG,
  FUSE_FAMFS_EXT_SIMPLE: famfs_ext_type.FUSE_FAMFS_EXT_SIMPLE,
  FUSE_FAMFS_EXT_INTERLEAVE: famfs_ext_type.FUSE_FAMFS_EXT_INTERLEAVE,
};
