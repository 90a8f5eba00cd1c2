// `review SERIES.mbox`: the one check a reviewer or CI runs on a new revision.
// The mail is read once (checks/mail.ts); then the patches and completeness,
// ABI drift of the uapi hunks, port-map drift of famfs.c (rebuilt from the
// series when it creates the file, or from a base famfs.c it applies to),
// the conformance vectors of the functions the series touches, and cdiff —
// that famfs.c built and run against every vector beside the port — each a
// case in one list of results, so every reporter (KTAP, JUnit, JSON) and the
// exit status treat them alike.
import { Patch, readMail } from './mail';
import { analyzeSeries, SeriesReport } from './series';
import { checkAbiRead, AbiResult } from './abicheck';
import { portMapDrift, PortMapDrift } from './portmap';
import { FAMFS_C } from './rebuild';
import { CDIFF_SUITE, cdiffSection, CdiffSection, fileAfterSeries, FileAfterSeries } from './review_cdiff';
import { runVector, Status, Vector, VectorResult } from './vectors';
import { bigintSafe } from './report';

export { FAMFS_C };

/** fs/fuse/famfs.c after the series, and how it was had. */
export type FamfsC = FileAfterSeries;

export interface ReviewInput {
  /** the mbox / patch file, as named on the command line */
  file: string;
  mail: Buffer | string;
  /** the fs/fuse/famfs.c the series applies to (when the series does not create it) */
  baseC?: string;
  /** the fs/fuse/famfs_kfmap.h the series applies to (when the series does not create it), for cdiff */
  baseKfmap?: string;
  /** the famfs.c of the revision the port follows, for "port needs review" */
  portedC?: string;
  /** accept an incomplete series (completeness is then a SKIP, not a failure) */
  partial?: boolean;
  /** the vectors to choose from, with the file each came from */
  vectors: { vector: Vector; file: string }[];
  /** the command line that reproduces the review (default: `famfs-harness review FILE`) */
  repro?: string;
}

export interface Review {
  series: SeriesReport;
  abi: AbiResult;
  famfsC: FamfsC | null;
  drift: PortMapDrift | null;
  /** the C functions whose vectors ran */
  vectorFunctions: string[];
  /** the revision's C after the series against the port */
  cdiff: CdiffSection;
  results: VectorResult[];
}

const reproOf = (input: ReviewInput) => input.repro ?? `famfs-harness review ${input.file}`;

/** The vectors a series obliges us to run: those of every function it defines or changes. */
export function touchesVector(series: SeriesReport): (v: Vector) => boolean {
  const touched = new Set(series.touched);
  return (v) => touched.has(v.fn);
}

/** A review finding as a result row (suite = `fn`), so the conformance reporters print it. */
function finding(input: ReviewInput, suite: string, id: string, status: Status, source: string, expect: unknown, actual: unknown, details: string[] = [], why?: string): VectorResult {
  return {
    vector: { id, fn: suite, input: {}, expect, source },
    file: input.file, status, actual: actual as VectorResult['actual'], why, dmesg: [], details,
    repro: reproOf(input),
  };
}

function seriesFindings(input: ReviewInput, s: SeriesReport): VectorResult[] {
  const out = s.patches.map((p, i) => {
    const id = p.number !== null ? `patch_${p.number}_of_${p.total}` : `patch_${i + 1}`;
    const touched = p.hunks.flatMap((h) => h.functions);
    return finding(input, 'series', id, p.problems.length ? 'fail' : 'pass', `${p.subject} (${p.encoding})`, 'well-formed hunks',
      p.problems.length ? p.problems : `${p.files.length} file(s), ${p.hunks.length} hunk(s)`,
      [`files: ${p.files.join(', ')}`, ...(touched.length ? [`functions: ${[...new Set(touched)].join(', ')}`] : []), ...p.problems],
      p.problems[0]);
  });
  const c = s.completeness;
  const status: Status = c.complete ? 'pass' : input.partial ? 'skip' : 'fail';
  const skipped = s.skipped.map((k) => `skipped mail: ${k.subject || '(no subject)'} (${k.reason})`);
  out.push(finding(input, 'series', 'completeness', status, 'every patch of the series, once, one revision', 'complete', c.line, skipped,
    status === 'skip' ? `partial series accepted: ${c.line}` : c.complete ? undefined : c.line));
  return out;
}

