// The message log of a simulated /dev/fuse: every request and reply, as hex and
// decoded, for --trace and for failing tests. Off unless asked for; when on, a
// ring keeps the newest frames so a long run cannot grow it without bound.
import { decodeStruct } from '../uapi/layout';
import { fuse_in_header, fuse_out_header, fuse_init_in, fuse_init_out, fuse_opcode, fuse_daxdev_out, fuse_opcode_name as opcodeName } from '../uapi/fuse';
import { cstring } from '../uapi/layout';
import { decodeFmapWire, hexdump, bytesToHex } from '../uapi/fmap_codec';
import { errnoName } from '../kernel/lib/errno';

export interface TraceEntry {
  dir: 'request' | 'reply';
  unique: string;
  op: string;
  nodeid?: string;
  len: number;
  error?: string;
  /** the server's write(2) on /dev/fuse failed with this (reply rejected by the kernel) */
  rejected?: string;
  summary: string;
  hex: string;
}

/** Frames a trace keeps by default (about 2 KiB each with the hex). */
export const DEFAULT_TRACE_LIMIT = 10000;

/** A bounded trace: the newest `limit` frames, and how many older ones were dropped. */
export class TraceLog {
  private ring: TraceEntry[] = [];
  private next = 0;
  dropped = 0;
  readonly limit: number;

  constructor(limit = DEFAULT_TRACE_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`trace limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  add(e: TraceEntry): void {
    if (this.ring.length < this.limit) {
      this.ring.push(e);
      return;
    }
    this.ring[this.next] = e;
    this.next = (this.next + 1) % this.limit;
    this.dropped++;
  }

  /** Oldest first. */
  entries(): TraceEntry[] {
    return this.ring.length < this.limit ? this.ring.slice() : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}

export function traceRequest(bytes: Uint8Array): TraceEntry {
  const h = decodeStruct(fuse_in_header, bytes, 0);
  const body = bytes.subarray(fuse_in_header.size);
  let summary = '';
  if (h.opcode === fuse_opcode.FUSE_INIT) {
    const i = decodeStruct(fuse_init_in, body, 0);
    const flags = (BigInt(i.flags2) << 32n) | BigInt(i.flags);
    summary = `${i.major}.${i.minor} flags=0x${flags.toString(16)}${flags & (1n << 43n) ? ' +DAX_FMAP' : ''}`;
  } else if (h.opcode === fuse_opcode.FUSE_LOOKUP) {
    summary = `name="${cstring(body)}"`;
  } else if (h.opcode === fuse_opcode.FUSE_GET_DAXDEV) {
    summary = `daxdev index=${h.nodeid} (in nodeid), ${body.length} in-arg bytes`;
  } else if (h.opcode === fuse_opcode.FUSE_GET_FMAP) {
    summary = `${body.length} in-arg bytes`;
  }
  return { dir: 'request', unique: String(h.unique), op: opcodeName(h.opcode), nodeid: String(h.nodeid), len: h.len, summary, hex: bytesToHex(bytes) };
}

export function traceReply(bytes: Uint8Array, op: number): TraceEntry {
  if (bytes.length < fuse_out_header.size) {
    return { dir: 'reply', unique: '?', op: opcodeName(op), len: bytes.length, summary: `short frame: ${bytes.length} bytes, less than fuse_out_header`, hex: bytesToHex(bytes) };
  }
  const h = decodeStruct(fuse_out_header, bytes, 0);
  const body = bytes.subarray(fuse_out_header.size);
  let summary = `${body.length} payload bytes`;
  if (!h.error && op === fuse_opcode.FUSE_GET_FMAP) {
    const w = decodeFmapWire(body);
    summary += w ? ` ext_type=${w.header.ext_type} nextents=${w.header.nextents} file_size=0x${w.header.file_size.toString(16)}` : ' (shorter than the header)';
  } else if (!h.error && op === fuse_opcode.FUSE_GET_DAXDEV && body.length >= fuse_daxdev_out.size) {
    summary += ` name="${cstring(decodeStruct(fuse_daxdev_out, body, 0).name)}"`;
  } else if (!h.error && op === fuse_opcode.FUSE_INIT && body.length >= 64) {
    const o = decodeStruct(fuse_init_out, body, 0);
    const flags = (BigInt(o.flags2) << 32n) | BigInt(o.flags);
    summary += ` ${o.major}.${o.minor} flags=0x${flags.toString(16)}${flags & (1n << 43n) ? ' +DAX_FMAP' : ''}`;
  }
  return {
    dir: 'reply', unique: String(h.unique), op: opcodeName(op), len: h.len,
    error: h.error ? `-${errnoName(h.error)}` : undefined, summary, hex: bytesToHex(bytes),
  };
}

export function formatTrace(e: TraceEntry, withHex = false): string {
  const arrow = e.dir === 'request' ? '->' : '<-';
  const head = `${arrow} ${e.op.padEnd(10)} unique=${e.unique}${e.nodeid !== undefined ? ` nodeid=${e.nodeid}` : ''} len=${e.len}`;
  const tail = [e.error ? `error=${e.error}` : '', e.summary, e.rejected ? `REJECTED by kernel: ${e.rejected}` : ''].filter(Boolean).join(' ');
  const lines = [`${head} ${tail}`];
  if (withHex) lines.push(...hexdump(new Uint8Array(Buffer.from(e.hex, 'hex')), 512).map((l) => `     ${l}`));
  return lines.join('\n');
}
