// cdiff: every vector three ways — the spec's expectation, the TS port and the
// revision's real C (built by cdiff_build.ts, fed by cdiff_cases.ts). A case
// passes when all three agree; a known flaw stays XFAIL when port and C agree
// on it; sanitizer findings in the C are listed beside the results.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { arch, setArch } from '../kernel/lib/params';
import { errnoName } from '../kernel/lib/errno';
import { dmesg_take } from '../kernel/lib/printk';
import { buildDriver, Built, CSources } from './cdiff_build';
import { CannotRun, CasePlan, neededFunctions, outOfScope, planCase, Projection } from './cdiff_cases';
import { selectVectors } from './select';
import { runVector, Status, Vector, VectorResult } from './vectors';

export interface CdiffInput { vector: Vector; file: string }

export interface CdiffOptions {
  sources: CSources;
  /** how the user named the sources, for reproducer commands */
  sourceArgs: string;
  cases: CdiffInput[];
  /** fail the Nth allocation of every case, or sweep every allocation site */
  failNth?: number | 'all';
  keepBuild?: string;
}

export interface CdiffReport {
  results: VectorResult[];
  build: Built;
  /** vectors both sides ran, and how many of those agreed */
  ran: number;
  agreed: number;
  /** sanitizer findings in the C, deduplicated */
  findings: string[];
  /** each case where port and C differ, both projections */
  disagreements: Disagreement[];
  seconds: number;
}

export interface Disagreement { id: string; file: string; keys: string[]; ts: Projection; c: Projection }

/** What judging collects beside the rows. */
interface Collected { findings: Set<string>; disagreements: Disagreement[] }

interface CRecord { i: number; exit: number; signal: number; stages: Record<string, unknown>[]; stderr: string }

const SIGNAL_OOPS: Record<number, string> = { 8: 'divide_error', 11: 'null_deref', 6: 'bug', 14: 'hang', 7: 'bus_error' };

/** The C side's result, in the same projection as the port's. */
export function projectC(plan: CasePlan, rec: CRecord): Projection {
  const p: Projection = {};
  const stage = (name: string) => rec.stages.find((s) => s.stage === name) as Record<string, unknown> | undefined;
  const oopsStage = stage('oops');
  const crash = oopsStage ? `oops:${oopsStage.oops}` : rec.signal ? `oops:${SIGNAL_OOPS[rec.signal] ?? `signal ${rec.signal}`}` : null;
  const rcOf = (rc: unknown) => (Number(rc) < 0 ? errnoName(Number(rc)) : 'ok');
  const meta = (s: Record<string, unknown>) => {
    const m = s.meta as Record<string, unknown> | null;
    if (!m) { p.meta = null; return; }
    Object.assign(p, { file_size: m.file_size, file_type: m.file_type, extent_type: m.extent_type, dev_bitmap: m.dev_bitmap });
    if (m.nextents !== undefined) p.nextents = m.nextents as number;
    if (m.niext !== undefined) p.niext = m.niext as number;
  };
  if (plan.mode === 'parse') {
    const s = stage('parse');
    if (!s) return { result: crash ?? 'no result' };
    p.result = rcOf(s.rc);
    meta(s);
    const f = stage('free');
    p.live_after_free = f ? (f.live_after_free as number) : crash ?? 'no result';
    return p;
  }
  const o = stage('open');
  if (!o) return { open: crash ?? 'no result' };
  p.open = rcOf(o.rc);
  p.requests = String(o.requests).split(',').filter(Boolean).map((r) => {
    const [op, node] = r.split(':');
    return `${op === '54' ? 'GET_FMAP' : op === '55' ? 'GET_DAXDEV' : op}:${node}`;
  }).join(',');
  if ((o.meta as unknown) !== null || plan.ts.i_size !== undefined) {
    p.i_size = o.i_size as string;
    p.dax = o.dax === 1;
  }
  meta(o);
  p.devlist = o.devlist === null ? null : (o.devlist as Record<string, unknown>[]).map((d) =>
    `${d.slot}:valid=${d.valid},error=${d.error},dax_err=${d.dax_err},name=${d.name || 'NULL'},dax=${d.dax || 'NULL'}`).join(' ');
  if (plan.ts.resolve !== undefined) {
    const r = stage('resolve');
    if (!r) p.resolve = crash ?? 'not run (no famfs meta)';
    else {
      p.resolve = rcOf(r.rc);
      p.file_error = r.file_error === 1;
      if (Number(r.rc) >= 0) Object.assign(p, { addr: hexU64(r.addr), offset: hexU64(r.offset), length: hexU64(r.length), device: r.device || null });
    }
  }
  const t = stage('teardown');
  if (t) p.live_after_teardown = t.live_after_teardown as number;
  else if (!crash) p.live_after_teardown = 'no result';
  return p;
}

