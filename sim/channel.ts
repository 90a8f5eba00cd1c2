// The simulated /dev/fuse: connects the kernel's input queue to a server model.
// Requests and replies cross it as bytes. Requests are always counted by op;
// the decoded message trace is off unless asked for (enableTrace, a world's
// `trace` option, `sim run --trace`) and bounded when on.
import type { fuse_iqueue } from '../kernel/dev';
import { fuse_in_opcode, fuse_opcode, fuse_opcode_name } from '../uapi/fuse';
import { errnoName } from '../kernel/lib/errno';
import type { FusePeer } from './peer';
import { TraceEntry, TraceLog, traceReply, traceRequest } from './trace';

export class FuseChannel {
  serverAlive = true;
  /** the message trace, or null while tracing is off */
  trace: TraceLog | null = null;
  onTrace: ((e: TraceEntry) => void) | null = null;
  /** the INIT reply as the server wrote it, and the kernel's verdict on it (kept even with the trace off) */
  initReply: { bytes: Uint8Array; rc: number } | null = null;
  private requests = new Map<string, number>();
  private nrequests = 0;

  constructor(private readonly iq: fuse_iqueue, private readonly server: FusePeer) {
    iq.wake = () => this.pump();
  }

  /** Start recording every frame (the newest `limit` are kept). */
  enableTrace(limit?: number): TraceLog {
    this.trace = new TraceLog(limit);
    return this.trace;
  }

  /** The recorded frames, oldest first (empty while tracing is off). */
  get log(): TraceEntry[] {
    return this.trace ? this.trace.entries() : [];
  }

  private record(e: TraceEntry): void {
    this.trace?.add(e);
    this.onTrace?.(e);
  }

  private tracing(): boolean {
    return this.trace !== null || this.onTrace !== null;
  }

  /** The server's loop: read every queued request, answer it (or not). */
  private pump(): void {
    for (;;) {
      if (!this.serverAlive) return;
      const req = this.iq.fuse_dev_read();
      if (!req) return;
      const op = fuse_in_opcode(req);
      this.countRequest(fuse_opcode_name(op));
      if (this.tracing()) this.record(traceRequest(req));
      const ans = this.server.handle(req);
      if (ans.kind === 'die') {
        this.killServer();
        return;
      }
      if (ans.kind === 'none') continue;
      const rc = this.iq.fuse_dev_write(ans.bytes);
      if (op === fuse_opcode.FUSE_INIT) this.initReply = { bytes: ans.bytes, rc };
      if (this.tracing()) {
        const entry = traceReply(ans.bytes, op);
        if (rc < 0) entry.rejected = `-${errnoName(rc)}`;
        this.record(entry);
      }
    }
  }

  private countRequest(name: string): void {
    this.nrequests++;
    this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
  }

  /** The server process dies: fuse_dev_release() of the last fd aborts the connection. */
  killServer(): void {
    this.serverAlive = false;
    this.iq.fuse_abort_conn();
  }

  /** Requests (not replies) seen, by op name. */
  count(op?: string): number {
    return op === undefined ? this.nrequests : (this.requests.get(op) ?? 0);
  }

  /** Requests seen, per op name. */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.requests);
  }
}
