// The simulated /dev/fuse: connects the kernel's input queue to a server model.
// Requests and replies cross it as bytes; everything is logged.
import type { fuse_iqueue } from '../kernel/dev';
import { decodeStruct } from '../uapi/layout';
import { fuse_in_header } from '../uapi/fuse';
import { errnoName } from '../kernel/lib/errno';
import type { FusePeer } from './peer';
import { TraceEntry, traceReply, traceRequest } from './trace';

export class FuseChannel {
  readonly log: TraceEntry[] = [];
  serverAlive = true;
  onTrace: ((e: TraceEntry) => void) | null = null;

  constructor(private readonly iq: fuse_iqueue, private readonly server: FusePeer) {
    iq.wake = () => this.pump();
  }

  private record(e: TraceEntry): void {
    this.log.push(e);
    this.onTrace?.(e);
  }

  /** The server's loop: read every queued request, answer it (or not). */
  private pump(): void {
    for (;;) {
      if (!this.serverAlive) return;
      const req = this.iq.fuse_dev_read();
      if (!req) return;
      this.record(traceRequest(req));
      const op = decodeStruct(fuse_in_header, req, 0).opcode;
      const ans = this.server.handle(req);
      if (ans.kind === 'die') {
        this.killServer();
        return;
      }
      if (ans.kind === 'none') continue;
      const entry = traceReply(ans.bytes, op);
      const rc = this.iq.fuse_dev_write(ans.bytes);
      if (rc < 0) entry.rejected = `-${errnoName(rc)}`;
      this.record(entry);
    }
  }

  /** The server process dies: fuse_dev_release() of the last fd aborts the connection. */
  killServer(): void {
    this.serverAlive = false;
    this.iq.fuse_abort_conn();
  }

  /** Requests (not replies) seen, by op name. */
  count(op?: string): number {
    return this.log.filter((e) => e.dir === 'request' && (!op || e.op === op)).length;
  }

  /** Requests seen, per op name. */
  requestCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.log) if (e.dir === 'request') counts[e.op] = (counts[e.op] ?? 0) + 1;
    return counts;
  }
}
