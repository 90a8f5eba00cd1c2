// Conformance reports: KTAP version 1 (what kunit.py parse reads: one suite per
// kernel function, nested two spaces, XFAIL/SKIP directives in kselftest's form,
// diagnostics before each result they explain, a kselftest-style Totals line),
// JUnit XML (Jenkins xunit junit-10.xsd), one JSON document or JSON lines.
// The plain closing line is for stderr, so each report stays pure.
import { hexdump } from '../uapi/fmap_codec';
import { fuse_opcode, FUSE_KERNEL_MINOR_VERSION, FAMFS_CHANGELOG_MINOR } from '../uapi/fuse';
import type { Vector, VectorResult, Status } from './vectors';

export const HARNESS_VERSION = '0.1.0';
export const SERIES = 'v9';

export interface Totals { pass: number; fail: number; xfail: number; xpass: number; skip: number; error: number }

export function totals(results: VectorResult[]): Totals {
  const t: Totals = { pass: 0, fail: 0, xfail: 0, xpass: 0, skip: 0, error: 0 };
  for (const r of results) t[r.status]++;
  return t;
}

/** Exit status: 0 when nothing failed (XFAIL is fine), 1 otherwise. */
export function exitCode(t: Totals): number {
  return t.fail + t.xpass + t.error > 0 ? 1 : 0;
}

/** The plain closing line CI reads. */
export function closingLine(t: Totals): string {
  return `${t.pass + t.xfail} passed, ${t.fail + t.xpass + t.error} failed, ${t.skip} skipped`;
}

export function totalsLine(t: Totals): string {
  return `# Totals: pass:${t.pass} fail:${t.fail} xfail:${t.xfail} xpass:${t.xpass} skip:${t.skip} error:${t.error}`;
}

function groupByFn(results: VectorResult[]): Map<string, VectorResult[]> {
  const m = new Map<string, VectorResult[]>();
  for (const r of results) {
    const list = m.get(r.vector.fn) ?? [];
    list.push(r);
    m.set(r.vector.fn, list);
  }
  return m;
}

