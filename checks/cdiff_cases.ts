// cdiff, TS side: turn one vector into (a) the port's observable result, as a
// flat projection, and (b) the case record the C driver runs. Both come from
// one run of the port's world: the GET_FMAP / GET_DAXDEV reply frames the
// port's server wrote become the C side's scripted server, and the machine's
// namespace becomes the C side's kern_path/dax device list.
import { decodeStruct } from '../uapi/layout';
import { cstring } from '../uapi/layout';
import { encodeFmap, FmapSpec, hexToBytes } from '../uapi/fmap_codec';
import { fuse_daxdev_out, fuse_entry_out, fuse_opcode, fuse_out_header } from '../uapi/fuse';
import { famfs_fuse_meta_alloc, __famfs_meta_free, meta_slot } from '../kernel/famfs';
import type { famfs_file_meta } from '../kernel/famfs_kfmap';
import { S_DAX, type inode } from '../kernel/fuse_i';
import { IOMAP_DAX } from '../kernel/lib/iomap';
import { slab } from '../kernel/lib/slab';
import { arch } from '../kernel/lib/params';
import { errnoName } from '../kernel/lib/errno';
import { KernelOops } from '../kernel/lib/oops';
import { runScenario, Scenario, StepResult } from '../sim/scenario';
import type { TraceEntry } from '../sim/trace';
import type { World } from '../sim/world';
import { openScenario, resolveScenario, Vector } from './vectors';

/** What one side observed, flattened: key -> value (compared key by key). */
export type Projection = Record<string, string | number | boolean | null>;

export type CaseMode = 'parse' | 'open';

export interface CasePlan {
  mode: CaseMode;
  /** the port's result, projected */
  ts: Projection;
  /** driver input lines (without the C/E framing) */
  lines: string[];
  page: bigint;
  pmd: bigint;
  failNth: number;
  /** the port's allocation count in this case (drives the --fail-nth all sweep) */
  allocs: number;
}

export class CannotRun extends Error {}

const hex = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '-');

/** The C functions a vector needs the revision to define. */
export function neededFunctions(v: Vector): string[] {
  const i = v.input;
  if (i.scenario !== undefined) return [];
  if (i.offset !== undefined) return ['fuse_get_fmap', 'famfs_fuse_iomap_begin'];
  if (i.open !== undefined) return ['fuse_get_fmap'];
  return ['famfs_fuse_meta_alloc'];
}

/** Why the C side cannot run this vector at all (whatever the revision), or null. */
export function outOfScope(v: Vector): string | null {
  const i = v.input;
  if (i.scenario !== undefined) return 'scenario vectors drive read/write/fault/umount paths that cdiff does not shim (the port runs them in conformance)';
  if (i.before !== undefined) return 'steps before the resolve are not shimmed';
  const fa = i.fail_alloc as { site?: string; times?: number } | undefined;
  if (fa && (fa.site !== undefined || fa.times !== undefined)) return 'fail_alloc by call site is a port-only tag; the C side injects by count (--fail-nth)';
  return null;
}

export function metaProjection(m: famfs_file_meta | null, p: Projection): void {
  if (!m) {
    p.meta = null;
    return;
  }
  p.file_size = m.file_size.toString();
  p.file_type = m.file_type;
  p.extent_type = m.fm_extent_type;
  p.dev_bitmap = '0x' + m.dev_bitmap.toString(16);
  if (m.fm_extent_type === 0) p.nextents = m.fm_nextents;
  else if (m.fm_extent_type === 1) p.niext = m.fm_niext;
}

const outcome = (rc: number): string => (rc < 0 ? errnoName(rc) : 'ok');

