// The addon's SOCK_SEQPACKET socketpair (addon/famfs_sock.cc): record
// boundaries, bounded receive, end of file, errors as errno values (no signal).
import { seqpacket, SeqpacketSocket, SockError } from '../sim/peer_socket';

function requireSock(): SeqpacketSocket {
  const s = seqpacket();
  if (s instanceof Error) throw s; // the addon is part of `make build`: no silent skip
  return s;
}

function thrown(fn: () => unknown): SockError {
  try {
    fn();
  } catch (e) {
    return e as SockError;
  }
  throw new Error('expected an error');
}

describe('seqpacket socketpair', () => {
  const sock = requireSock();

  test('one send is one record, in order, sizes kept', () => {
    const [a, b] = sock.socketpair();
    try {
      expect(sock.send(a, new Uint8Array(40).fill(1))).toBe(40);
      expect(sock.send(a, new Uint8Array(104).fill(2))).toBe(104);
      const r1 = sock.recv(b, 4096, 1000);
      const r2 = sock.recv(b, 4096, 1000);
      expect(r1.status === 'record' && [r1.data.length, r1.data[0], r1.truncated]).toEqual([40, 1, false]);
      expect(r2.status === 'record' && [r2.data.length, r2.data[103]]).toEqual([104, 2]);
    } finally {
      sock.close(a);
      sock.close(b);
    }
  });

  test('a silent peer is a timeout after the bound, not a hang', () => {
    const [a, b] = sock.socketpair();
    const t0 = Date.now();
    expect(sock.recv(b, 64, 150)).toEqual({ status: 'timeout' });
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(140); // the bound is honoured (a hang is jest's timeout)
    sock.close(a);
    sock.close(b);
  });

  test('a record larger than the buffer is reported cut, with its real length', () => {
    const [a, b] = sock.socketpair();
    sock.send(a, new Uint8Array(300).fill(9));
    const r = sock.recv(b, 100, 1000);
    expect(r.status === 'record' && [r.data.length, r.length, r.truncated]).toEqual([100, 300, true]);
    sock.close(a);
    sock.close(b);
  });

  test('closed peer: recv sees end of file, send is EPIPE (an error, not SIGPIPE)', () => {
    const [a, b] = sock.socketpair();
    sock.close(a);
    expect(sock.recv(b, 64, 1000)).toEqual({ status: 'eof' });
    const e = thrown(() => sock.send(b, new Uint8Array(40)));
    expect([e.code, e.errno]).toEqual(['EPIPE', -32]);
    sock.close(b);
  });

  test('a bad fd is EBADF', () => {
    const [a, b] = sock.socketpair();
    sock.close(a);
    sock.close(b);
    expect(thrown(() => sock.send(a, new Uint8Array(1))).code).toBe('EBADF');
    expect(thrown(() => sock.recv(b, 64, 10)).code).toBe('EBADF');
    expect(thrown(() => sock.recv(b, 0, 10)).code).toBe('EINVAL');
  });
});