const hexU64 = (v: unknown): string => '0x' + BigInt(String(v)).toString(16);

/** Normalise a value for comparison (u64 strings compare by value). */
function norm(v: unknown): string {
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return BigInt(v).toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  return JSON.stringify(v ?? null);
}

/** Keys where the two projections differ. After a C oops only what the C got to is compared. */
export function differences(ts: Projection, c: Projection): string[] {
  const crashed = Object.values(c).some((v) => typeof v === 'string' && v.startsWith('oops:'));
  const keys = new Set([...Object.keys(c), ...(crashed ? [] : Object.keys(ts))]);
  return [...keys].filter((k) => norm(ts[k]) !== norm(c[k]));
}

/** Sanitizer findings in one case's stderr: UBSan runtime errors and ASan reports, by famfs.c line. */
export function sanitizerFindings(stderr: string): string[] {
  const out: string[] = [];
  for (const l of stderr.split('\n')) {
    const ub = /(?:^|\/)([\w.]+:\d+):\d+: runtime error: (.*)$/.exec(l);
    if (ub) out.push(`${ub[1]}: UBSan: ${ub[2]}`);
  }
  const asan = /ERROR: AddressSanitizer: ([\w-]+)/.exec(stderr);
  if (asan) {
    const frame = /#\d+ 0x[0-9a-f]+ in (\w+) (?:.*\/)?(famfs\.c:\d+)/.exec(stderr);
    out.push(`${frame ? frame[2] : 'famfs.c'}: ASan: ${asan[1]}${frame ? ` in ${frame[1]}()` : ''}`);
  }
  return out;
}

function runDriver(built: Built, plans: { index: number; plan: CasePlan }[]): Map<number, CRecord> {
  const input: string[] = [];
  for (const { index, plan } of plans) {
    input.push(`C ${index} ${plan.mode} ${plan.page} ${plan.pmd} ${plan.failNth}`, ...plan.lines, 'E');
  }
  const r = spawnSync(built.exe, [], {
    input: input.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 << 20,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=0:handle_segv=0:handle_sigfpe=0:handle_abort=0:allow_user_segv_handler=1', UBSAN_OPTIONS: 'print_stacktrace=0:halt_on_error=0' },
  });
  if (r.error || r.status !== 0) throw new Error(`cdiff: the C driver failed: ${r.error?.message ?? r.stderr.split('\n')[0]}`);
  const out = new Map<number, CRecord>();
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const rec = JSON.parse(line) as CRecord;
    out.set(rec.i, rec);
  }
  return out;
}

interface Row { input: CdiffInput; id: string; failNth: number; ts?: VectorResult; plan?: CasePlan; skip?: string }

function withArch<T>(v: Vector, f: () => T): T {
  const saved = { ...arch };
  try {
    if (v.input.arch) setArch(Object.fromEntries(Object.entries(v.input.arch as Record<string, string>).map(([k, x]) => [k, BigInt(x)])));
    return f();
  } finally {
    Object.assign(arch, saved);
    dmesg_take();
  }
}

/** Plan one row: the spec judge on the port, then the port's projection and the C case. */
function planRow(row: Row, defined: Set<string>): void {
  const v = row.input.vector;
  const oos = outOfScope(v);
  const missing = neededFunctions(v).filter((f) => !defined.has(f));
  if (!row.failNth) row.ts = runVector(v, row.input.file);
  if (oos) { row.skip = oos; return; }
  if (missing.length) { row.skip = `the C source defines no ${missing.join(', ')}`; return; }
  try {
    row.plan = withArch(v, () => planCase(v, row.failNth));
  } catch (e) {
    if (!(e instanceof CannotRun)) throw e;
    row.skip = e.message;
  }
}

