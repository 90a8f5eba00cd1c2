// The simulated kernel against a real libfuse server process (Debian's
// libfuse3, tests/libfuse/famfs_test_server.c) over the socketpair: every
// message both sides know is compared field by field — what the kernel port
// encoded against what libfuse decoded, and what libfuse encoded against what
// the kernel port decoded — plus the famfs-off path, the -ENOSYS GET_FMAP path,
// server death mid-request and a server that never replies.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createWorld, World } from '../sim/world';
import { ExternalServer, ExternalServerError, ServerExit } from '../sim/external_server';
import { famfsModeReport } from '../sim/peer_init';
import { runScenario, Scenario, ScenarioError } from '../sim/scenario';
import { TraceEntry } from '../sim/trace';
import { decodeStruct } from '../uapi/layout';
import { fuse_attr_out, fuse_entry_out, fuse_in_header, fuse_init_in, fuse_init_out, fuse_open_out, fuse_out_header, fuse_release_in, FUSE_INIT_FLAGS } from '../uapi/fuse';
import { hexToBytes } from '../uapi/fmap_codec';
import { pattern, bytesEqual } from '../sim/scenario';

const ROOT = path.resolve(__dirname, '..');
const SERVER = path.join(ROOT, 'tests/libfuse/build/famfs_test_server');
const SETUP = path.join(ROOT, 'tests/libfuse/setup.sh');
const FOPEN_DIRECT_IO = 1; // include/uapi/linux/fuse.h (1 << 0)
const O_RDWR = 2;

type Line = Record<string, number | string | boolean | Record<string, number>>;

interface Run {
  w: World;
  exit: ServerExit;
  notes: string[];
  /** the server's JSON lines: what libfuse decoded and what it answered */
  said: Line[];
  log: TraceEntry[];
}

beforeAll(() => {
  if (!fs.existsSync(SERVER)) execFileSync('bash', [SETUP], { stdio: 'inherit' }); // `make test` builds it first
}, 300000);

async function withServer(args: string[], body: (w: World) => void, timeoutMs = 2000): Promise<Run> {
  const srv = ExternalServer.spawn([SERVER, ...args, '/dev/fd/3'], { timeoutMs });
  let w: World | undefined;
  try {
    w = createWorld({ trace: true }, srv); // byte checks read the traced frames
    body(w);
    if (w.mnt.mounted && w.mnt.iq.connected) w.mnt.umount();
  } finally {
    if (!w) srv.kill();
  }
  const exit = await srv.close();
  const said = exit.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  return { w, exit, notes: srv.notes, said, log: w.mnt.channel.log };
}

const bytesOf = (e: TraceEntry): Uint8Array => hexToBytes(e.hex, 'trace');
const entries = (r: Run, op: string, dir: 'request' | 'reply'): TraceEntry[] => r.log.filter((e) => e.op === op && e.dir === dir);
const one = (r: Run, op: string, dir: 'request' | 'reply'): TraceEntry => {
  const es = entries(r, op, dir);
  expect(es.length).toBe(1);
  return es[0];
};
const serverSaw = (r: Run, op: string): Line[] => r.said.filter((l) => l.op === op);
const rawReads = (r: Run): Line[] => r.said.filter((l) => l.raw === 'read');
const rawWrites = (r: Run): Line[] => r.said.filter((l) => l.raw === 'write');

