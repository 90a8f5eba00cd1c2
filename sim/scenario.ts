// Scripted scenarios: a world (devices, server files, faults) and a list of
// steps (mount-time results, open, read, write, mmap, fault, injections). Each
// step can carry an expectation; the runner reports every step's result.
import { createWorld, World, WorldSpec } from './world';
import { slab } from '../kernel/lib/slab';
import { arch } from '../kernel/lib/params';
import { errnoName } from '../kernel/lib/errno';
import { parseU64 } from '../uapi/fmap_codec';
import { famfs_fuse_iomap_begin } from '../kernel/famfs';
import { iomap_zero, IOMAP_DAX } from '../kernel/lib/iomap';
import { guard, takeOops } from './vfs';
import type { ServerFault } from './server';
import type { FusePeer } from './peer';
import { famfsModeReport, FamfsModeReport } from './peer_init';

export type StepResult = Record<string, string | number | boolean | null>;

export interface Step {
  op: string;
  expect?: unknown;
  /** the step needs famfs mode: on a plain fuse mount it is expected to fail (any errno) */
  famfs_only?: boolean;
  /** the expectation on a plain fuse mount (a server that does not speak famfs), instead of `expect` */
  expect_plain?: unknown;
  [k: string]: unknown;
}

export interface Scenario {
  id?: string;
  world: WorldSpec;
  steps: Step[];
  /** requests the server must have seen, by op name, at the end */
  expect_requests?: Record<string, number>;
}

export interface StepReport {
  index: number;
  op: string;
  result: StepResult;
  expect?: unknown;
  pass: boolean;
  why?: string;
  /** judged as a plain-mount step (famfs_only / expect_plain) */
  plain?: boolean;
}

export interface ScenarioReport {
  pass: boolean;
  mount: StepResult;
  famfs: FamfsModeReport;
  steps: StepReport[];
  requests: Record<string, number>;
  requestsPass: boolean;
  why?: string;
  world: World;
}

export class ScenarioError extends Error {}

function errResult(rc: number): StepResult {
  return { errno: errnoName(rc), code: rc };
}

/** A result from a return code: >= 0 under `key`, < 0 as errno. */
function rcResult(rc: number, key: string): StepResult {
  return rc < 0 ? errResult(rc) : { [key]: rc };
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new ScenarioError(`${what} is required`);
  return v;
}

