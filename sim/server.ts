// A famfs fuse server model: what famfs_fused answers (userspace-spec §2), over
// real binary messages. It holds a tree of files (each with its fmap) and the
// daxdev list, and can be scripted to misbehave for tests.
import { decodeStruct, encodeStruct, encodeStructInto, StructLayout, utf8Decode } from '../uapi/layout';
import {
  fuse_attr_out, fuse_daxdev_out, fuse_entry_out, fuse_in_header, fuse_init_in, fuse_init_out, fuse_out_header,
  fuse_opcode, fuse_opcode_name, fuse_open_out, FUSE_DAX_FMAP, FUSE_INIT_EXT, FUSE_KERNEL_VERSION, FUSE_ROOT_ID, FAMFS_CHANGELOG_MINOR,
} from '../uapi/fuse';
import { encodeFmap, FmapSpec, hexToBytes, parseU64 } from '../uapi/fmap_codec';
import { fuse_reply_bytes } from '../kernel/dev';
import { ERRNO, errnoCode } from '../kernel/lib/errno';
import { S_IFDIR, S_IFREG } from '../kernel/lib/namei';
import type { FusePeer, PeerAnswer } from './peer';

export interface ServerFile {
  path: string;
  kind?: 'file' | 'dir';
  mode?: number;
  /** the size GETATTR/LOOKUP report; defaults to the fmap's file_size */
  size?: string | number;
  fmap?: FmapSpec;
  /** a raw GET_FMAP payload instead of a spec */
  fmap_hex?: string;
}

export type FaultAction =
  | 'error' // reply with errno
  | 'raw' // reply payload = hex
  | 'frame' // the whole reply frame (fuse_out_header included) = hex; `unique: true` patches in the request's unique
  | 'truncate' // cut the normal payload to `bytes`
  | 'pad' // append `bytes` zero bytes to the normal payload
  | 'noreply' // read the request, never answer
  | 'die' // the server process dies (closes /dev/fuse)
  | 'bad_unique' // answer with a unique that matches no request
  | 'daxdev_name'; // GET_DAXDEV names `name` (or `name_hex` raw bytes)

export interface ServerFault {
  op: keyof typeof OPS | '*';
  /** match a nodeid (for GET_DAXDEV: the daxdev index) */
  nodeid?: number | string;
  /** match the file at this path (LOOKUP/OPEN/GET_FMAP/GETATTR) */
  path?: string;
  action: FaultAction;
  errno?: string;
  hex?: string;
  bytes?: number;
  name?: string;
  name_hex?: string;
  /** how many times it fires (default: always) */
  times?: number;
  /** with 'frame': write the request's unique into bytes 8..15 */
  unique?: boolean;
}

export interface InitPolicy {
  /** whether the reply claims FUSE_DAX_FMAP: when the kernel offered it (famfs_fused), always, or never */
  dax_fmap?: 'if_offered' | 'always' | 'never';
  major?: number;
  minor?: number;
  /** leave FUSE_INIT_EXT out of the reply (flags2 is then ignored) */
  no_init_ext?: boolean;
}

export interface ServerConfig {
  files: ServerFile[];
  daxdevs: string[];
  init?: InitPolicy;
  faults?: ServerFault[];
}

const OPS = {
  INIT: fuse_opcode.FUSE_INIT, LOOKUP: fuse_opcode.FUSE_LOOKUP, GETATTR: fuse_opcode.FUSE_GETATTR,
  OPEN: fuse_opcode.FUSE_OPEN, OPENDIR: fuse_opcode.FUSE_OPENDIR, RELEASE: fuse_opcode.FUSE_RELEASE,
  RELEASEDIR: fuse_opcode.FUSE_RELEASEDIR, GET_FMAP: fuse_opcode.FUSE_GET_FMAP, GET_DAXDEV: fuse_opcode.FUSE_GET_DAXDEV,
  DESTROY: fuse_opcode.FUSE_DESTROY, READ: fuse_opcode.FUSE_READ, WRITE: fuse_opcode.FUSE_WRITE, FORGET: fuse_opcode.FUSE_FORGET,
} as const;

interface Node { nodeid: bigint; name: string; parent: bigint; dir: boolean; mode: number; size: bigint; fmap: Uint8Array | null; children: Map<string, Node> }

export type ServerAnswer = PeerAnswer;

export class FamfsServer implements FusePeer {
  private nodes = new Map<bigint, Node>();
  private nextNodeid = 2n;
  private nextFh = 1n;
  private faults: (ServerFault & { fired: number })[];
  readonly stats = { requests: 0, byOp: new Map<string, number>() };
  /** hooks run before a request is answered (tests use them to interleave, e.g. races) */
  beforeReply: ((op: string, nodeid: bigint) => void) | null = null;

  constructor(private readonly cfg: ServerConfig) {
    this.nodes.set(FUSE_ROOT_ID, { nodeid: FUSE_ROOT_ID, name: '', parent: FUSE_ROOT_ID, dir: true, mode: S_IFDIR | 0o755, size: 4096n, fmap: null, children: new Map() });
    for (const f of cfg.files) this.addFile(f);
    this.faults = (cfg.faults ?? []).map((f) => ({ ...f, fired: 0 }));
  }