function judge(row: Row, rec: CRecord | undefined, sourceArgs: string, out: Collected): VectorResult {
  const v = row.failNth ? { ...row.input.vector, id: `${row.input.vector.id}__fail_nth_${row.failNth}` } : row.input.vector;
  const repro = `famfs-harness cdiff ${sourceArgs} --vectors ${row.input.file} --filter ${row.input.vector.id}${row.failNth ? ` --fail-nth ${row.failNth}` : ''}`;
  const base: VectorResult = row.ts ? { ...row.ts, vector: v, repro } : { vector: v, file: row.input.file, status: 'pass', actual: null, dmesg: [], repro };
  if (row.skip || !row.plan) return { ...base, status: 'skip', why: row.skip ?? 'not run', details: [] };
  if (!rec) return { ...base, status: 'error', why: 'the C driver gave no record for this case', details: [] };
  const c = projectC(row.plan, rec);
  const diff = differences(row.plan.ts, c);
  const found = sanitizerFindings(rec.stderr);
  found.forEach((f) => out.findings.add(f));
  const details = [
    `spec: ${JSON.stringify(v.expect)}`, `ts: ${JSON.stringify(row.plan.ts)}`, `c: ${JSON.stringify(c)}`,
    ...found.map((f) => `c finding (not judged): ${f}`), ...cDmesg(rec),
  ];
  let status: Status;
  let why: string | undefined;
  if (diff.length) {
    out.disagreements.push({ id: v.id, file: row.input.file, keys: diff, ts: row.plan.ts, c });
    status = 'fail';
    why = `port and C disagree on ${diff.map((k) => `${k} (ts ${norm(row.plan?.ts[k])}, c ${norm(c[k])})`).join(', ')}`;
  } else if (row.failNth) {
    const leak = [c.live_after_free, c.live_after_teardown].find((x) => x !== undefined && x !== 0);
    status = leak === undefined ? 'pass' : 'fail';
    why = leak === undefined ? undefined : `allocation failure ${row.failNth}: ${leak} objects live after free on both sides`;
  } else {
    status = base.status;
    why = base.why;
  }
  return { ...base, status, why, details };
}

function cDmesg(rec: CRecord): string[] {
  return rec.stages.flatMap((s) => ((s.dmesg as string[]) ?? []).map((l) => `c dmesg: ${l}`)).slice(-6);
}

/** The one-line verdict of a cdiff run (the CLI prints it as a KTAP comment, review as a detail). */
export function cdiffSummary(rep: CdiffReport): string {
  return `${rep.ran} vectors ran on both sides, ${rep.agreed} agree, ${rep.ran - rep.agreed} disagree`;
}

/** Build the revision, run every vector both ways, judge. */
export function runCdiff(opts: CdiffOptions): CdiffReport {
  const t0 = process.hrtime.bigint();
  const build = buildDriver(opts.sources, opts.keepBuild);
  try {
    const rows: Row[] = opts.cases.map((input) => ({ input, id: input.vector.id, failNth: typeof opts.failNth === 'number' ? opts.failNth : 0 }));
    rows.forEach((r) => planRow(r, build.defined));
    const records = runDriver(build, rows.flatMap((r, index) => (r.plan ? [{ index, plan: r.plan }] : [])));
    const out: Collected = { findings: new Set(), disagreements: [] };
    const results = rows.map((r, i) => judge(r, records.get(i), opts.sourceArgs, out));
    if (opts.failNth === 'all') results.push(...sweep(rows, records, build, opts.sourceArgs, out));
    const both = results.filter((r, i) => i < rows.length && rows[i].plan && r.status !== 'skip' && r.status !== 'error');
    const agreed = both.filter((r) => !(r.why ?? '').startsWith('port and C disagree'));
    return {
      results, build, ran: both.length, agreed: agreed.length, findings: [...out.findings], disagreements: out.disagreements,
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    };
  } finally {
    if (!opts.keepBuild) fs.rmSync(build.dir, { recursive: true, force: true });
  }
}

/** Allocations the C side made in a case (its first stage says). */
function cAllocs(rec: CRecord | undefined): number {
  const s = rec?.stages.find((x) => x.stage === 'parse' || x.stage === 'open');
  return s ? Number(s.allocs) : 0;
}

/** --fail-nth all: every allocation of every case that ran (on either side), failed in turn on both sides. */
function sweep(rows: Row[], first: Map<number, CRecord>, build: Built, sourceArgs: string, out: Collected): VectorResult[] {
  const swept: Row[] = [];
  rows.forEach((r, i) => {
    if (!r.plan) return;
    const n = Math.max(r.plan.allocs, cAllocs(first.get(i)));
    for (let k = 1; k <= n; k++) swept.push({ input: r.input, id: r.id, failNth: k, ts: r.ts });
  });
  swept.forEach((r) => planRow(r, build.defined));
  const records = runDriver(build, swept.flatMap((r, index) => (r.plan ? [{ index, plan: r.plan }] : [])));
  return swept.map((r, i) => judge(r, records.get(i), sourceArgs, out));
}

/** The cases of the given vector files or folders (default: the built-in set), filtered by a glob over ids and C function names; for the bench and tests. */
export function selectCases(paths: string[] | undefined, filter: string | undefined): CdiffInput[] {
  return selectVectors(paths, filter, null, (f) => fs.readFileSync(f, 'utf8')).cases;
}
