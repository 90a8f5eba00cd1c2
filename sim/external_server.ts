// A real fuse server process as the simulated kernel's peer. libfuse (>= 3.3)
// takes the mountpoint /dev/fd/N as "the fuse device is already open on fd N";
// fd 3 of the child is one end of a SOCK_SEQPACKET socketpair, so each read()
// the server makes returns one request record and each reply it writes arrives
// as one record. The kernel side stays synchronous: send the exact request
// bytes, then a bounded blocking recv of one reply.
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeStruct } from '../uapi/layout';
import { fuse_in_header, fuse_opcode, fuse_opcode_name } from '../uapi/fuse';
import type { FusePeer, PeerAnswer } from './peer';
import { seqpacket, SeqpacketSocket, SockError } from './peer_socket';

export interface ExternalServerOptions {
  /** how long the kernel waits for one reply before it aborts the connection */
  timeoutMs?: number;
  /** receive buffer: larger than any reply the kernel can ask for (1 MiB of READ data + header) */
  maxRecord?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ServerExit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export class ExternalServerError extends Error {}

/** The fd number the child sees its end of the socketpair on. */
export const SERVER_FD = 3;
export const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_RECORD = (1 << 20) + 64 * 1024;
const EXIT_GRACE_MS = 3000;
/** requests the kernel sends without waiting for an answer */
const NOREPLY_OPS = new Set<number>([fuse_opcode.FUSE_FORGET, 42 /* FUSE_BATCH_FORGET */]);

/** Split a command line the way a shell would for plain words and quotes (no expansion). */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new ExternalServerError(`server command: unbalanced ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

export class ExternalServer implements FusePeer {
  /** what happened on the transport besides requests and replies (timeouts, death, cut records) */
  readonly notes: string[] = [];
  readonly external = true;
  private fd: number;
  private exit: { code: number | null; signal: string | null } | null = null;
  private exited: Promise<void>;
  private gone = false;
  private readonly timeoutMs: number;
  private readonly maxRecord: number;

  private constructor(
    readonly argv: string[],
    private readonly sock: SeqpacketSocket,
    private readonly child: ChildProcess,
    fd: number,
    private readonly tmp: string,
    opts: ExternalServerOptions,
  ) {
    this.fd = fd;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRecord = opts.maxRecord ?? DEFAULT_MAX_RECORD;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => { this.exit = { code, signal }; resolve(); }));
    process.once('exit', this.killOnExit);
  }

  /** Start `command` (its words; one of them must be /dev/fd/3) with fd 3 on the socketpair. */
  static spawn(command: string | string[], opts: ExternalServerOptions = {}): ExternalServer {
    const argv = typeof command === 'string' ? splitCommand(command) : command;
    if (!argv.length) throw new ExternalServerError('server command is empty');
    if (!argv.includes(`/dev/fd/${SERVER_FD}`)) {
      throw new ExternalServerError(`server command must name /dev/fd/${SERVER_FD} as its mountpoint (its fuse device): ${argv.join(' ')}`);
    }
    if (opts.timeoutMs !== undefined && !(opts.timeoutMs > 0 && opts.timeoutMs <= 600000)) {
      throw new ExternalServerError(`server timeout must be in (0, 600000] ms, got ${opts.timeoutMs}`);
    }
    const sock = seqpacket();
    if (sock instanceof Error) throw new ExternalServerError(`cannot drive an external server: ${sock.message}`);
    const [mine, theirs] = sock.socketpair();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-server-'));
    // Files, not pipes, for the child's output: nothing drains a pipe while
    // the kernel side blocks in recv, and a chatty server would stall on it.
    const out = fs.openSync(path.join(tmp, 'stdout'), 'w');
    const err = fs.openSync(path.join(tmp, 'stderr'), 'w');
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out, err, theirs], env: opts.env ?? process.env });
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
      sock.close(theirs); // the child holds its own copy; ours would hide its death
    }
    child.on('error', () => undefined); // reported through pid / exit below
    if (child.pid === undefined) {
      sock.close(mine);
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new ExternalServerError(`cannot start server '${argv[0]}': not found or not executable`);
    }
    return new ExternalServer(argv, sock, child, mine, tmp, opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Write the request record; wait (bounded) for one reply record. */
  handle(request: Uint8Array): PeerAnswer {
    if (this.gone) return { kind: 'die' };
    const h = decodeStruct(fuse_in_header, request, 0);
    const what = `${fuse_opcode_name(h.opcode)} unique ${h.unique}`;
    try {
      this.sock.send(this.fd, request);
    } catch (e) {
      return this.died(`send of ${what} failed: ${(e as SockError).code ?? (e as Error).message} (server gone)`);
    }
    if (NOREPLY_OPS.has(h.opcode)) return { kind: 'none' };
    let r;
    try {
      r = this.sock.recv(this.fd, this.maxRecord, this.timeoutMs);
    } catch (e) {
      return this.died(`recv for ${what} failed: ${(e as SockError).code ?? (e as Error).message}`);
    }
    if (r.status === 'timeout') {
      this.notes.push(`no reply to ${what} within ${this.timeoutMs} ms: the kernel aborts the connection`);
      return { kind: 'none' };
    }
    if (r.status === 'eof') return this.died(`server closed the fuse device with ${what} in flight (it died or exited)`);
    if (r.truncated) this.notes.push(`reply record of ${r.length} bytes to ${what} cut to ${r.data.length} bytes (larger than the receive buffer)`);
    return { kind: 'reply', bytes: new Uint8Array(r.data) };
  }

  private died(why: string): PeerAnswer {
    this.notes.push(why);
    this.gone = true;
    return { kind: 'die' };
  }

  /** SIGKILL the server now (a scenario's kill_server step). */
  kill(): void {
    if (!this.exit) this.child.kill('SIGKILL');
    this.gone = true;
  }

  /**
   * Close our end (the server's next read sees EOF, as after umount), wait a
   * bounded time for it to exit, SIGKILL it if it does not, and collect its output.
   */
  async close(): Promise<ServerExit> {
    if (this.fd >= 0) {
      this.sock.close(this.fd);
      this.fd = -1;
    }
    this.gone = true;
    if (!this.exit && !(await this.waitExit(EXIT_GRACE_MS))) {
      this.notes.push(`server did not exit within ${EXIT_GRACE_MS} ms of EOF on its fuse device: killed`);
      this.child.kill('SIGKILL');
      await this.waitExit(EXIT_GRACE_MS);
    }
    process.removeListener('exit', this.killOnExit);
    const read = (f: string) => { try { return fs.readFileSync(path.join(this.tmp, f), 'utf8'); } catch { return ''; } };
    const result = { code: this.exit?.code ?? null, signal: this.exit?.signal ?? null, stdout: read('stdout'), stderr: read('stderr') };
    fs.rmSync(this.tmp, { recursive: true, force: true });
    return result;
  }

  private waitExit(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      void this.exited.then(() => { clearTimeout(t); resolve(true); });
    });
  }

  private readonly killOnExit = (): void => {
    if (!this.exit) this.child.kill('SIGKILL');
  };
}
