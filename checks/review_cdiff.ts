// review's cdiff section: the revision's real C after the series (famfs.c,
// famfs_kfmap.h, the uapi), built and run against every vector beside the port.
// Whatever stops the comparison is one row of the section: gcc missing or no
// famfs.c to be had is a SKIP (nothing was judged); a build error in the
// revision's C is a failure with its one line (the review judged the revision).
import type { Patch } from './mail';
import { inSeriesOrder } from './mail';
import { applyHunk, FAMFS_KFMAP, rebuildSeries, RebuildError } from './rebuild';
import { CdiffBuildError, CompilerMissing, CSources } from './cdiff_build';
import { CdiffInput, cdiffSummary, Disagreement, runCdiff } from './cdiff';
import type { Status, VectorResult } from './vectors';

export const CDIFF_SUITE = 'cdiff';

/** fs/fuse/famfs.c (or another file) after the series, and how it was had. */
export interface FileAfterSeries {
  text: string;
  /** subjects of the patches whose hunks of the file were applied */
  applied: string[];
  /** hunks that did not apply (the text is then not checked) */
  problems: string[];
  /** from the reviewer's base file (else created by the series) */
  base: boolean;
}

/** What the section needs from the review. */
export interface CdiffSectionInput {
  file: string;
  patches: Patch[];
  famfsC: FileAfterSeries | null;
  /** the famfs_kfmap.h the series applies to (--kfmap) */
  baseKfmap?: string;
  cases: CdiffInput[];
  /** the review command line, the reproducer of every row */
  repro: string;
}

export interface CdiffSection {
  /** one line per C source: where it came from */
  origin: string[];
  results: VectorResult[];
  /** vectors both sides ran, how many agreed; null when nothing ran */
  ran: number | null;
  agreed: number | null;
  findings: string[];
  disagreements: Disagreement[];
  seconds: number | null;
}

const touches = (p: Patch, path: string) => p.files.some((f) => (f.newPath ?? f.oldPath) === path);

/**
 * A file after the series: rebuilt from its hunks when the series creates it,
 * or the base file the reviewer gives with the series' hunks of it applied.
 */
export function fileAfterSeries(patches: Patch[], path: string, base?: string): FileAfterSeries | null {
  const ordered = inSeriesOrder(patches);
  const touching = ordered.filter((p) => touches(p, path));
  const applied = touching.map((p) => p.subject || '(plain diff)');
  const creates = touching.some((p) => p.files.some((f) => f.isNew && f.newPath === path));
  try {
    if (creates) return { text: rebuildSeries(ordered).files.get(path) ?? '', applied, problems: [], base: false };
    if (base === undefined) return null;
    let lines = base.replace(/\n$/, '').split('\n');
    for (const p of touching) {
      for (const f of p.files.filter((x) => (x.newPath ?? x.oldPath) === path)) {
        for (const h of f.hunks) lines = applyHunk(lines, h, () => `${path}: hunk ${h.header.replace(/ @@.*/, ' @@')} of "${p.subject}"`);
      }
    }
    return { text: lines.join('\n') + '\n', applied, problems: [], base: true };
  } catch (e) {
    if (e instanceof RebuildError) return { text: '', applied, problems: [e.message], base: !creates };
    throw e;
  }
}