export function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = (seed >>> 0) || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const u64s = (v: bigint): string => v.toString();

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class Runner {
  private fds = new Map<string, number>();
  private maps = new Map<string, number>();
  constructor(private readonly w: World) {}

  private fd(s: Step): number {
    const name = String(need(s.fd, `${s.op}: fd`));
    const fd = this.fds.get(name);
    if (fd === undefined) throw new ScenarioError(`${s.op}: no open file named '${name}'`);
    return fd;
  }

  private map(s: Step): number {
    const name = String(need(s.map, `${s.op}: map`));
    const m = this.maps.get(name);
    if (m === undefined) throw new ScenarioError(`${s.op}: no mapping named '${name}'`);
    return m;
  }

  run(s: Step): StepResult {
    const mnt = this.w.mnt;
    const num = (k: string, dflt?: unknown) => parseU64(s[k] ?? need(dflt, `${s.op}: ${k}`), `${s.op}.${k}`);
    switch (s.op) {
      case 'open': {
        const flags = s.flags === undefined ? 2 : Number(s.flags);
        const fd = mnt.open(String(need(s.path, 'open: path')), flags);
        if (fd >= 0) this.fds.set(String(s.as ?? s.path), fd);
        return fd < 0 ? errResult(fd) : { fd };
      }
      case 'close': return rcResult(mnt.close(this.fd(s)), 'ret');
      case 'read': {
        const buf = new Uint8Array(Number(num('len')));
        const n = mnt.pread(this.fd(s), buf, num('pos', 0));
        if (n < 0) return errResult(n);
        const r: StepResult = { bytes: n };
        if (s.verify_seed !== undefined) {
          const want = pattern(Number(num('len')), Number(s.verify_seed)).subarray(0, n);
          r.data_ok = bytesEqual(want, buf.subarray(0, n));
        }
        return r;
      }
      case 'write': {
        const len = Number(num('len'));
        const data = pattern(len, Number(s.seed ?? 1));
        return rcResult(mnt.pwrite(this.fd(s), data, num('pos', 0)), 'bytes');
      }
      case 'splice': return rcResult(mnt.splice(this.fd(s)), 'ret');
      case 'stat': {
        const st = mnt.stat(this.fd(s));
        return typeof st === 'number' ? errResult(st) : { size: u64s(st.size), dax: st.dax, famfs: st.famfs };
      }
      case 'mmap': {
        const id = mnt.mmap(this.fd(s), num('offset', 0), num('length'), s.shared !== false);
        if (id >= 0) this.maps.set(String(s.as ?? 'm'), id);
        return rcResult(id, 'map');
      }
      case 'fault': {
        const r = mnt.fault(this.map(s), num('offset', 0), !!s.write, s.order === undefined ? undefined : Number(s.order));
        return r.ok ? { vm_fault: r.vm_fault, addr: u64s(r.addr), len: u64s(r.len), order: r.order } : { vm_fault: r.vm_fault, signal: r.signal, code: r.code };
      }
      case 'load':
      case 'store': {
        const len = Number(num('len', arch.PAGE_SIZE));
        const buf = s.op === 'store' ? pattern(len, Number(s.seed ?? 1)) : new Uint8Array(len);
        const r = mnt.access(this.map(s), num('offset', 0), buf, s.op === 'store');
        if (!r.ok) return { signal: r.signal, code: r.code, vm_fault: r.vm_fault, at: u64s(r.at) };
        const out: StepResult = { ok: true, faults: r.faults };
        if (s.verify_seed !== undefined) out.data_ok = bytesEqual(pattern(len, Number(s.verify_seed)), buf);
        return out;
      }
      case 'munmap': return rcResult(mnt.munmap(this.map(s)), 'ret');
      case 'resolve': return this.resolve(s, num);
      case 'refresh': return rcResult(mnt.refresh(String(need(s.path, 'refresh: path'))), 'ret');
      case 'set_size': this.modelOnly(s); this.w.server.setReportedSize(String(need(s.path, 'set_size: path')), num('size')); return { ret: 0 };
      case 'memory_failure': return rcResult(this.w.machine.memoryFailure(String(need(s.device, 'memory_failure: device')), num('offset', 0), num('len', arch.PAGE_SIZE)), 'ret');
      case 'unbind': this.w.machine.unbind(String(need(s.device, 'unbind: device'))); return { ret: 0 };
      case 'fail_alloc': slab.inject({ nth: s.nth === undefined ? undefined : Number(s.nth), site: s.site as string | undefined, times: s.times === undefined ? undefined : Number(s.times) }); return { ret: 0 };
      case 'clear_fail_alloc': slab.inject(null); return { ret: 0 };
      case 'server_fault': this.modelOnly(s); this.w.server.addFault(need(s.fault, 'server_fault: fault') as ServerFault); return { ret: 0 };
      case 'kill_server': this.w.peer.kill?.(); this.w.mnt.channel.killServer(); return { ret: 0 };
      case 'umount': return rcResult(mnt.umount(), 'ret');
      case 'leaks': return { live: slab.liveCount() };
      case 'requests': return { count: this.w.mnt.channel.count(s.name as string | undefined) };
      default: throw new ScenarioError(`unknown step op '${s.op}'`);
    }
  }

  private modelOnly(s: Step): void {
    if (this.w.peer.external) throw new ScenarioError(`${s.op}: scripts the in-process server model; an external server cannot be scripted`);
  }

  /** famfs_fuse_iomap_begin on the inode behind `path`, as dax would call it. */
  private resolve(s: Step, num: (k: string, d?: unknown) => bigint): StepResult {
    const ino = this.w.mnt.lookup(String(need(s.path, 'resolve: path')));
    if (typeof ino === 'number') return errResult(ino);
    if (!ino.fi.famfs_meta) return { errno: 'ENODATA', code: -61, note: 'no famfs meta on this inode (never opened?)' };
    const map = iomap_zero();
    const rc = guard(() => famfs_fuse_iomap_begin(ino, num('offset', 0), num('length', arch.PAGE_SIZE), IOMAP_DAX, map, null), () => -1);
    const oops = takeOops();
    if (oops) return { oops: oops.kind, detail: oops.message };
    const r: StepResult = rc < 0 ? errResult(rc) : { addr: u64s(map.addr), length: u64s(map.length), offset: u64s(map.offset) };
    r.file_error = ino.fi.famfs_meta.error;
    if (rc >= 0 && map.dax_dev) r.device = map.dax_dev.name;
    return r;
  }
}