  addFile(f: ServerFile): void {
    const parts = f.path.split('/').filter(Boolean);
    if (!parts.length) throw new Error(`server file: bad path '${f.path}'`);
    let parent = FUSE_ROOT_ID;
    parts.forEach((name, i) => {
      const last = i === parts.length - 1;
      const p = this.nodes.get(parent) as Node;
      const existing = p.children.get(name);
      if (existing !== undefined && !last) { parent = existing.nodeid; return; }
      const dir = !last || f.kind === 'dir';
      const fmap = last && !dir ? (f.fmap_hex !== undefined ? hexToBytes(f.fmap_hex, `${f.path}.fmap_hex`) : f.fmap ? encodeFmap(f.fmap) : null) : null;
      const size = last && f.size !== undefined ? parseU64(f.size, `${f.path}.size`) : fmap && fmap.length >= 24 ? new DataView(fmap.buffer, fmap.byteOffset).getBigUint64(16, true) : dir ? 4096n : 0n;
      const nodeid = existing?.nodeid ?? this.nextNodeid++;
      const node: Node = { nodeid, name, parent, dir, mode: (dir ? S_IFDIR : S_IFREG) | (f.mode ?? (dir ? 0o755 : 0o644)), size, fmap, children: new Map() };
      this.nodes.set(nodeid, node);
      p.children.set(name, node);
      parent = nodeid;
    });
  }

  /** Script one more misbehaviour at run time. */
  addFault(f: ServerFault): void {
    this.faults.push({ ...f, fired: 0 });
  }

  /** Change the size the server reports (a rogue truncate seen through GETATTR). */
  setReportedSize(path: string, size: bigint): void {
    const n = this.resolve(path);
    if (!n) throw new Error(`server: no file ${path}`);
    n.size = size;
  }

  private resolve(path: string): Node | undefined {
    let n = this.nodes.get(FUSE_ROOT_ID);
    for (const part of path.split('/').filter(Boolean)) n = n?.children.get(part);
    return n;
  }

  pathOf(nodeid: bigint): string {
    const parts: string[] = [];
    let n = this.nodes.get(nodeid);
    while (n && n.nodeid !== FUSE_ROOT_ID) { parts.unshift(n.name); n = this.nodes.get(n.parent); }
    return '/' + parts.join('/');
  }

  private takeFault(opname: string, nodeid: bigint): ServerFault | null {
    for (const f of this.faults) {
      if (f.op !== '*' && f.op !== opname) continue;
      if (f.nodeid !== undefined && BigInt(f.nodeid) !== nodeid) continue;
      if (f.path !== undefined && this.pathOf(nodeid) !== f.path) continue;
      if (f.times !== undefined && f.fired >= f.times) continue;
      f.fired++;
      return f;
    }
    return null;
  }

  /** Handle one request read from /dev/fuse. */
  handle(req: Uint8Array): ServerAnswer {
    const h = decodeStruct(fuse_in_header, req, 0);
    const opname = fuse_opcode_name(h.opcode);
    this.stats.requests++;
    this.stats.byOp.set(opname, (this.stats.byOp.get(opname) ?? 0) + 1);
    if (h.opcode === fuse_opcode.FUSE_FORGET) return { kind: 'none' };
    this.beforeReply?.(opname, h.nodeid);

    const fault = this.takeFault(opname, h.nodeid);
    if (fault?.action === 'noreply') return { kind: 'none' };
    if (fault?.action === 'die') return { kind: 'die' };
    if (fault?.action === 'error') return this.err(h.unique, fault.errno ?? 'EIO');
    if (fault?.action === 'raw') return this.ok(h.unique, hexToBytes(fault.hex ?? '', 'fault.hex'));
    if (fault?.action === 'frame') {
      const frame = hexToBytes(fault.hex ?? '', 'fault.hex');
      if (fault.unique && frame.length >= 16) new DataView(frame.buffer).setBigUint64(8, h.unique, true);
      return { kind: 'reply', bytes: frame };
    }

    const ans = this.dispatch(h.opcode, h.nodeid, h.unique, req, fault);
    if (ans.kind !== 'reply' || !fault) return ans;
    if (fault.action === 'bad_unique') return this.ok(h.unique + 1000n, ans.bytes.subarray(16));
    const payload = ans.bytes.subarray(16);
    if (fault.action === 'truncate') return this.ok(h.unique, payload.subarray(0, fault.bytes ?? 0));
    if (fault.action === 'pad') {
      const p = new Uint8Array(payload.length + (fault.bytes ?? 0));
      p.set(payload);
      return this.ok(h.unique, p);
    }
    return ans;
  }

  private ok(unique: bigint, payload: Uint8Array = new Uint8Array(0)): ServerAnswer {
    return { kind: 'reply', bytes: fuse_reply_bytes(unique, 0, payload) };
  }