const caseId = (what: string) => what.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_|_$/g, '');

function abiFindings(input: ReviewInput, abi: AbiResult): VectorResult[] {
  if (!abi.famfs) {
    return [finding(input, 'abi', 'uapi_definitions', 'skip', 'include/uapi/linux/fuse.h hunks of the series', 'famfs uapi definitions', null,
      abi.ignored.length ? [`not ABI (not read): ${abi.ignored.join(', ')}`] : [], 'the series has no famfs uapi definitions')];
  }
  const out = abi.compared.map((name) => {
    const diffs = abi.diffs.filter((d) => d.what === name || d.what.startsWith(`${name}.`));
    const lines = diffs.map((d) => `${d.kind}: ${d.what}: ${d.detail} [${d.where}]`);
    return finding(input, 'abi', caseId(name), diffs.length ? 'fail' : 'pass', 'the modelled uapi (uapi/fuse.ts)', 'as modelled',
      diffs.length ? diffs.map((d) => d.detail) : 'as modelled', lines, lines[0]);
  });
  const seen = new Set(abi.compared);
  for (const d of abi.diffs.filter((x) => ![...seen].some((n) => x.what === n || x.what.startsWith(`${n}.`)))) {
    out.push(finding(input, 'abi', caseId(d.what), 'fail', 'the modelled uapi (uapi/fuse.ts)', 'as modelled', d.detail, [`${d.kind}: ${d.detail} [${d.where}]`], d.detail));
  }
  return out;
}

function portmapFindings(input: ReviewInput, famfsC: FamfsC | null, drift: PortMapDrift | null): VectorResult[] {
  if (!famfsC) {
    return [finding(input, 'portmap', 'famfs_c', 'skip', 'port-map drift of fs/fuse/famfs.c', 'a famfs.c to compare', null, [],
      'the series does not create fs/fuse/famfs.c; give --base-c (the famfs.c it applies to)')];
  }
  const out: VectorResult[] = [];
  const origin = famfsC.base ? `given (--base-c) with ${famfsC.applied.length} patch(es) applied` : `rebuilt from ${famfsC.applied.length} patch(es)`;
  if (famfsC.problems.length) out.push(finding(input, 'portmap', 'famfs_c_rebuild', 'fail', `fs/fuse/famfs.c ${origin}`, 'every hunk applies', famfsC.problems, famfsC.problems, famfsC.problems[0]));
  if (!drift) return out;
  for (const u of drift.untwinned) out.push(finding(input, 'portmap', `no_ts_twin_${u.name}`, 'fail', `fs/fuse/famfs.c ${origin}`, 'a TS twin in kernel/', null, [`famfs.c:${u.lines}`], `${u.name} (famfs.c:${u.lines}) has no TS twin`));
  for (const g of drift.gone) out.push(finding(input, 'portmap', `c_function_gone_${g.name}`, 'fail', `fs/fuse/famfs.c ${origin}`, 'the C function of the twin', null, [`twin: ${g.ts}`], `${g.name} is gone from famfs.c (twin ${g.ts})`));
  for (const c of drift.changed) out.push(finding(input, 'portmap', `port_needs_review_${c.name}`, 'fail', `fs/fuse/famfs.c ${origin} vs --ported-c`, 'the ported body', 'a changed body', [`famfs.c:${c.lines}`], `${c.name}: body changed since the ported revision; port needs review`));
  if (!out.length) out.push(finding(input, 'portmap', 'famfs_c_matches_port', 'pass', `fs/fuse/famfs.c ${origin}`, 'no drift', 'no drift'));
  return out;
}

