// The famfs on-media format (user space, src/famfs_meta.h; userspace-spec §1):
// superblock at 0, the metadata log at 2 MiB, file data in 2 MiB allocation
// units after it. Native little-endian C structs, described with the same
// layout engine as the uapi. CRCs are zlib crc32.
import * as zlib from 'zlib';
import { defineStruct } from '../../uapi/layout';

export const FAMFS_SUPER_MAGIC = 0x87b282ffn;
export const FAMFS_CURRENT_VERSION = 48n;
export const FAMFS_OMF_VER_MAJOR = 2;
export const FAMFS_OMF_VER_MINOR = 2;
export const FAMFS_LOG_MAGIC = 0xbadcafef00dn;
export const FAMFS_SUPERBLOCK_SIZE = 0x200000n;
export const FAMFS_LOG_OFFSET = 0x200000n;
export const FAMFS_LOG_LEN = 0x800000n;
export const FAMFS_ALLOC_UNIT = 0x200000n;
export const FAMFS_DEVNAME_LEN = 64;
export const FAMFS_MAX_PATHLEN = 80;
export const FAMFS_MAX_SIMPLE_EXTENTS = 16;
export const FAMFS_MAX_INTERLEAVED_EXTENTS = 1;
export const FAMFS_MAX_NBUCKETS = 64;
/** famfs_mkfs_allowed(): smallest device mkfs accepts */
export const FAMFS_MIN_DEVSIZE = 4n << 30n;

export enum famfs_log_entry_type {
  FAMFS_LOG_FILE = 0,
  FAMFS_LOG_MKDIR = 1,
  FAMFS_LOG_DELETE = 2,
  FAMFS_LOG_ADD_DAXDEV = 3,
  FAMFS_LOG_INVALID = 4,
}

export enum famfs_log_ext_type {
  FAMFS_EXT_SIMPLE = 0,
  FAMFS_EXT_INTERLEAVE = 1,
}

export const FAMFS_FM_ALL_HOSTS_RO = 1;
export const FAMFS_FM_ALL_HOSTS_RW = 2;

export const famfs_daxdev = defineStruct('famfs_daxdev', 88, [
  ['dd_size', 'u64', 0],
  ['dd_uuid', 'u8[16]', 8],
  ['dd_daxdev', `char[${FAMFS_DEVNAME_LEN}]`, 24],
] as const);

export const famfs_superblock = defineStruct('famfs_superblock', 200, [
  ['ts_magic', 'u64', 0],
  ['ts_version', 'u64', 8],
  ['ts_log_offset', 'u64', 16],
  ['ts_log_len', 'u64', 24],
  ['ts_alloc_unit', 'u64', 32],
  ['ts_omf_ver_major', 'u32', 40],
  ['ts_omf_ver_minor', 'u32', 44],
  ['ts_uuid', 'u8[16]', 48],
  ['ts_dev_uuid', 'u8[16]', 64],
  ['ts_system_uuid', 'u8[16]', 80],
  ['ts_crc', 'u64', 96],
  ['ts_sb_flags', 'u32', 104],
  ['ts_daxdev', 'struct famfs_daxdev', 112],
] as const);

export const famfs_log = defineStruct('famfs_log', 48, [
  ['famfs_log_magic', 'u64', 0],
  ['famfs_log_len', 'u64', 8],
  ['famfs_log_last_index', 'u64', 16],
  ['famfs_log_crc', 'u64', 24],
  ['famfs_log_next_seqnum', 'u64', 32],
  ['famfs_log_next_index', 'u64', 40],
] as const);

export const famfs_simple_extent = defineStruct('famfs_simple_extent', 24, [
  ['se_devindex', 'u64', 0],
  ['se_offset', 'u64', 8],
  ['se_len', 'u64', 16],
] as const);