/** Parse mode, the port: famfs_fuse_meta_alloc in a zeroed buffer, then free. */
function parsePlan(v: Vector, payload: Uint8Array, failNth: number): CasePlan {
  const buf = new Uint8Array(Math.max(payload.length, Number(arch.PAGE_SIZE)));
  buf.set(payload);
  slab.reset();
  if (failNth) slab.inject({ nth: failNth });
  const slot: meta_slot = { value: null };
  const p: Projection = {};
  try {
    p.result = outcome(famfs_fuse_meta_alloc(buf, payload.length, slot));
  } catch (e) {
    if (!(e instanceof KernelOops)) throw e;
    p.result = `oops:${e.kind}`;
  }
  slab.inject(null);
  metaProjection(slot.value, p);
  const allocs = slab.allocs;
  __famfs_meta_free(slot.value);
  p.live_after_free = slab.liveCount();
  return { mode: 'parse', ts: p, lines: [`F ${hex(payload)}`], page: arch.PAGE_SIZE, pmd: arch.PMD_SIZE, failNth, allocs };
}

interface Exchange { op: string; nodeid: string; frame: string | null }

/** GET_FMAP / GET_DAXDEV requests of the log, each with the reply frame the kernel accepted (null: none). */
function famfsExchanges(log: TraceEntry[]): Exchange[] {
  const out: Exchange[] = [];
  for (let i = 0; i < log.length; i++) {
    const e = log[i];
    if (e.dir !== 'request' || (e.op !== 'GET_FMAP' && e.op !== 'GET_DAXDEV')) continue;
    const r = log.slice(i + 1).find((x) => x.dir === 'reply' && x.unique === e.unique);
    // a frame the kernel refused still reaches fuse_dev_write (the C shim refuses it the same way);
    // a reply whose unique matches no request never completes this request
    out.push({ op: e.op, nodeid: e.nodeid ?? '0', frame: r ? r.hex : null });
  }
  return out;
}

/** The inode LOOKUP gave for /f: its nodeid and size. */
function lookedUp(log: TraceEntry[]): { nodeid: bigint; size: bigint } | null {
  const req = log.find((e) => e.dir === 'request' && e.op === 'LOOKUP');
  const rep = req && log.find((e) => e.dir === 'reply' && e.unique === req.unique);
  if (!rep || rep.error) return null;
  const body = Buffer.from(rep.hex, 'hex').subarray(fuse_out_header.size);
  if (body.length < fuse_entry_out.size) return null;
  const o = decodeStruct(fuse_entry_out, new Uint8Array(body), 0);
  return { nodeid: o.nodeid, size: BigInt((o.attr as { size: bigint }).size) };
}

/** Every name the C side's kern_path may be asked for, resolved as the port's machine resolves it. */
function namespaceLines(w: World, spec: Scenario['world'], ex: Exchange[]): string[] {
  const names = new Set<string>([...(spec.devices ?? []).map((d) => d.name), ...(spec.nodes ?? []).map((n) => n.name)]);
  for (const e of ex) {
    if (e.op !== 'GET_DAXDEV' || !e.frame) continue;
    const body = Buffer.from(e.frame, 'hex').subarray(fuse_out_header.size);
    if (body.length >= fuse_daxdev_out.size) names.add(cstring(decodeStruct(fuse_daxdev_out, new Uint8Array(body), 0).name));
  }
  return [...names].map((name) => {
    const r = w.machine.kern_path(name);
    const nameHex = hex(new TextEncoder().encode(name));
    if (r.err || !r.path) return `N ${nameHex} ${r.err || -2} 0 0 0 0 0`;
    const dev = w.machine.dax.byDevno(r.path.i_rdev);
    const isDax = !!dev && dev.alive && (r.path.i_mode & 0o170000) === 0o020000;
    const busy = !!dev && dev.holder_data !== null && dev.holder_data !== w.mnt.fc;
    return `N ${nameHex} 0 ${r.path.i_mode.toString(8)} ${r.path.i_rdev} ${r.path.mnt_nodev ? 1 : 0} ${isDax ? 1 : 0} ${busy ? 1 : 0}`;
  });
}

function devlistProjection(w: World): string | null {
  const dl = w.mnt.fc.dax_devlist;
  if (!dl || !dl.devlist) return null;
  const slots: string[] = [];
  dl.devlist.forEach((d, i) => {
    if (!d.valid && !d.name && !d.devp) return;
    slots.push(`${i}:valid=${+d.valid},error=${+d.error},dax_err=${+d.dax_err},name=${d.name?.s ?? 'NULL'},dax=${d.devp?.name ?? 'NULL'}`);
  });
  return slots.join(' ');
}

