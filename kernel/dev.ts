// fs/fuse/dev.c, the parts a famfs request crosses: fuse_simple_request() puts
// a binary request (fuse_in_header + in args) on the input queue; the server
// reads it from /dev/fuse (fuse_dev_read) and writes a binary reply
// (fuse_out_header + payload) back (fuse_dev_write), whose checks decide what
// the waiting caller gets. The simulation is single-threaded: queuing a request
// wakes the server, which answers (or not) before the caller looks again.
import { copyBytes, encodeStructInto, decodeStruct } from '../uapi/layout';
import { fuse_in_header, fuse_out_header } from '../uapi/fuse';
import { ECONNREFUSED, EINVAL, EIO, ENOENT, ENOTCONN } from './lib/errno';
import type { fuse_conn } from './fuse_i';
import { pr_err } from './lib/printk';

export interface fuse_arg {
  size: number;
  value: Uint8Array;
}

export interface fuse_args {
  opcode: number;
  nodeid: bigint;
  in_numargs: number;
  in_args: fuse_arg[];
  out_numargs: number;
  out_args: fuse_arg[];
  /** the last out arg may be shorter than its size; its length is returned */
  out_argvar?: boolean;
  noreply?: boolean;
  /** allocated without fuse_get_req, so sent even after a failed INIT (INIT, DESTROY) */
  force?: boolean;
}

export function FUSE_ARGS(): fuse_args {
  return { opcode: 0, nodeid: 0n, in_numargs: 0, in_args: [], out_numargs: 0, out_args: [] };
}

/** The common request shape: one in arg (may be empty) and one fixed out arg. */
export function fuse_args_in_out(opcode: number, nodeid: bigint, inarg: Uint8Array | null, outarg: Uint8Array | null): fuse_args {
  const args = FUSE_ARGS();
  args.opcode = opcode;
  args.nodeid = nodeid;
  if (inarg) {
    args.in_numargs = 1;
    args.in_args[0] = { size: inarg.length, value: inarg };
  }
  if (outarg) {
    args.out_numargs = 1;
    args.out_args[0] = { size: outarg.length, value: outarg };
  }
  return args;
}

interface fuse_req {
  unique: bigint;
  args: fuse_args;
  bytes: Uint8Array;
  sent: boolean; // read by the server
  done: boolean;
  error: number;
}

const FUSE_REQ_ID_STEP = 2n;

/** The input queue of one connection (struct fuse_iqueue + the processing list). */
export class fuse_iqueue {
  connected = true;
  private reqctr = 0n;
  private pending: fuse_req[] = [];
  private processing = new Map<bigint, fuse_req>();
  /** Called when a request is queued: the server side runs here (sim/ sets it). */
  wake: (() => void) | null = null;
  /** the connection this queue belongs to (fc->iq in the C); set by fuse_conn */
  fc: Pick<fuse_conn, 'conn_error'> | null = null;

  /** dev.c fuse_get_req (the checks after the INIT wait): 0 or -errno */
  private fuse_get_req(): number {
    if (!this.connected) return -ENOTCONN;
    if (this.fc?.conn_error) return -ECONNREFUSED;
    return 0;
  }

  /** dev.c __fuse_simple_request(): send, wait, return error / out size / 0. */
  fuse_simple_request(args: fuse_args): number {
    if (!args.force) {
      const err = this.fuse_get_req();
      if (err) return err;
    } else if (!this.connected) {
      return -ENOTCONN; // fuse_dev_queue_req on a dead queue
    }
    this.reqctr += FUSE_REQ_ID_STEP;
    const req: fuse_req = { unique: this.reqctr, args, bytes: this.encodeRequest(this.reqctr, args), sent: false, done: false, error: 0 };
    this.pending.push(req);
    this.wake?.();
    if (args.noreply) return 0;
    if (!req.done) {
      // The server did not answer. A real kernel would wait (until the request
      // timeout aborts the connection); the harness aborts now instead of hanging.
      pr_err(`fuse: no reply to unique ${req.unique} (opcode ${args.opcode}): aborting connection`);
      this.fuse_abort_conn();
      return -ENOTCONN;
    }
    if (req.error) return req.error;
    if (args.out_argvar) return args.out_args[args.out_numargs - 1].size;
    return 0;
  }