/** Does `actual` satisfy `expected`? Errno names, numbers and u64 strings compare by value. */
export function matches(expected: unknown, actual: StepResult): { ok: boolean; why?: string } {
  if (typeof expected === 'string' && /^-?E[A-Z0-9]+$/.test(expected)) {
    return actual.errno === expected.replace(/^-/, '') ? { ok: true } : { ok: false, why: `expected -${expected.replace(/^-/, '')}, got ${describe(actual)}` };
  }
  if (typeof expected === 'number') {
    const v = Object.values(actual).find((x) => typeof x === 'number');
    return actual.errno === undefined && v === expected ? { ok: true } : { ok: false, why: `expected ${expected}, got ${describe(actual)}` };
  }
  if (typeof expected !== 'object' || expected === null) return { ok: false, why: `bad expectation ${JSON.stringify(expected)}` };
  for (const [k, want] of Object.entries(expected as Record<string, unknown>)) {
    const got = actual[k];
    if (!sameValue(want, got)) return { ok: false, why: `${k}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got ?? null)} (${describe(actual)})` };
  }
  return { ok: true };
}

function sameValue(want: unknown, got: unknown): boolean {
  if (want === got) return true;
  const isNum = (x: unknown) => (typeof x === 'number' && Number.isInteger(x)) || (typeof x === 'string' && /^(0x[0-9a-f_]+|\d+)$/i.test(x));
  if (isNum(want) && isNum(got)) return parseU64(want as string, 'expect') === parseU64(got as string, 'actual');
  if (typeof want === 'string' && typeof got === 'string') return want.replace(/^-/, '') === got.replace(/^-/, '');
  return false;
}

export function describe(r: StepResult): string {
  if (r.errno) return `-${r.errno}`;
  if (r.oops) return `oops ${r.oops}`;
  return JSON.stringify(r);
}

/** How a step is judged: by `expect`, or on a plain fuse mount by expect_plain / famfs_only. */
function judge(s: Step, result: StepResult, famfs: boolean): { ok: boolean; why?: string; plain?: boolean } {
  if (!famfs && s.expect_plain !== undefined) return { ...matches(s.expect_plain, result), plain: true };
  if (!famfs && s.famfs_only) {
    return result.errno !== undefined ? { ok: true, plain: true } : { ok: false, why: `expected to fail without famfs mode, got ${describe(result)}`, plain: true };
  }
  return s.expect === undefined ? { ok: true } : matches(s.expect, result);
}

export interface RunOptions {
  /** who answers the kernel instead of the in-process model (e.g. an ExternalServer) */
  peer?: FusePeer;
}

type Shape = 'object' | 'list' | 'string' | 'number' | 'boolean' | 'size';

function shapeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Check one field's shape; the message names the field the way the JSON spells it. */
function want(v: unknown, shape: Shape, field: string, optional = true): void {
  if (v === undefined && optional) return;
  const ok = shape === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v)
    : shape === 'list' ? Array.isArray(v)
      : shape === 'size' ? typeof v === 'string' || typeof v === 'number'
        : typeof v === shape;
  if (!ok) throw new ScenarioError(`${field}: must be ${shape === 'object' ? 'an object' : shape === 'list' ? 'a list' : shape === 'size' ? 'a number or a string' : `a ${shape}`}, got ${v === undefined ? 'nothing' : shapeOf(v)}`);
}

