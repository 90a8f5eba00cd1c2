// The fuse server as the simulated kernel sees it: something that reads one
// request from /dev/fuse and answers with one reply, nothing, or by dying.
// The in-process model (sim/server.ts) and a real server process over a
// socketpair (sim/external_server.ts) both speak it, so every reply goes
// through the same fuse_dev_write() checks whichever peer wrote it.

export type PeerAnswer =
  | { kind: 'reply'; bytes: Uint8Array } // one record written to /dev/fuse
  | { kind: 'none' } // read the request, wrote nothing (noreply op, or silent server)
  | { kind: 'die' }; // the server's /dev/fuse fd closed: the connection aborts

export interface FusePeer {
  /** Handle one request, given as the exact bytes fuse_dev_read() returns. */
  handle(request: Uint8Array): PeerAnswer;
  /** Kill the server process now, if there is one (a scenario's kill_server step). */
  kill?(): void;
  /** Only the in-process model can be scripted (faults, size changes). */
  readonly external?: boolean;
}