function conformanceResults(input: ReviewInput, series: SeriesReport): { fns: string[]; results: VectorResult[] } {
  const wanted = touchesVector(series);
  const chosen = input.vectors.filter(({ vector }) => wanted(vector));
  const fns = [...new Set(chosen.map(({ vector }) => vector.fn))];
  if (!chosen.length) {
    return { fns, results: [finding(input, 'conformance', 'touched_functions', 'skip', 'vectors of the functions the series touches', 'vectors', null,
      [`touched: ${series.touched.join(', ') || 'none'}`], 'no vector exercises a function the series touches')] };
  }
  return { fns, results: chosen.map(({ vector, file }) => runVector(vector, file)) };
}

/**
 * famfs.c after the series: rebuilt from its hunks when the series creates
 * it, or the base famfs.c the reviewer gives with the series' hunks applied.
 */
export function famfsAfterSeries(patches: Patch[], baseC?: string): FamfsC | null {
  return fileAfterSeries(patches, FAMFS_C, baseC);
}

export function review(input: ReviewInput): Review {
  const read = readMail(input.mail);
  const series = analyzeSeries(read);
  const abi = checkAbiRead(read, input.mail);
  const famfsC = famfsAfterSeries(read.patches, input.baseC);
  const drift = famfsC && !famfsC.problems.length ? portMapDrift(famfsC.text, input.portedC) : null;
  const conf = conformanceResults(input, series);
  const cdiff = cdiffSection({ file: input.file, patches: read.patches, famfsC, baseKfmap: input.baseKfmap, cases: input.vectors, repro: reproOf(input) });
  return {
    series, abi, famfsC, drift, vectorFunctions: conf.fns, cdiff,
    results: [...seriesFindings(input, series), ...abiFindings(input, abi), ...portmapFindings(input, famfsC, drift), ...conf.results, ...cdiff.results],
  };
}

// ---- the human-readable report and the JSON document ------------------------------------

const MARK: Record<Status, string> = { pass: 'ok   ', xfail: 'XFAIL', fail: 'FAIL ', xpass: 'XPASS', skip: 'SKIP ', error: 'ERROR' };

function countLine(rs: VectorResult[]): string {
  const n = (s: Status) => rs.filter((r) => r.status === s).length;
  return [['pass', 'passed'], ['xfail', 'xfail'], ['fail', 'failed'], ['xpass', 'xpass'], ['skip', 'skipped'], ['error', 'errors']]
    .map(([s, w]) => [n(s as Status), w] as const).filter(([c]) => c > 0).map(([c, w]) => `${c} ${w}`).join(', ');
}