/** The C sources after the series, each with the line that says where it came from; or why there are none. */
function sourcesAfterSeries(input: CdiffSectionInput): { src: CSources; origin: string[] } | { stop: Status; why: string; origin: string[] } {
  const c = input.famfsC;
  if (!c) return { stop: 'skip', why: 'no famfs.c: the series does not create fs/fuse/famfs.c; give --base-c (the famfs.c it applies to)', origin: [] };
  const cOrigin = `famfs.c: ${c.base ? `--base-c with the hunks of ${c.applied.length} patch(es)` : `rebuilt from ${c.applied.length} patch(es)`}`;
  if (c.problems.length) return { stop: 'skip', why: `no famfs.c: ${c.problems[0]}`, origin: [cOrigin] };
  const origin = [cOrigin];
  const src: CSources = { famfs_c: c.text };
  const kfmap = fileAfterSeries(input.patches, FAMFS_KFMAP, input.baseKfmap);
  const kfmapHunks = input.patches.filter((p) => touches(p, FAMFS_KFMAP)).length;
  if (kfmap?.problems.length) return { stop: 'fail', why: kfmap.problems[0], origin };
  if (kfmap) {
    src.kfmap = kfmap.text;
    origin.push(`famfs_kfmap.h: ${kfmap.base ? `--kfmap with the hunks of ${kfmap.applied.length} patch(es)` : `rebuilt from ${kfmap.applied.length} patch(es)`}`);
  } else {
    origin.push(`famfs_kfmap.h: our model of v9 (cdiff/famfs_kfmap_model.h)${kfmapHunks ? `; the series' hunks of it are not applied (give --kfmap, the famfs_kfmap.h it applies to)` : ''}`);
  }
  const uapi = c.base ? '' : rebuildSeries(inSeriesOrder(input.patches)).uapi;
  if (uapi.trim()) src.uapi = uapi;
  origin.push(uapi.trim() ? 'uapi: the definitions the series adds to include/uapi/linux/fuse.h' : 'uapi: generated from our layout model (uapi/fuse.ts; the abi section compares the series with it)');
  return { src, origin };
}

function row(input: CdiffSectionInput, id: string, status: Status, details: string[], why?: string): VectorResult {
  return {
    vector: { id, fn: CDIFF_SUITE, input: {}, expect: 'the revision\'s C builds and agrees with the port', source: 'cdiff on the C after the series (Documentation/cdiff.md)' },
    file: input.file, status, actual: null, why, dmesg: [], details, repro: input.repro,
  };
}

/** A cdiff row as a row of the review: suite `cdiff`, case `FUNCTION.VECTOR`, the review as its reproducer. */
function asReviewRow(input: CdiffSectionInput, r: VectorResult): VectorResult {
  return {
    ...r, vector: { ...r.vector, fn: CDIFF_SUITE, id: `${r.vector.fn}.${r.vector.id}` }, repro: input.repro,
    details: (r.details ?? []).filter((d) => !d.startsWith('repro: ')),
  };
}

/** Build the revision's C after the series and run every vector through it and the port. */
export function cdiffSection(input: CdiffSectionInput): CdiffSection {
  const none = { ran: null, agreed: null, findings: [], disagreements: [], seconds: null };
  let sources;
  try {
    sources = sourcesAfterSeries(input);
  } catch (e) {
    if (!(e instanceof RebuildError)) throw e;
    sources = { stop: 'fail' as Status, why: e.message, origin: [] };
  }
  if ('stop' in sources) return { origin: sources.origin, results: [row(input, 'build', sources.stop, sources.origin, sources.why)], ...none };
  try {
    const rep = runCdiff({ sources: sources.src, sourceArgs: input.repro, cases: input.cases });
    const summary = [
      ...sources.origin, `built in ${rep.build.seconds.toFixed(2)} s`,
      cdiffSummary(rep),
      ...rep.findings.map((f) => `C sanitizer finding (not judged): ${f}`),
    ];
    return {
      origin: sources.origin, results: [row(input, 'build', 'pass', summary), ...rep.results.map((r) => asReviewRow(input, r))],
      ran: rep.ran, agreed: rep.agreed, findings: rep.findings, disagreements: rep.disagreements, seconds: rep.seconds,
    };
  } catch (e) {
    if (e instanceof CompilerMissing) return { origin: sources.origin, results: [row(input, 'build', 'skip', sources.origin, `${e.message.replace(/^cdiff: /, '')} (cdiff needs gcc)`)], ...none };
    const stopped = e instanceof CdiffBuildError || (e instanceof Error && e.message.startsWith('cdiff: '));
    if (!stopped) throw e;
    const why = (e as Error).message.replace(/^cdiff: /, '');
    return { origin: sources.origin, results: [row(input, 'build', 'fail', sources.origin, why)], ...none };
  }
}