/** ie_strips[16] follows at 16 (24 bytes each). */
export const famfs_interleaved_ext = defineStruct('famfs_interleaved_ext', 16, [
  ['ie_nstrips', 'u64', 0],
  ['ie_chunk_size', 'u64', 8],
] as const);
export const IE_STRIPS_OFFSET = 16;
export const INTERLEAVED_EXT_SIZE = 16 + 24 * FAMFS_MAX_SIMPLE_EXTENTS; // 400

/**
 * struct famfs_log_fmap (416): ext_type, then a union whose arms start with a
 * u32 count followed by u64-aligned arrays, so the count sits at 8 and the
 * arrays at 16.
 */
export const famfs_log_fmap = defineStruct('famfs_log_fmap', 416, [
  ['fmap_ext_type', 'u32', 0],
  ['pad0', 'u32', 4],
  ['fmap_nextents', 'u32', 8], // fmap_niext for interleaved files (same u32)
  ['pad1', 'u32', 12],
  ['ext', 'u8[400]', 16],
] as const);
export const FMAP_EXT_OFFSET = 16;

export const famfs_log_file_meta = defineStruct('famfs_log_file_meta', 520, [
  ['fm_size', 'u64', 0],
  ['fm_flags', 'u32', 8],
  ['fm_uid', 'u32', 12],
  ['fm_gid', 'u32', 16],
  ['fm_mode', 'u32', 20],
  ['fm_relpath', `char[${FAMFS_MAX_PATHLEN}]`, 24],
  ['fm_fmap', 'struct famfs_log_fmap', 104],
] as const);

export const famfs_log_mkdir = defineStruct('famfs_log_mkdir', 92, [
  ['md_uid', 'u32', 0],
  ['md_gid', 'u32', 4],
  ['md_mode', 'u32', 8],
  ['md_relpath', `char[${FAMFS_MAX_PATHLEN}]`, 12],
] as const);

export const famfs_log_add_daxdev = defineStruct('famfs_log_add_daxdev', 32, [
  ['dd_size', 'u64', 0],
  ['dd_uuid', 'u8[16]', 8],
  ['dd_index', 'u32', 24],
  ['pad', 'u32', 28],
] as const);

export const famfs_log_entry = defineStruct('famfs_log_entry', 544, [
  ['famfs_log_entry_seqnum', 'u64', 0],
  ['famfs_log_entry_type', 'u32', 8],
  ['pad', 'u32', 12],
  ['body', 'u8[520]', 16],
  ['famfs_log_entry_crc', 'u64', 536],
] as const);
export const LOG_ENTRY_SIZE = famfs_log_entry.size;
export const LOG_ENTRY_BODY = 16;
export const LOG_ENTRY_CRC = 536;

/** zlib crc32 (seeded with crc32(0, NULL, 0) = 0), as famfs computes its CRCs. */
export function crc32(b: Uint8Array): bigint {
  return BigInt(zlibCrc32(b));
}
// node:zlib crc32 (Node >= 20.15); @types/node 20.9 predates its typing.
export const zlibCrc32 = (zlib as unknown as { crc32(b: Uint8Array): number }).crc32;

/** Superblock CRC: the fields ts_magic..ts_system_uuid, i.e. bytes 0..95. */
export const superblockCrc = (sb: Uint8Array): bigint => crc32(sb.subarray(0, 96));
/** Log header CRC: magic, len, last_index (bytes 0..23); the counters are not covered. */
export const logHeaderCrc = (h: Uint8Array): bigint => crc32(h.subarray(0, 24));
/** Entry CRC: the first 536 bytes, padding included. */
export const logEntryCrc = (e: Uint8Array): bigint => crc32(e.subarray(0, LOG_ENTRY_CRC));

/** The last usable slot of a log of `logLen` bytes (inclusive). */
export function logLastIndex(logLen: bigint): bigint {
  return (logLen - BigInt(famfs_log.size)) / BigInt(LOG_ENTRY_SIZE) - 1n;
}

/** mkfs.famfs log length rule: a power of two, at least 8 MiB. */
export function validLogLen(len: bigint): boolean {
  return len >= FAMFS_LOG_LEN && (len & (len - 1n)) === 0n;
}