/** The review as a reviewer reads it: one section per check, failures with their diagnostics. */
export function reviewPretty(r: Review, file: string, diagnostics: (x: VectorResult) => string[]): string {
  const out: string[] = [`famfs-harness review ${file}`];
  const section = (suite: string, title: string, lines: string[]) => {
    const rows = r.results.filter((x) => x.vector.fn === suite);
    out.push('', `${title}${rows.length ? `  [${countLine(rows)}]` : ''}`, ...lines.map((l) => `  ${l}`));
    for (const x of rows.filter((y) => y.status !== 'pass')) out.push(`  ${MARK[x.status]} ${x.vector.id}${x.why ? `: ${x.why}` : ''}`);
  };
  const s = r.series;
  section('series', `series: ${s.patches.length} patch(es)`, [
    `completeness: ${s.completeness.line}`,
    ...s.patches.map((p) => `${p.number !== null ? `${p.number}/${p.total}` : '-'} ${p.subject.replace(/^\[[^\]]*\]\s*/, '')}  (${p.encoding})${p.hunks.some((h) => h.functions.length) ? `  -> ${[...new Set(p.hunks.flatMap((h) => h.functions))].join(', ')}` : ''}`),
    ...s.skipped.map((k) => `skipped: ${k.subject || '(no subject)'} (${k.reason})`),
  ]);
  section('abi', 'abi: uapi definitions of the series', [
    r.abi.famfs ? `${r.abi.compared.length} compared from ${r.abi.sources.length} hunk(s) of include/uapi/linux/fuse.h: ${r.abi.compared.join(', ')}` : 'no famfs uapi definitions in the series',
    ...(r.abi.ignored.length ? [`not ABI (not read): ${r.abi.ignored.join(', ')}`] : []),
  ]);
  section('portmap', 'portmap: fs/fuse/famfs.c against the TS twins', r.famfsC
    ? [`famfs.c ${r.famfsC.base ? '--base-c with the hunks of' : 'rebuilt from'}: ${r.famfsC.applied.join('; ') || 'no patch'}`]
    : []);
  const conf = r.results.filter((x) => !['series', 'abi', 'portmap', 'conformance', CDIFF_SUITE].includes(x.vector.fn));
  out.push('', `conformance: vectors of the touched functions${conf.length ? `  [${countLine(conf)}]` : ''}`,
    `  ${r.vectorFunctions.length ? r.vectorFunctions.map((f) => `${f} (${conf.filter((x) => x.vector.fn === f).length})`).join(', ') : `none (touched: ${s.touched.join(', ') || 'nothing'})`}`);
  for (const x of conf.filter((y) => y.status !== 'pass' && y.status !== 'xfail')) {
    out.push(`  ${MARK[x.status]} ${x.vector.fn} ${x.vector.id}`, ...diagnostics(x).map((d) => `        ${d}`));
  }
  out.push(...cdiffPretty(r, diagnostics));
  return out.join('\n') + '\n';
}

/** The cdiff section: where the C came from, the agreement figure, each disagreement with its three judges. */
function cdiffPretty(r: Review, diagnostics: (x: VectorResult) => string[]): string[] {
  const rows = r.results.filter((x) => x.vector.fn === CDIFF_SUITE);
  const build = rows[0];
  const out = ['', `cdiff: the revision's C after the series against the port  [${countLine(rows)}]`];
  if (build.status !== 'pass') return [...out, ...build.details!.map((d) => `  ${d}`), `  ${MARK[build.status]} build: ${build.why}`];
  out.push(...build.details!.map((d) => `  ${d}`));
  const skips = new Map<string, number>();
  for (const x of rows.slice(1)) {
    if (x.status === 'skip') skips.set(x.why ?? 'skipped', (skips.get(x.why ?? 'skipped') ?? 0) + 1);
    else if (x.status !== 'pass' && x.status !== 'xfail') out.push(`  ${MARK[x.status]} ${x.vector.id}`, ...diagnostics(x).map((d) => `        ${d}`));
  }
  for (const [why, n] of skips) out.push(`  SKIP  ${n} vector(s): ${why}`);
  return out;
}

/** One JSON document: the series, the ABI comparison, the port-map drift and every result row. */
export function reviewJson(r: Review, file: string): string {
  const doc = {
    report: 'famfs-harness review', file,
    series: { completeness: r.series.completeness, patches: r.series.patches, skipped: r.series.skipped, touched: r.series.touched },
    abi: { compared: r.abi.compared, diffs: r.abi.diffs, ignored: r.abi.ignored },
    portmap: { famfs_c: r.famfsC ? { applied: r.famfsC.applied, problems: r.famfsC.problems } : null, drift: r.drift },
    cdiff: { sources: r.cdiff.origin, ran: r.cdiff.ran, agreed: r.cdiff.agreed, findings: r.cdiff.findings, disagreements: r.cdiff.disagreements, seconds: r.cdiff.seconds },
    results: r.results.map((x) => ({ suite: x.vector.fn, id: x.vector.id, status: x.status, why: x.why ?? null, details: x.details ?? [], source: x.vector.source })),
  };
  return JSON.stringify(doc, bigintSafe, 2) + '\n';
}