/** FUSE_CAP_* values from the installed libfuse header (the real thing, not ours). */
function libfuseCaps(): Record<string, number> {
  const hdr = execFileSync('pkg-config', ['--variable=includedir', 'fuse3']).toString().trim();
  const text = fs.readFileSync(path.join(hdr, 'fuse3', 'fuse_common.h'), 'utf8');
  const caps: Record<string, number> = {};
  for (const m of text.matchAll(/#define\s+FUSE_CAP_(\w+)\s+\(1 << (\d+)\)/g)) caps[m[1]] = 1 << Number(m[2]);
  return caps;
}

describe('INIT with a libfuse server that does not speak famfs', () => {
  let r: Run;
  beforeAll(async () => { r = await withServer(['--raw'], () => undefined); });

  test('request: exact record, fields as libfuse decoded them', () => {
    const req = one(r, 'INIT', 'request');
    const b = bytesOf(req);
    const inarg = decodeStruct(fuse_init_in, b, fuse_in_header.size);
    expect([b.length, req.len]).toEqual([fuse_in_header.size + fuse_init_in.size, 104]);
    expect(rawReads(r)[0]).toMatchObject({ bytes: 104, len: 104, opcode: 26 });
    const init = serverSaw(r, 'INIT')[0];
    expect(init).toMatchObject({ proto_major: inarg.major, proto_minor: inarg.minor, max_readahead: inarg.max_readahead });
    const kflags = (BigInt(inarg.flags2) << 32n) | BigInt(inarg.flags);
    const caps = libfuseCaps();
    const pairs: [keyof typeof FUSE_INIT_FLAGS, string][] = [
      ['FUSE_ASYNC_READ', 'ASYNC_READ'], ['FUSE_POSIX_LOCKS', 'POSIX_LOCKS'], ['FUSE_ATOMIC_O_TRUNC', 'ATOMIC_O_TRUNC'],
      ['FUSE_EXPORT_SUPPORT', 'EXPORT_SUPPORT'], ['FUSE_DONT_MASK', 'DONT_MASK'], ['FUSE_FLOCK_LOCKS', 'FLOCK_LOCKS'],
      ['FUSE_AUTO_INVAL_DATA', 'AUTO_INVAL_DATA'], ['FUSE_DO_READDIRPLUS', 'READDIRPLUS'], ['FUSE_ASYNC_DIO', 'ASYNC_DIO'],
      ['FUSE_PARALLEL_DIROPS', 'PARALLEL_DIROPS'],
    ];
    for (const [kernel, cap] of pairs) {
      expect([cap, (Number(init.capable) & caps[cap]) !== 0]).toEqual([cap, (kflags & FUSE_INIT_FLAGS[kernel]) !== 0n]);
    }
  });

  test('reply: 80-byte record, minor 31, fields as the server set them; no splice, max_background 0', () => {
    const rep = one(r, 'INIT', 'reply');
    const b = bytesOf(rep);
    expect([b.length, rawWrites(r)[0].bytes]).toEqual([80, 80]);
    const h = decodeStruct(fuse_out_header, b, 0);
    expect([h.len, h.error, h.unique]).toEqual([80, 0, decodeStruct(fuse_in_header, bytesOf(one(r, 'INIT', 'request')), 0).unique]);
    const o = decodeStruct(fuse_init_out, b, fuse_out_header.size);
    const init = serverSaw(r, 'INIT')[0];
    expect({ major: o.major, minor: o.minor, max_readahead: o.max_readahead, max_write: o.max_write, time_gran: o.time_gran, max_background: o.max_background, congestion_threshold: o.congestion_threshold })
      .toEqual({ major: 7, minor: 31, max_readahead: init.max_readahead, max_write: init.max_write, time_gran: init.time_gran, max_background: 0, congestion_threshold: 0 });
    const splice = (1n << 7n) | (1n << 8n) | (1n << 9n); // fuse.h FUSE_SPLICE_WRITE | FUSE_SPLICE_MOVE | FUSE_SPLICE_READ
    expect(BigInt(o.flags) & splice).toBe(0n);
    expect(o.flags2).toBe(0);
    expect(r.w.mnt.fc.minor).toBe(31);
    expect(r.w.mnt.fc.max_write).toBe(o.max_write);
  });

  test('famfs mode stays off, and the report says why', () => {
    expect(r.w.mountResult).toBe(0);
    expect(r.w.mnt.famfsMode).toBe(false);
    const rep = famfsModeReport(r.w.mnt, r.w.mountResult);
    expect(rep.famfs).toBe(false);
    expect(rep.why).toMatch(/7\.31.*FUSE_DAX_FMAP.*not claimed.*plain fuse mount/);
  });

  test('DESTROY at umount: 40-byte request, 16-byte reply; EOF then ends the server loop', () => {
    expect(one(r, 'DESTROY', 'request').len).toBe(40);
    expect(one(r, 'DESTROY', 'reply').len).toBe(16);
    expect(serverSaw(r, 'DESTROY').length).toBe(1);
    expect(r.exit.stderr).toMatch(/short read on fuse device/);
    expect(r.exit.code).toBe(1);
  });
});

describe('LOOKUP, GETATTR, OPEN, READ, WRITE, RELEASE against libfuse', () => {
  let r: Run;
  const got: Record<string, number> = {};
  const data = new Uint8Array(10000);
  beforeAll(async () => {
    r = await withServer(['--raw', '--file', 'f:10000:5', '--file', 'g:0:1'], (w) => {
      got.lookupMissing = w.mnt.open('/nope', 0);
      const fd = w.mnt.open('/f', O_RDWR);
      got.fd = fd;
      got.refresh = w.mnt.refresh('/f');
      got.read1 = w.mnt.pread(fd, data.subarray(0, 6000), 0n);
      got.read2 = w.mnt.pread(fd, data.subarray(6000), 6000n);
      got.write = w.mnt.pwrite(fd, pattern(3000, 77), 100n);
      const back = new Uint8Array(3000);
      got.readBack = w.mnt.pread(fd, back, 100n);
      got.backOk = bytesEqual(back, pattern(3000, 77)) ? 1 : 0;
      got.close = w.mnt.close(fd);
      for (const flags of [0, 1]) w.mnt.close(w.mnt.open('/g', flags));
    });
  });

  test('results as a process would see them', () => {
    expect(got).toEqual({ lookupMissing: -2, fd: 3, refresh: 0, read1: 6000, read2: 4000, write: 3000, readBack: 3000, backOk: 1, close: 0 });
    expect(bytesEqual(data, pattern(10000, 5))).toBe(true);
  });

  test('every request record is exact: its size, in_header.len and what the server read agree', () => {
    const reqs = r.log.filter((e) => e.dir === 'request');
    const all = rawReads(r);
    expect(all[all.length - 1]).toEqual({ raw: 'read', bytes: 0 }); // our close after DESTROY: EOF ends the loop
    const reads = all.slice(0, -1);
    expect(reads.length).toBe(reqs.length);
    reqs.forEach((e, i) => {
      const b = bytesOf(e);
      expect([e.op, b.length, decodeStruct(fuse_in_header, b, 0).len]).toEqual([e.op, reads[i].bytes, reads[i].len]);
    });
    const sizes = Object.fromEntries(['GETATTR', 'OPEN', 'RELEASE'].map((op) => [op, entries(r, op, 'request')[0].len]));
    expect(sizes).toEqual({ GETATTR: 40 + 16, OPEN: 40 + 8, RELEASE: 40 + 24 });
    expect(entries(r, 'LOOKUP', 'request').map((e) => e.len)).toEqual([40 + 5, 40 + 2, 40 + 2]); // "nope\0", "f\0", "g\0"
    expect(serverSaw(r, 'LOOKUP').map((l) => l.name)).toEqual(['nope', 'f', 'g']);
    expect(entries(r, 'READ', 'request').every((e) => e.len === 80)).toBe(true);
    expect(entries(r, 'WRITE', 'request')[0].len).toBe(80 + 3000);
  });

  test('every reply record is exact: size, out_header.len, what the server wrote, the unique it answers', () => {
    const reps = r.log.filter((e) => e.dir === 'reply');
    const writes = rawWrites(r);
    expect(writes.length).toBe(reps.length);
    reps.forEach((e, i) => {
      const h = decodeStruct(fuse_out_header, bytesOf(e), 0);
      expect([e.op, h.len, h.unique]).toEqual([e.op, writes[i].bytes, BigInt(writes[i].unique as number)]);
      expect(e.rejected).toBeUndefined();
    });
    expect(entries(r, 'LOOKUP', 'reply').map((e) => e.len)).toEqual([16, 16 + 128, 16 + 128]); // -ENOENT, f, g
    expect(entries(r, 'LOOKUP', 'reply')[0].error).toBe('-ENOENT');
    expect(one(r, 'GETATTR', 'reply').len).toBe(16 + 104);
    expect(entries(r, 'OPEN', 'reply').every((e) => e.len === 16 + 16)).toBe(true);
    expect(entries(r, 'RELEASE', 'reply').every((e) => e.len === 16)).toBe(true);
    expect(entries(r, 'READ', 'reply').map((e) => e.len)).toEqual([16 + 6000, 16 + 4000, 16 + 3000]);
    expect(one(r, 'WRITE', 'reply').len).toBe(16 + 8);
  });

  test('entry_out and attr_out: the kernel decodes what libfuse encoded', () => {
    const lk = serverSaw(r, 'LOOKUP').find((l) => l.name === 'f') as Line;
    const want = lk.reply as Record<string, number>;
    const e = decodeStruct(fuse_entry_out, bytesOf(entries(r, 'LOOKUP', 'reply')[1]), 16);
    expect({ nodeid: e.nodeid, generation: e.generation, entry_valid: e.entry_valid, attr_valid: e.attr_valid, ino: e.attr.ino, size: e.attr.size, blocks: e.attr.blocks, mode: e.attr.mode, nlink: e.attr.nlink, blksize: e.attr.blksize })
      .toEqual({ nodeid: BigInt(want.nodeid), generation: BigInt(want.generation), entry_valid: 1n, attr_valid: 1n, ino: BigInt(want.ino), size: BigInt(want.size), blocks: BigInt(want.blocks), mode: want.mode, nlink: want.nlink, blksize: want.blksize });
    const ga = serverSaw(r, 'GETATTR')[0];
    expect(ga).toMatchObject({ nodeid: Number(e.nodeid), with_fh: false });
    const a = decodeStruct(fuse_attr_out, bytesOf(one(r, 'GETATTR', 'reply')), 16);
    const gw = ga.reply as Record<string, number>;
    expect({ attr_valid: a.attr_valid, ino: a.attr.ino, size: a.attr.size, mode: a.attr.mode, nlink: a.attr.nlink })
      .toEqual({ attr_valid: 1n, ino: BigInt(gw.ino), size: BigInt(gw.size), mode: gw.mode, nlink: gw.nlink });
  });

  test('open flags reach the server as sent; fh and FOPEN_DIRECT_IO come back', () => {
    expect(serverSaw(r, 'OPEN').map((l) => l.flags)).toEqual([O_RDWR, 0, 1]);
    const opens = entries(r, 'OPEN', 'reply').map((e) => decodeStruct(fuse_open_out, bytesOf(e), 16));
    const fhs = serverSaw(r, 'OPEN').map((l) => BigInt((l.reply as Record<string, number>).fh));
    expect(opens.map((o) => o.fh)).toEqual(fhs);
    expect(opens.every((o) => o.open_flags === FOPEN_DIRECT_IO)).toBe(true);
  });

  test('READ/WRITE: offsets, sizes, fh and flags as libfuse decoded them', () => {
    const fh = Number(decodeStruct(fuse_open_out, bytesOf(entries(r, 'OPEN', 'reply')[0]), 16).fh);
    expect(serverSaw(r, 'READ').map((l) => [l.offset, l.size, l.fh, l.flags])).toEqual([[0, 6000, fh, O_RDWR], [6000, 4000, fh, O_RDWR], [100, 3000, fh, O_RDWR]]);
    expect(serverSaw(r, 'WRITE').map((l) => [l.offset, l.size, l.fh, l.flags])).toEqual([[100, 3000, fh, O_RDWR]]);
  });

  test('release: fh of its open and the open flags, no flush, no lock owner', () => {
    const rel = entries(r, 'RELEASE', 'request').map((e) => decodeStruct(fuse_release_in, bytesOf(e), 40));
    const saw = serverSaw(r, 'RELEASE');
    expect(saw.map((l) => [BigInt(l.fh as number), l.flags, l.flush, l.lock_owner])).toEqual(rel.map((x) => [x.fh, x.flags, 0, 0]));
    expect(saw.map((l) => l.flags)).toEqual([O_RDWR, 0, 1]);
  });
});

describe('a libfuse server that claims FUSE_DAX_FMAP but has no GET_FMAP handler', () => {
  let r: Run;
  let openRc = 0;
  beforeAll(async () => {
    r = await withServer(['--claim-dax-fmap', '--file', 'f:4096:1'], (w) => { openRc = w.mnt.open('/f', 0); });
  });

  test('famfs mode is on (the reply has FUSE_INIT_EXT and flags2 bit 11)', () => {
    expect(r.w.mnt.famfsMode).toBe(true);
    expect(famfsModeReport(r.w.mnt, 0).why).toMatch(/claimed and offered/);
  });

  test('GET_FMAP gets -ENOSYS from libfuse, the open fails with it, RELEASE follows with the open fh', () => {
    expect(openRc).toBe(-38);
    const order = r.log.filter((e) => e.op !== 'INIT' && e.op !== 'DESTROY').map((e) => `${e.dir === 'request' ? '->' : '<-'}${e.op}${e.error ? ' ' + e.error : ''}`);
    expect(order).toEqual(['->LOOKUP', '<-LOOKUP', '->OPEN', '<-OPEN', '->GET_FMAP', '<-GET_FMAP -ENOSYS', '->RELEASE', '<-RELEASE']);
    const gf = one(r, 'GET_FMAP', 'request');
    expect(gf.len).toBe(40); // no in args
    expect(rawReads(r).find((l) => l.opcode === 54)).toMatchObject({ bytes: 40, len: 40 });
    expect(one(r, 'GET_FMAP', 'reply').len).toBe(16);
    expect(rawWrites(r).find((l) => l.error === -38)).toMatchObject({ bytes: 16 });
    const fh = decodeStruct(fuse_open_out, bytesOf(one(r, 'OPEN', 'reply')), 16).fh;
    expect(decodeStruct(fuse_release_in, bytesOf(one(r, 'RELEASE', 'request')), 40).fh).toBe(fh);
    expect(r.w.mnt.iq.connected).toBe(true); // -ENOSYS is an answer, not a broken connection
  });
});

describe('a server that fails', () => {
  test('death mid-request: the kernel sees the fd close, the call gets -ENOTCONN, later calls too', async () => {
    const got: number[] = [];
    const r = await withServer(['--file', 'f:10:1', '--die-on', 'OPEN'], (w) => {
      got.push(w.mnt.open('/f', 0), w.mnt.open('/f', 0), w.mnt.refresh('/f'));
    }, 10000);
    expect(got).toEqual([-107, -107, -107]);
    expect(r.notes.join('\n')).toMatch(/closed the fuse device with OPEN unique \d+ in flight/);
    expect(r.exit.code).toBe(3);
    expect(r.notes.join('\n')).not.toMatch(/no reply to/); // EOF ended it, not the reply timeout
    expect(entries(r, 'OPEN', 'reply').length).toBe(0);
  });

  test('a server that never replies: bounded wait, then the connection aborts (-ENOTCONN)', async () => {
    let rc = 0;
    const r = await withServer(['--file', 'f:10:1', '--hang-on', 'GETATTR'], (w) => { rc = w.mnt.refresh('/f'); }, 300);
    expect(rc).toBe(-107);
    expect(r.notes.join('\n')).toMatch(/no reply to GETATTR unique \d+ within 300 ms/);
    expect(r.w.mnt.iq.connected).toBe(false);
    expect(r.exit.signal).toBe('SIGKILL'); // close() ended it after its grace period
  });

  test('kill_server step against a process: SIGKILL, then everything is -ENOTCONN', () => {
    const srv = ExternalServer.spawn([SERVER, '--file', 'f:10:1', '/dev/fd/3']);
    const sc: Scenario = { world: {}, steps: [{ op: 'kill_server' }, { op: 'open', path: 'f', expect: 'ENOTCONN' }] };
    const rep = runScenario(sc, undefined, { peer: srv });
    expect(rep.pass).toBe(true);
    return srv.close().then((exit) => expect(exit.signal).toBe('SIGKILL'));
  });

  test('model-only steps are refused against a process', async () => {
    const srv = ExternalServer.spawn([SERVER, '/dev/fd/3']);
    expect(() => runScenario({ world: {}, steps: [{ op: 'set_size', path: 'f', size: 1 }] }, undefined, { peer: srv })).toThrow(ScenarioError);
    srv.kill();
    await srv.close();
  });

  test('bad commands are errors before anything runs', () => {
    expect(() => ExternalServer.spawn(['/nonexistent/server', '/dev/fd/3'])).toThrow(/cannot start server/);
    expect(() => ExternalServer.spawn([SERVER, '/mnt/x'])).toThrow(ExternalServerError);
    expect(() => ExternalServer.spawn('')).toThrow(/empty/);
    expect(() => ExternalServer.spawn(`${SERVER} '/dev/fd/3`)).toThrow(/unbalanced/);
  });
});

describe('CLI sim run --server-cmd', () => {
  const cli = path.join(ROOT, 'bin/famfs-harness');
  const scenario = path.join(ROOT, 'tests/libfuse/scenarios/plain_or_famfs.json');

  test('the shared scenario passes against libfuse (plain mount) with both directions traced', () => {
    const p = spawnSync(cli, ['sim', 'run', scenario, '--trace', '--server-cmd', `${SERVER} --file f:10000:5 /dev/fd/3`], { encoding: 'utf8', timeout: 60000 });
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/famfs mode: off: .*7\.31/);
    expect(p.stdout).toMatch(/-> READ/);
    expect(p.stdout).toMatch(/<- READ/);
    expect(p.stdout).toMatch(/mmap +-EOPNOTSUPP \(plain fuse mount\)/);
    expect(p.stdout).toMatch(/scenario passed/);
  });

  test('image cat --server-cmd reads through the server process (here a plain mount: READ upcalls)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libfuse-cat-'));
    try {
      const img = path.join(dir, 'img.bin');
      const out = path.join(dir, 'out');
      expect(spawnSync(cli, ['image', 'mkfs', img, '--size', '64M', '--small'], { encoding: 'utf8' }).status).toBe(0);
      const p = spawnSync(cli, ['image', 'cat', img, '/f', '-o', out, '--server-cmd', `${SERVER} --file f:5000:3 /dev/fd/3`], { encoding: 'utf8', timeout: 60000 });
      expect([p.status, p.stderr]).toEqual([0, '']);
      expect(bytesEqual(new Uint8Array(fs.readFileSync(out)), pattern(5000, 3))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown program is one line on stderr and exit 2', () => {
    const p = spawnSync(cli, ['sim', 'run', scenario, '--server-cmd', '/nonexistent/x /dev/fd/3'], { encoding: 'utf8', timeout: 60000 });
    expect(p.status).toBe(2);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
  });
});
