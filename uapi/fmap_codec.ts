// GET_FMAP reply payloads <-> a readable JSON spec.
// Wire layout (kernel-spec §1.6): one fuse_famfs_fmap_header, then either
// `nextents` simple extents, or `nextents` x { fuse_famfs_iext, ie_nstrips strips }.
// Counts may be given explicitly so that inconsistent (bad) replies can be built.
import { encodeStructInto, decodeStruct } from './layout';
import { famfs_ext_type, fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext, FAMFS_FMAP_VERSION } from './fuse';

export type U64Like = string | number | bigint;

export interface SimpleExtSpec {
  se_devindex?: number | string;
  se_offset: U64Like;
  se_len: U64Like;
}

export interface IextSpec {
  ie_nstrips?: number | string; // defaults to strips.length
  ie_chunk_size: U64Like;
  ie_nbytes: U64Like;
  strips: SimpleExtSpec[];
}

export interface FmapSpec {
  file_type?: number | string;
  fmap_version?: number | string;
  ext_type?: number | string | 'simple' | 'interleave';
  nextents?: number | string; // defaults to extents.length / iexts.length
  file_size: U64Like;
  extents?: SimpleExtSpec[];
  iexts?: IextSpec[];
  /** cut the payload to this many bytes (to craft truncated replies) */
  truncate_to?: number;
  /** raw bytes appended after the encoded records, hex */
  append_hex?: string;
}

export class SpecError extends Error {}

const SPEC_KEYS = new Set(['file_type', 'fmap_version', 'ext_type', 'nextents', 'file_size', 'extents', 'iexts', 'truncate_to', 'append_hex', 'comment']);

/** Parse a decimal or 0x-prefixed integer, as a u64-range bigint. */
export function parseU64(v: unknown, where: string): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^\s*(0x[0-9a-f_]+|\d[\d_]*)\s*$/i.test(v)) n = BigInt(v.trim().replace(/_/g, ''));
  else throw new SpecError(`${where}: expected a non-negative integer (decimal or 0x hex), got ${JSON.stringify(v)}`);
  if (n < 0n || n >= 1n << 64n) throw new SpecError(`${where}: ${n} does not fit in u64`);
  return n;
}

function parseUint(v: unknown, where: string, bits: number): number {
  const n = parseU64(v, where);
  if (n >= 1n << BigInt(bits)) throw new SpecError(`${where}: ${n} does not fit in u${bits}`);
  return Number(n);
}

function extType(v: FmapSpec['ext_type'], spec: FmapSpec): number {
  if (v === undefined) return spec.iexts ? famfs_ext_type.FUSE_FAMFS_EXT_INTERLEAVE : famfs_ext_type.FUSE_FAMFS_EXT_SIMPLE;
  if (v === 'simple') return famfs_ext_type.FUSE_FAMFS_EXT_SIMPLE;
  if (v === 'interleave' || v === 'interleaved') return famfs_ext_type.FUSE_FAMFS_EXT_INTERLEAVE;
  return parseUint(v, 'ext_type', 32);
}

/** Check a spec object's shape; throws SpecError naming the offending field. */
export function validateFmapSpec(raw: unknown): FmapSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SpecError('fmap spec: expected a JSON object');
  const spec = raw as Record<string, unknown>;
  for (const k of Object.keys(spec)) if (!SPEC_KEYS.has(k)) throw new SpecError(`fmap spec: unknown field '${k}'`);
  if (spec.file_size === undefined) throw new SpecError('fmap spec: file_size is required');
  if (spec.extents !== undefined && !Array.isArray(spec.extents)) throw new SpecError('fmap spec: extents must be a list');
  if (spec.iexts !== undefined && !Array.isArray(spec.iexts)) throw new SpecError('fmap spec: iexts must be a list');
  (spec.iexts as unknown[] | undefined)?.forEach((ie, i) => {
    if (typeof ie !== 'object' || ie === null || !Array.isArray((ie as IextSpec).strips)) {
      throw new SpecError(`fmap spec: iexts[${i}].strips must be a list`);
    }
  });
  return spec as unknown as FmapSpec;
}

function encodeSimple(e: SimpleExtSpec, where: string, buf: Uint8Array, off: number): void {
  if (typeof e !== 'object' || e === null) throw new SpecError(`${where}: expected an object`);
  encodeStructInto(fuse_famfs_simple_ext, {
    se_devindex: parseUint(e.se_devindex ?? 0, `${where}.se_devindex`, 32),
    se_offset: parseU64(e.se_offset, `${where}.se_offset`),
    se_len: parseU64(e.se_len, `${where}.se_len`),
  }, buf, off);
}