function wantList(v: unknown, field: string, each: (x: Record<string, unknown>, where: string) => void): void {
  want(v, 'list', field);
  (v as unknown[] | undefined)?.forEach((x, i) => { want(x, 'object', `${field}[${i}]`, false); each(x as Record<string, unknown>, `${field}[${i}]`); });
}

/** The shape of a scenario (values are checked where they are used); throws ScenarioError naming the field. */
export function validateScenario(sc: unknown): asserts sc is Scenario {
  want(sc, 'object', 'scenario', false);
  const o = sc as Record<string, unknown>;
  want(o.world, 'object', 'world', false);
  want(o.steps, 'list', 'steps', false);
  const w = o.world as Record<string, unknown>;
  wantList(w.devices, 'world.devices', (d, at) => { want(d.name, 'string', `${at}.name`, false); want(d.size, 'size', `${at}.size`); want(d.nodev, 'boolean', `${at}.nodev`); });
  want(w.daxdevs, 'list', 'world.daxdevs');
  (w.daxdevs as unknown[] | undefined)?.forEach((x, i) => want(x, 'string', `world.daxdevs[${i}]`, false));
  wantList(w.files, 'world.files', (f, at) => {
    want(f.path, 'string', `${at}.path`, false); want(f.kind, 'string', `${at}.kind`); want(f.mode, 'number', `${at}.mode`);
    want(f.size, 'size', `${at}.size`); want(f.fmap, 'object', `${at}.fmap`); want(f.fmap_hex, 'string', `${at}.fmap_hex`);
  });
  wantList(w.faults, 'world.faults', (f, at) => { want(f.op, 'string', `${at}.op`, false); want(f.action, 'string', `${at}.action`, false); });
  wantList(w.nodes, 'world.nodes', (n, at) => { want(n.name, 'string', `${at}.name`, false); want(n.kind, 'string', `${at}.kind`, false); });
  want(w.init, 'object', 'world.init');
  want(w.mount, 'object', 'world.mount');
  wantList(o.steps, 'steps', (s, at) => want(s.op, 'string', `${at}.op`, false));
  want(o.expect_requests, 'object', 'expect_requests');
  for (const [op, n] of Object.entries((o.expect_requests as Record<string, unknown>) ?? {})) want(n, 'number', `expect_requests.${op}`, false);
}

/** Run a scenario; structural problems (bad shape, unknown op, bad names) throw ScenarioError. */
export function runScenario(sc: Scenario, onStep?: (r: StepReport) => void, opts: RunOptions = {}): ScenarioReport {
  validateScenario(sc);
  const w = createWorld(sc.world, opts.peer);
  const mount: StepResult = w.mountResult < 0 ? errResult(w.mountResult) : { ret: 0, famfs: w.mnt.famfsMode };
  const famfs = famfsModeReport(w.mnt, w.mountResult);
  const runner = new Runner(w);
  const steps: StepReport[] = [];
  sc.steps.forEach((s, index) => {
    const result = s.op === 'mount' ? mount : runner.run(s);
    const m = judge(s, result, w.mnt.famfsMode);
    const rep: StepReport = { index, op: s.op, result, expect: s.expect, pass: m.ok, why: m.why, plain: m.plain };
    steps.push(rep);
    onStep?.(rep);
  });
  const requests = w.mnt.channel.requestCounts();
  let requestsPass = true;
  let why: string | undefined;
  for (const [op, n] of Object.entries(sc.expect_requests ?? {})) {
    if ((requests[op] ?? 0) !== n) { requestsPass = false; why = `requests ${op}: expected ${n}, got ${requests[op] ?? 0}`; }
  }
  const failed = steps.find((s) => !s.pass);
  return { pass: !failed && requestsPass, mount, famfs, steps, requests, requestsPass, why: failed ? `step ${failed.index} (${failed.op}): ${failed.why}` : why, world: w };
}