  private encodeRequest(unique: bigint, args: fuse_args): Uint8Array {
    let inlen = 0;
    for (let i = 0; i < args.in_numargs; i++) inlen += args.in_args[i].size;
    const bytes = new Uint8Array(fuse_in_header.size + inlen);
    encodeStructInto(fuse_in_header, { len: bytes.length, opcode: args.opcode, unique, nodeid: args.nodeid, uid: 0, gid: 0, pid: 1 }, bytes, 0);
    let off = fuse_in_header.size;
    for (let i = 0; i < args.in_numargs; i++) {
      const a = args.in_args[i];
      copyBytes(bytes, off, a.value, 0, a.size);
      off += a.size;
    }
    return bytes;
  }

  /** fuse_dev_read(): the next request's bytes, or null when the queue is empty. */
  fuse_dev_read(): Uint8Array | null {
    const req = this.pending.shift();
    if (!req) return null;
    req.sent = true;
    if (req.args.noreply) req.done = true;
    else this.processing.set(req.unique, req);
    return req.bytes;
  }

  /** fuse_dev_write(): process one reply; returns bytes consumed or -errno to the server. */
  fuse_dev_write(buf: Uint8Array): number {
    if (!this.connected) return -ENOTCONN;
    const nbytes = buf.length;
    if (nbytes < fuse_out_header.size) return -EINVAL;
    const oh = decodeStruct(fuse_out_header, buf, 0);
    if (oh.len !== nbytes) return -EINVAL;
    if (oh.unique === 0n) return -EINVAL; // notifications: none modelled
    if (oh.error <= -512 || oh.error > 0) return -EINVAL; // error must be in (-512, 0]
    const req = this.processing.get(oh.unique);
    if (!req) return -ENOENT;
    this.processing.delete(oh.unique);
    let err: number;
    if (oh.error) {
      err = nbytes !== fuse_out_header.size ? -EINVAL : 0;
      req.error = oh.error;
    } else {
      err = copy_out_args(req.args, buf, fuse_out_header.size);
    }
    if (err) req.error = -EIO;
    req.done = true;
    return err ? err : nbytes;
  }

  /** fuse_abort_conn(): fail everything in flight, refuse everything after. */
  fuse_abort_conn(): void {
    this.connected = false;
    for (const req of [...this.pending, ...this.processing.values()]) {
      req.done = true;
      req.error = -ENOTCONN;
    }
    this.pending = [];
    this.processing.clear();
  }

  pendingCount(): number {
    return this.pending.length + this.processing.size;
  }
}

/**
 * copy_out_args(): the reply payload must fill the out args exactly, except
 * that a variable last arg may come short. Anything else is -EINVAL to the
 * server (and -EIO to the caller).
 */
function copy_out_args(args: fuse_args, frame: Uint8Array, payload: number): number {
  let reqsize = 0;
  for (let i = 0; i < args.out_numargs; i++) reqsize += args.out_args[i].size;
  const nbytes = frame.length - payload;
  if (reqsize < nbytes || (reqsize > nbytes && !args.out_argvar)) return -EINVAL;
  let off = 0;
  for (let i = 0; i < args.out_numargs; i++) {
    const a = args.out_args[i];
    if (i === args.out_numargs - 1 && args.out_argvar) a.size = nbytes - off;
    copyBytes(a.value, 0, frame, payload + off, a.size);
    off += a.size;
  }
  return 0;
}

/** Build a reply frame (what a server writes to /dev/fuse). */
export function fuse_reply_bytes(unique: bigint, error: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(fuse_out_header.size + payload.length);
  encodeStructInto(fuse_out_header, { len: out.length, error, unique }, out, 0);
  out.set(payload, fuse_out_header.size);
  return out;
}