const clean = (s: string) => s.replace(/#/g, 'no.').replace(/\s+/g, ' ').trim();

export function reproCommand(r: VectorResult): string {
  return r.repro ?? `famfs-harness conformance --vectors ${r.file} --filter ${r.vector.id}`;
}

/** Diagnostic lines (without the "# " prefix) explaining a result. */
export function diagnostics(r: VectorResult): string[] {
  const d: string[] = [];
  d.push(`source: ${r.vector.source}`);
  if (r.vector.kernel_flaw) d.push(`known v9 flaw: ${r.vector.kernel_flaw}`);
  d.push(`expected: ${JSON.stringify(r.vector.expect)}`);
  d.push(`actual: ${JSON.stringify(r.actual)}`);
  if (r.why) d.push(`why: ${r.why}`);
  if (r.details) d.push(...r.details);
  if (r.payload) d.push(`payload (${r.payload.length} bytes):`, ...hexdump(r.payload, 256).map((l) => `  ${l}`));
  for (const l of r.dmesg.slice(-6)) d.push(`dmesg: ${l}`);
  d.push(`repro: ${reproCommand(r)}`);
  return d;
}

/** KTAP result word: an expected failure is `ok` (kselftest's form), an unexpected pass is not. */
const resultWord = (s: Status) => (s === 'pass' || s === 'skip' || s === 'xfail' ? 'ok' : 'not ok');

/** Whether a result fails the run (XFAIL and SKIP do not; XPASS does). */
export const isFailure = (s: Status) => s === 'fail' || s === 'xpass' || s === 'error';

function directive(r: VectorResult): string {
  if (r.status === 'xfail') return ` # XFAIL ${clean(r.vector.kernel_flaw ?? 'known flaw')}`;
  if (r.status === 'skip') return ` # SKIP ${clean(r.why ?? 'skipped')}`;
  if (r.status === 'error') return ` # ERROR ${clean(r.why ?? 'error')}`;
  // not a KTAP directive: parsers fall back to `not ok`, which is what an unexpected pass is
  if (r.status === 'xpass') return ` # XPASS ${clean(r.vector.kernel_flaw ?? '')}`;
  return '';
}

export function headerComment(): string {
  return `famfs-harness ${HARNESS_VERSION}: series ${SERIES}, FUSE 7.${FUSE_KERNEL_MINOR_VERSION} (changelog 7.${FAMFS_CHANGELOG_MINOR}), GET_FMAP=${fuse_opcode.FUSE_GET_FMAP}, GET_DAXDEV=${fuse_opcode.FUSE_GET_DAXDEV}, FUSE_DAX_FMAP=bit 43`;
}

/** A suite's own result line: fails if a case fails; skipped if every case was. */
function suiteResult(list: VectorResult[], num: number, fn: string): string {
  if (list.some((r) => isFailure(r.status))) return `not ok ${num} ${fn}`;
  if (list.every((r) => r.status === 'skip')) return `ok ${num} ${fn} # SKIP every case skipped`;
  return `ok ${num} ${fn}`;
}

/**
 * KTAP version 1 (Documentation/dev-tools/ktap.rst): one suite per C function,
 * nested two spaces, diagnostics before the result line they explain, and a
 * kselftest-style `# Totals` diagnostic. Every line is KTAP; the plain closing
 * line belongs on stderr (see closingLine).
 */
export function toKtap(results: VectorResult[]): string {
  const out: string[] = ['KTAP version 1', `# ${headerComment()}`];
  const groups = [...groupByFn(results)];
  out.push(`1..${groups.length}`);
  groups.forEach(([fn, list], gi) => {
    out.push('  KTAP version 1', `  # Subtest: ${fn}`, `  1..${list.length}`);
    list.forEach((r, i) => {
      if (r.status !== 'pass') for (const l of diagnostics(r)) out.push(`  # ${l}`);
      out.push(`  ${resultWord(r.status)} ${i + 1} ${r.vector.id}${directive(r)}`);
    });
    out.push(suiteResult(list, gi + 1, fn));
  });
  out.push(totalsLine(totals(results)));
  return out.join('\n') + '\n';
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  // characters XML 1.0 cannot carry at all
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** JUnit `time`: seconds with at most three decimals (the Surefire form junit-10.xsd requires). */
export const junitTime = (seconds: number) => (Number.isFinite(seconds) && seconds > 0 ? seconds : 0).toFixed(3);

const secondsOf = (list: VectorResult[]) => list.reduce((sum, r) => sum + (r.seconds ?? 0), 0);

/**
 * JUnit XML as Jenkins xunit's junit-10.xsd accepts it: `time` on every testsuite
 * and testcase, `skipped` only on testsuite (the schema has none on testsuites),
 * failures with their message and the full diagnostics as the body.
 */
export function toJunit(results: VectorResult[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const t = totals(results);
  out.push(`<testsuites name="famfs-harness" tests="${results.length}" failures="${t.fail + t.xpass}" errors="${t.error}" time="${junitTime(secondsOf(results))}">`);
  for (const [fn, list] of groupByFn(results)) {
    const f = list.filter((r) => r.status === 'fail' || r.status === 'xpass').length;
    const e = list.filter((r) => r.status === 'error').length;
    const s = list.filter((r) => r.status === 'skip').length;
    out.push(`  <testsuite name="${xml(fn)}" tests="${list.length}" failures="${f}" errors="${e}" skipped="${s}" time="${junitTime(secondsOf(list))}">`);
    for (const r of list) {
      out.push(`    <testcase classname="${xml(fn)}" name="${xml(r.vector.id)}" time="${junitTime(r.seconds ?? 0)}">`);
      const body = xml(diagnostics(r).join('\n'));
      if (r.status === 'fail') out.push(`      <failure type="fail" message="${xml(r.why ?? 'failed')}">${body}</failure>`);
      else if (r.status === 'xpass') out.push(`      <failure type="xpass" message="${xml(r.why ?? 'unexpected pass')}">${body}</failure>`);
      else if (r.status === 'error') out.push(`      <error type="error" message="${xml(r.why ?? 'error')}">${body}</error>`);
      else if (r.status === 'skip') out.push(`      <skipped message="${xml(r.why ?? '')}"/>`);
      else if (r.status === 'xfail') out.push(`      <system-out>${xml('XFAIL (known v9 flaw): ' + (r.vector.kernel_flaw ?? '') + '\n' + diagnostics(r).join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/** One case as JSON: everything a report needs, so shards and baselines can be re-rendered. */
export interface JsonResult {
  index: number;
  id: string;
  fn: string;
  file: string;
  status: Status;
  why: string | null;
  expect: unknown;
  actual: unknown;
  kernel_flaw: string | null;
  seconds: number | null;
  details: string[] | null;
  dmesg: string[];
  payload_hex: string | null;
  vector: Vector;
}

/** The whole run as one JSON document (`--format json`). */
export interface JsonReport {
  report: 'famfs-harness conformance';
  harness: string;
  series: string;
  header: string;
  /** set when the run is one shard of a split run */
  shard: { index: number; count: number; cases: number } | null;
  totals: Totals;
  results: JsonResult[];
}

/** JSON.stringify replacer: bigints as decimal strings (JSON has no 64-bit integers). */
export const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

export function jsonResult(r: VectorResult, index: number): JsonResult {
  return {
    index, id: r.vector.id, fn: r.vector.fn, file: r.file, status: r.status, why: r.why ?? null,
    expect: r.vector.expect, actual: r.actual, kernel_flaw: r.vector.kernel_flaw ?? null,
    seconds: r.seconds ?? null, details: r.details ?? null, dmesg: r.dmesg,
    payload_hex: r.payload ? Buffer.from(r.payload).toString('hex') : null, vector: r.vector,
  };
}

/** Position in the whole (unsharded) run; defaults to the position in this list. */
export type Indexed = VectorResult & { index?: number };

export function toJsonReport(results: Indexed[], shard: JsonReport['shard'] = null): JsonReport {
  return {
    report: 'famfs-harness conformance', harness: HARNESS_VERSION, series: SERIES, header: headerComment(), shard,
    totals: totals(results), results: results.map((r, i) => jsonResult(r, r.index ?? i)),
  };
}

export function toJson(results: Indexed[], shard: JsonReport['shard'] = null): string {
  return JSON.stringify(toJsonReport(results, shard), bigintSafe, 2) + '\n';
}

/** One object per line (`--format jsonl`), then a totals line. */
export function toJsonLines(results: Indexed[]): string {
  const lines = results.map((r, i) => JSON.stringify(jsonResult(r, r.index ?? i), bigintSafe));
  lines.push(JSON.stringify({ totals: totals(results) }));
  return lines.join('\n') + '\n';
}

export class ReportFileError extends Error {}

const STATUSES: Status[] = ['pass', 'fail', 'xfail', 'xpass', 'skip', 'error'];

/** Results back from a `--format json` document (or `--format jsonl` lines), checked field by field. */
export function fromJsonText(text: string, file: string): Indexed[] {
  return readJsonReport(text, file).results;
}

/** A JSON report read back: its shard (null for a whole run) and its results. */
export function readJsonReport(text: string, file: string): { shard: JsonReport['shard']; results: Indexed[] } {
  let rows: unknown;
  let shard: JsonReport['shard'] = null;
  try {
    const doc = JSON.parse(text) as Partial<JsonReport> | null;
    rows = doc?.results;
    shard = doc?.shard ?? null;
  } catch {
    try {
      rows = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).filter((o) => !('totals' in (o as object)));
    } catch (e) {
      throw new ReportFileError(`${file}: not a famfs-harness JSON report: ${(e as Error).message}`);
    }
  }
  if (!Array.isArray(rows)) throw new ReportFileError(`${file}: "results" is not a list`);
  if (shard !== null && !(Number.isInteger(shard.index) && Number.isInteger(shard.count) && Number.isInteger(shard.cases))) throw new ReportFileError(`${file}: "shard" must hold integer index, count and cases`);
  return { shard, results: rows.map((o, i) => resultFromJson(o, `${file}: result ${i}`)) };
}

/**
 * Join the shards of one split run back into the run: every shard K of N
 * present once, every case position 0..cases-1 present once, in run order.
 */
export function mergeShards(parts: { file: string; shard: JsonReport['shard']; results: Indexed[] }[]): Indexed[] {
  if (!parts.length) throw new ReportFileError('no report to merge');
  const count = parts[0].shard?.count ?? 1;
  const cases = parts[0].shard?.cases ?? parts[0].results.length;
  const seenShards = new Map<number, string>();
  for (const p of parts) {
    const s = p.shard ?? { index: 1, count: 1, cases: p.results.length };
    if (s.count !== count || s.cases !== cases) throw new ReportFileError(`${p.file}: shard ${s.index}/${s.count} of ${s.cases} cases does not belong with ${parts[0].file} (of ${count} shards, ${cases} cases)`);
    const twin = seenShards.get(s.index);
    if (twin) throw new ReportFileError(`${p.file}: shard ${s.index}/${count} given twice (also ${twin})`);
    seenShards.set(s.index, p.file);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((k) => !seenShards.has(k));
  if (missing.length) throw new ReportFileError(`shard(s) ${missing.join(', ')} of ${count} missing`);
  const byIndex = new Map<number, Indexed>();
  for (const p of parts) {
    for (const r of p.results) {
      if (r.index === undefined || r.index < 0 || r.index >= cases) throw new ReportFileError(`${p.file}: ${r.vector.id} has no position in a run of ${cases} cases`);
      if (byIndex.has(r.index)) throw new ReportFileError(`${p.file}: case ${r.index} (${r.vector.id}) is in two shards`);
      byIndex.set(r.index, r);
    }
  }
  if (byIndex.size !== cases) throw new ReportFileError(`the shards hold ${byIndex.size} of ${cases} cases`);
  return [...byIndex.keys()].sort((x, y) => x - y).map((k) => byIndex.get(k)!);
}

function resultFromJson(o: unknown, where: string): Indexed {
  if (typeof o !== 'object' || o === null) throw new ReportFileError(`${where}: not an object`);
  const r = o as Partial<JsonResult>;
  if (typeof r.id !== 'string') throw new ReportFileError(`${where}: id missing`);
  if (!STATUSES.includes(r.status as Status)) throw new ReportFileError(`${where} (${r.id}): status ${JSON.stringify(r.status)} unknown`);
  const vector = (r.vector ?? { id: r.id, fn: r.fn, input: {}, expect: r.expect, source: '', kernel_flaw: r.kernel_flaw ?? undefined }) as Vector;
  if (typeof vector.fn !== 'string') throw new ReportFileError(`${where} (${r.id}): fn missing`);
  return {
    vector, file: r.file ?? '', status: r.status as Status, actual: (r.actual ?? null) as VectorResult['actual'],
    why: r.why ?? undefined, dmesg: Array.isArray(r.dmesg) ? r.dmesg : [],
    payload: typeof r.payload_hex === 'string' ? new Uint8Array(Buffer.from(r.payload_hex, 'hex')) : undefined,
    seconds: typeof r.seconds === 'number' ? r.seconds : undefined, details: Array.isArray(r.details) ? r.details : undefined,
    index: typeof r.index === 'number' ? r.index : undefined,
  };
}
