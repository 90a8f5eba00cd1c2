// Typed access to the addon's SOCK_SEQPACKET socketpair (addon/famfs_sock.cc).
import { loadAddon, addonStatus } from '../addon/index';

export type RecvResult =
  | { status: 'record'; data: Uint8Array; length: number; truncated: boolean }
  | { status: 'eof' }
  | { status: 'timeout' };

export interface SeqpacketSocket {
  socketpair(): [number, number];
  send(fd: number, data: Uint8Array): number;
  recv(fd: number, maxBytes: number, timeoutMs: number): RecvResult;
  close(fd: number): void;
}

/** An addon error: errno name in .code, -errno in .errno. */
export interface SockError extends Error {
  code?: string;
  errno?: number;
}

/** The socket functions, or an Error saying why they are not there. */
export function seqpacket(): SeqpacketSocket | Error {
  const native = loadAddon() as unknown as { sock?: SeqpacketSocket } | null;
  if (!native) return new Error(addonStatus());
  if (!native.sock) return new Error('the addon has no socketpair support (rebuild it: sh addon/build.sh)');
  return native.sock;
}