function requestsProjection(ex: Exchange[]): string {
  return ex.map((e) => `${e.op}:${e.nodeid}`).join(',');
}

/** Open (and resolve) mode, the port: open /f through the channel, optionally resolve, then umount. */
function openPlan(v: Vector, failNth: number): CasePlan {
  const base = v.input.offset !== undefined ? resolveScenario(v.input) : openScenario(v.input);
  const resolveStep = v.input.offset !== undefined ? base.steps[base.steps.length - 1] : null;
  const steps: Scenario['steps'] = [...(failNth ? [{ op: 'fail_alloc', nth: failNth }] : []), base.steps[0], ...(resolveStep ? [resolveStep] : [])];
  slab.reset();
  const rep = runScenario({ world: { ...base.world, trace: true }, steps }); // the C side replays the traced replies
  const famfsCalls = slab.callCount(); // fuse_get_fmap allocates first: no call, no famfs.c
  slab.inject(null);
  const w = rep.world;
  if (!w.mnt.famfsMode) throw new CannotRun('not a famfs mount (INIT did not negotiate FUSE_DAX_FMAP): the open never reaches famfs.c');
  const log = w.mnt.channel.log;
  const ex = famfsExchanges(log);
  if (!ex.some((e) => e.op === 'GET_FMAP') && !famfsCalls) throw new CannotRun('the open failed before fuse_get_fmap: nothing of famfs.c ran');
  const ino = lookedUp(log);
  if (!ino) throw new CannotRun('no LOOKUP reply for /f');
  const openRes = rep.steps[failNth ? 1 : 0].result;
  const p: Projection = { open: openRes.errno ? String(openRes.errno) : openRes.oops ? `oops:${openRes.oops}` : 'ok', requests: requestsProjection(ex) };
  const f = w.mnt.lookup('/f');
  const node = typeof f === 'number' ? null : (f as inode);
  if (node) {
    p.i_size = node.i_size.toString();
    p.dax = (node.i_flags & S_DAX) !== 0;
    metaProjection(node.fi.famfs_meta, p);
  }
  p.devlist = devlistProjection(w);
  const lines = [`I ${ino.size} ${ino.nodeid}`, ...namespaceLines(w, base.world, ex)];
  for (const e of ex) lines.push(`R ${e.op === 'GET_FMAP' ? fuse_opcode.FUSE_GET_FMAP : fuse_opcode.FUSE_GET_DAXDEV} ${e.nodeid} ${e.frame ?? '-'}`);
  if (resolveStep) {
    const r: StepResult = rep.steps[rep.steps.length - 1].result;
    Object.assign(p, resolveProjection(r));
    lines.push(`Q ${BigInt(String(resolveStep.offset))} ${BigInt(String(resolveStep.length))} ${IOMAP_DAX}`);
  }
  const allocs = slab.allocs;
  w.mnt.umount();
  p.live_after_teardown = slab.liveCount();
  return { mode: 'open', ts: p, lines, page: arch.PAGE_SIZE, pmd: arch.PMD_SIZE, failNth, allocs };
}

export function resolveProjection(r: StepResult): Projection {
  if (r.oops) return { resolve: `oops:${r.oops}` };
  if (r.note) return { resolve: 'not run (no famfs meta)' };
  const p: Projection = { resolve: r.errno ? String(r.errno) : 'ok', file_error: r.file_error ?? null };
  if (!r.errno) Object.assign(p, { addr: r.addr, offset: r.offset, length: r.length, device: r.device ?? null });
  return p;
}

/** Plan one vector (the port runs here); throws CannotRun when the C side has nothing to compare. */
export function planCase(v: Vector, failNth: number): CasePlan {
  const i = v.input;
  if (i.offset !== undefined || i.open !== undefined) return openPlan(v, failNth);
  const payload = i.hex !== undefined ? hexToBytes(String(i.hex)) : encodeFmap(i.fmap as FmapSpec);
  const fa = i.fail_alloc as { nth?: number } | undefined;
  return parsePlan(v, payload, failNth || (fa?.nth ?? 0));
}