  /** A reply whose payload is one struct, encoded straight into the frame (one buffer, no copy). */
  private okStruct<V>(unique: bigint, layout: StructLayout<V>, values: Partial<Record<keyof V & string, unknown>>): ServerAnswer {
    const frame = new Uint8Array(fuse_out_header.size + layout.size);
    encodeStructInto(fuse_out_header, { len: frame.length, error: 0, unique }, frame, 0);
    encodeStructInto(layout, values, frame, fuse_out_header.size);
    return { kind: 'reply', bytes: frame };
  }

  private err(unique: bigint, name: string): ServerAnswer {
    const code = errnoCode(name);
    return { kind: 'reply', bytes: fuse_reply_bytes(unique, code ?? -ERRNO.EIO) };
  }

  private attr(n: Node): Record<string, unknown> {
    return { ino: n.nodeid, size: n.size, blocks: (n.size + 511n) / 512n, mode: n.mode, nlink: n.dir ? 2 : 1, blksize: 4096 };
  }

  /** One request; its in-args start at fuse_in_header.size of `req` (no subarray: small frames would be copied out). */
  private dispatch(op: number, nodeid: bigint, unique: bigint, req: Uint8Array, fault: ServerFault | null): ServerAnswer {
    const body = fuse_in_header.size;
    const n = this.nodes.get(nodeid);
    switch (op) {
      case fuse_opcode.FUSE_INIT: return this.init(unique, req, body);
      case fuse_opcode.FUSE_LOOKUP: {
        const nul = req.indexOf(0, body);
        const name = utf8Decode(req, body, nul < 0 ? body : nul);
        const c = n?.dir ? n.children.get(name) : undefined;
        if (!c) return this.err(unique, n && !n.dir ? 'ENOTDIR' : 'ENOENT');
        return this.okStruct(unique, fuse_entry_out, { nodeid: c.nodeid, attr: this.attr(c) });
      }
      case fuse_opcode.FUSE_GETATTR:
        if (!n) return this.err(unique, 'ENOENT');
        return this.okStruct(unique, fuse_attr_out, { attr_valid: 1, attr: this.attr(n) });
      case fuse_opcode.FUSE_OPEN:
      case fuse_opcode.FUSE_OPENDIR:
        if (!n) return this.err(unique, 'ENOENT');
        return this.okStruct(unique, fuse_open_out, { fh: this.nextFh++ });
      case fuse_opcode.FUSE_RELEASE:
      case fuse_opcode.FUSE_RELEASEDIR:
      case fuse_opcode.FUSE_DESTROY:
        return this.ok(unique);
      case fuse_opcode.FUSE_GET_FMAP:
        // famfs_fused: unknown nodeid -> EINVAL; no fmap (a directory) -> ENOENT
        if (!n) return this.err(unique, 'EINVAL');
        if (!n.fmap) return this.err(unique, 'ENOENT');
        return this.ok(unique, n.fmap);
      case fuse_opcode.FUSE_GET_DAXDEV: return this.getDaxdev(unique, nodeid, fault);
      default:
        return this.err(unique, 'ENOSYS'); // famfs_fused has no read/write handlers
    }
  }

  private init(unique: bigint, req: Uint8Array, body: number): ServerAnswer {
    const inarg = decodeStruct(fuse_init_in, req, body);
    const offered = (BigInt(inarg.flags2) << 32n) | BigInt(inarg.flags);
    const pol = this.cfg.init ?? {};
    const mode = pol.dax_fmap ?? 'if_offered';
    // famfs_fused wants DAX_FMAP only if offered and a daxdev= was given
    const want = mode === 'always' || (mode === 'if_offered' && (offered & FUSE_DAX_FMAP) !== 0n && this.cfg.daxdevs.length > 0);
    let flags = offered & ~FUSE_DAX_FMAP;
    if (want) flags |= FUSE_DAX_FMAP;
    if (pol.no_init_ext) flags &= ~FUSE_INIT_EXT;
    return this.okStruct(unique, fuse_init_out, {
      major: pol.major ?? FUSE_KERNEL_VERSION, minor: pol.minor ?? FAMFS_CHANGELOG_MINOR, max_readahead: inarg.max_readahead,
      flags: Number(flags & 0xffffffffn), flags2: Number(flags >> 32n), max_write: 1 << 20, max_pages: 256, time_gran: 1,
    });
  }

  private getDaxdev(unique: bigint, index: bigint, fault: ServerFault | null): ServerAnswer {
    const out = new Uint8Array(fuse_daxdev_out.size);
    if (fault?.action === 'daxdev_name') {
      const name = fault.name_hex !== undefined ? hexToBytes(fault.name_hex, 'name_hex') : new TextEncoder().encode(fault.name ?? '');
      out.set(name.subarray(0, 256), 24);
      return this.ok(unique, out);
    }
    if (index >= BigInt(this.cfg.daxdevs.length)) return this.err(unique, this.cfg.daxdevs.length ? 'EINVAL' : 'EOPNOTSUPP');
    out.set(encodeStruct(fuse_daxdev_out, { index: Number(index), name: this.cfg.daxdevs[Number(index)] }));
    return this.ok(unique, out);
  }
}