/** Build the GET_FMAP reply payload bytes for a spec. */
export function encodeFmap(rawSpec: FmapSpec): Uint8Array {
  const spec = validateFmapSpec(rawSpec);
  const type = extType(spec.ext_type, spec);
  const extents = spec.extents ?? [];
  const iexts = spec.iexts ?? [];
  const records = type === famfs_ext_type.FUSE_FAMFS_EXT_INTERLEAVE ? iexts.length : extents.length;
  const body = extents.length * 24 + iexts.reduce((n, ie) => n + 24 + ie.strips.length * 24, 0);
  const tail = spec.append_hex ? hexToBytes(spec.append_hex, 'append_hex') : new Uint8Array(0);
  const buf = new Uint8Array(32 + body + tail.length);
  encodeStructInto(fuse_famfs_fmap_header, {
    file_type: parseUint(spec.file_type ?? 0, 'file_type', 8),
    fmap_version: parseUint(spec.fmap_version ?? FAMFS_FMAP_VERSION, 'fmap_version', 16),
    ext_type: type,
    nextents: parseUint(spec.nextents ?? records, 'nextents', 32),
    file_size: parseU64(spec.file_size, 'file_size'),
  }, buf, 0);
  let off = 32;
  extents.forEach((e, i) => { encodeSimple(e, `extents[${i}]`, buf, off); off += 24; });
  iexts.forEach((ie, i) => {
    encodeStructInto(fuse_famfs_iext, {
      ie_nstrips: parseUint(ie.ie_nstrips ?? ie.strips.length, `iexts[${i}].ie_nstrips`, 32),
      ie_chunk_size: parseUint(ie.ie_chunk_size, `iexts[${i}].ie_chunk_size`, 32),
      ie_nbytes: parseU64(ie.ie_nbytes, `iexts[${i}].ie_nbytes`),
    }, buf, off);
    off += 24;
    ie.strips.forEach((s, j) => { encodeSimple(s, `iexts[${i}].strips[${j}]`, buf, off); off += 24; });
  });
  buf.set(tail, off);
  if (spec.truncate_to !== undefined) {
    const n = parseUint(spec.truncate_to, 'truncate_to', 32);
    return buf.slice(0, Math.min(n, buf.length));
  }
  return buf;
}

export interface WireFmap {
  header: ReturnType<typeof decodeHeader>;
  extents: { se_devindex: number; se_offset: bigint; se_len: bigint }[];
  iexts: { ie_nstrips: number; ie_chunk_size: number; ie_nbytes: bigint; strips: WireFmap['extents'] }[];
  /** bytes that the header's counts do not account for, or -N when N bytes are missing */
  slack: number;
}

function decodeHeader(buf: Uint8Array) {
  return decodeStruct(fuse_famfs_fmap_header, buf, 0);
}

/**
 * A wire-level reading of a payload, as far as its bytes go, for display. This
 * is no validation (the kernel port does that); it stops at the first short record.
 */
export function decodeFmapWire(buf: Uint8Array): WireFmap | null {
  if (buf.length < 32) return null;
  const header = decodeHeader(buf);
  const out: WireFmap = { header, extents: [], iexts: [], slack: 0 };
  let off = 32;
  const fits = (n: number) => off + n <= buf.length;
  const n = Math.min(header.nextents, 64);
  for (let i = 0; i < n; i++) {
    if (header.ext_type === famfs_ext_type.FUSE_FAMFS_EXT_INTERLEAVE) {
      if (!fits(24)) { out.slack = -(24 - (buf.length - off)); return out; }
      const ie = decodeStruct(fuse_famfs_iext, buf, off);
      off += 24;
      const strips: WireFmap['extents'] = [];
      for (let j = 0; j < Math.min(ie.ie_nstrips, 64); j++) {
        if (!fits(24)) { out.iexts.push({ ...ie, strips }); out.slack = -(24 - (buf.length - off)); return out; }
        strips.push(decodeStruct(fuse_famfs_simple_ext, buf, off));
        off += 24;
      }
      out.iexts.push({ ie_nstrips: ie.ie_nstrips, ie_chunk_size: ie.ie_chunk_size, ie_nbytes: ie.ie_nbytes, strips });
    } else {
      if (!fits(24)) { out.slack = -(24 - (buf.length - off)); return out; }
      out.extents.push(decodeStruct(fuse_famfs_simple_ext, buf, off));
      off += 24;
    }
  }
  out.slack = buf.length - off;
  return out;
}

export function hexToBytes(hex: string, where = 'hex'): Uint8Array {
  const clean = hex.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new SpecError(`${where}: not an even-length hex string`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** hexdump -C style lines, for diagnostics. */
export function hexdump(b: Uint8Array, max = 4096): string[] {
  const lines: string[] = [];
  for (let off = 0; off < Math.min(b.length, max); off += 16) {
    const row = b.subarray(off, Math.min(off + 16, b.length));
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const asc = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${asc}|`);
  }
  if (b.length > max) lines.push(`... (${b.length - max} more bytes)`);
  return lines;
}
