// `series FILE.mbox`: the patches of a series (read once by checks/mail.ts),
// whether the series is complete, and for every C hunk the functions it
// defines or changes — what a new revision obliges us to re-check in kernel/.
// In a file the series creates, a hunk's lines are placed in the file before
// and after its patch; elsewhere the hunk is read with git's @@ context.
import { Hunk, inSeriesOrder, MailRead, Patch, Skipped } from './mail';
import { FAMFS_C_FUNCTIONS, PortMapRow } from './portmap';
import { CDefinition, cDefinitions, definedName, headerIsDefinition } from './cscan';
import { applyHunk, RebuildError } from './rebuild';

export interface HunkReport {
  file: string;
  header: string;
  /** functions (and ops tables, known defines) the hunk defines, removes or whose body it changes */
  functions: string[];
}

export interface PatchReport {
  subject: string;
  version: number | null;
  number: number | null;
  total: number | null;
  encoding: string;
  files: string[];
  /** files the patch creates */
  created: string[];
  hunks: HunkReport[];
  problems: string[];
}

export interface Completeness {
  total: number | null;
  present: number[];
  missing: number[];
  duplicates: number[];
  versions: number[];
  unnumbered: number;
  complete: boolean;
  /** e.g. "patches 2,4 of 10 present; missing 1,3,5-10" */
  line: string;
}

export interface SeriesReport {
  patches: PatchReport[];
  skipped: Skipped[];
  completeness: Completeness;
  /** every function touched by the series, in first-touch order */
  touched: string[];
}

const KNOWN_DEFINES = new Set(FAMFS_C_FUNCTIONS.filter((f) => f.kind === 'define').map((f) => f.name));

/** "1,3,5-10" */
export function ranges(ns: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length;) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    out.push(j > i ? `${ns[i]}-${ns[j]}` : `${ns[i]}`);
    i = j + 1;
  }
  return out.join(',');
}

export function completeness(patches: Patch[]): Completeness {
  const numbered = patches.filter((p) => p.number !== null && p.total !== null);
  const totals = new Map<number, number>();
  for (const p of numbered) totals.set(p.total!, (totals.get(p.total!) ?? 0) + 1);
  const total = [...totals.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? null;
  const seen = new Map<number, number>();
  for (const p of numbered) seen.set(p.number!, (seen.get(p.number!) ?? 0) + 1);
  const present = [...seen.keys()].sort((a, b) => a - b);
  const missing = total === null ? [] : Array.from({ length: total }, (_, i) => i + 1).filter((n) => !seen.has(n));
  const duplicates = present.filter((n) => seen.get(n)! > 1);
  const versions = [...new Set(patches.map((p) => p.version).filter((v): v is number => v !== null))].sort((a, b) => a - b);
  const unnumbered = patches.length - numbered.length;
  const parts: string[] = [];
  if (total !== null) parts.push(`patches ${ranges(present)} of ${total} present; ${missing.length ? `missing ${ranges(missing)}` : 'complete'}`);
  if (unnumbered) parts.push(`${unnumbered} unnumbered patch${unnumbered > 1 ? 'es' : ''}`);
  if (duplicates.length) parts.push(`patch ${ranges(duplicates)} given more than once`);
  if (versions.length > 1) parts.push(`mixed revisions v${versions.join(', v')}`);
  if (totals.size > 1) parts.push(`subjects disagree on the total (${[...totals.keys()].join(', ')})`);
  if (!patches.length) parts.push('no patch');
  return {
    total, present, missing, duplicates, versions, unnumbered,
    complete: patches.length > 0 && !missing.length && !duplicates.length && versions.length <= 1 && totals.size <= 1,
    line: parts.join('; '),
  };
}

// ---- touched functions ----------------------------------------------------------

/** The lines of one side of the hunk from index i on, without their marks. */
function sideFrom(lines: string[], i: number, side: string): string[] {
  return lines.slice(i).filter((l, k) => k === 0 || side.includes(l[0])).map((l) => l.slice(1));
}

/**
 * The functions a hunk defines or changes: walk the hunk, with the function
 * git named in the @@ context as the one open at its start; a column-0
 * definition opens a function, a column-0 "}" closes it; each changed line
 * belongs to the function open at that point. Names merely called on a
 * changed line do not count.
 */
export function touchedFunctions(hunk: Hunk): string[] {
  const out: string[] = [];
  const add = (n: string) => { if (!out.includes(n)) out.push(n); };
  // git names the nearest column-0 line above the hunk; a prototype there opens nothing
  const ctx = /;\s*$/.test(hunk.context) ? null : definedName(hunk.context);
  let open: string | null = ctx ? ctx.name : null;
  hunk.lines.forEach((line, i) => {
    const mark = line[0];
    if (mark === '\\') return;
    const text = line.slice(1);
    const changed = mark === '+' || mark === '-';
    const def = definedName(text);
    if (def && (def.kind === 'ops' || headerIsDefinition(sideFrom(hunk.lines, i, mark === '-' ? ' -' : ' +')))) open = def.name;
    if (changed) {
      if (open) add(open);
      else {
        const d = /^#define\s+(\w+)/.exec(text);
        if (d && KNOWN_DEFINES.has(d[1])) add(d[1]);
      }
    }
    if (/^\}/.test(text)) open = null;
  });
  return out;
}

// ---- the report -------------------------------------------------------------------

const C_FILE = /\.[ch]$/;

/** The definition a line (1-based) of a file lies in. */
function enclosing(defs: CDefinition[], line: number): string | null {
  const d = defs.find((x) => (x.kind !== 'define' || KNOWN_DEFINES.has(x.name)) && x.start <= line && line <= x.end);
  return d ? d.name : null;
}

/**
 * By position: each '-' line's place in the file before the patch, each '+'
 * line's place after it, looked up in the definitions of that text. Exact
 * whatever git printed as context (a column-0 label, say), but it needs both
 * texts: files the series creates.
 */
export function touchedByPosition(before: CDefinition[], after: CDefinition[], h: Hunk): string[] {
  const out: string[] = [];
  let o = h.oldStart;
  let n = h.newStart;
  for (const l of h.lines) {
    const name = l[0] === '-' ? enclosing(before, o) : l[0] === '+' ? enclosing(after, n) : null;
    if (name && !out.includes(name)) out.push(name);
    if (l[0] === ' ' || l[0] === '-') o++;
    if (l[0] === ' ' || l[0] === '+') n++;
  }
  return out;
}

const sideAt = (lines: string[], side: string[], start: number) => side.every((l, k) => lines[start + k] === l);

/** Do the hunk's stated lines hold in the texts before and after the patch? */
function positionsHold(before: string[], after: string[], h: Hunk): boolean {
  const old = h.lines.filter((l) => l[0] === ' ' || l[0] === '-').map((l) => l.slice(1));
  const neu = h.lines.filter((l) => l[0] === ' ' || l[0] === '+').map((l) => l.slice(1));
  return sideAt(before, old, Math.max(0, h.oldStart - (h.oldLines ? 1 : 0))) && sideAt(after, neu, Math.max(0, h.newStart - (h.newLines ? 1 : 0)));
}

/**
 * C files the series creates, replayed patch by patch: for each hunk, the
 * texts before and after its patch (when the hunk applies where it says).
 */
function replayCreated(patches: Patch[]): Map<Hunk, { before: CDefinition[]; after: CDefinition[] }> {
  const states = new Map<string, string[]>();
  const out = new Map<Hunk, { before: CDefinition[]; after: CDefinition[] }>();
  for (const p of patches) {
    for (const f of p.files) {
      const path = f.newPath ?? f.oldPath ?? '';
      if (!C_FILE.test(path)) continue;
      const before = f.isNew ? [] : states.get(f.oldPath ?? '');
      if (!before) continue;
      let after = before;
      try {
        for (const h of f.hunks) after = applyHunk(after, h, () => path);
      } catch (e) {
        if (!(e instanceof RebuildError)) throw e;
        states.delete(path); // it no longer follows the series: positions are unknown from here on
        continue;
      }
      states.set(path, after);
      const defsBefore = cDefinitions(before.join('\n'));
      const defsAfter = cDefinitions(after.join('\n'));
      for (const h of f.hunks) if (positionsHold(before, after, h)) out.set(h, { before: defsBefore, after: defsAfter });
    }
  }
  return out;
}

export function analyzeSeries(read: MailRead): SeriesReport {
  const ordered = inSeriesOrder(read.patches);
  const known = replayCreated(ordered);
  const patches = ordered.map((p): PatchReport => {
    const hunks: HunkReport[] = [];
    for (const f of p.files) {
      const file = f.newPath ?? f.oldPath ?? '?';
      for (const h of f.hunks) {
        const pos = known.get(h);
        hunks.push({ file, header: h.header, functions: !C_FILE.test(file) ? [] : pos ? touchedByPosition(pos.before, pos.after, h) : touchedFunctions(h) });
      }
    }
    return {
      subject: p.subject || '(plain diff)', version: p.version, number: p.number, total: p.total, encoding: p.encoding,
      files: p.files.map((f) => f.newPath ?? f.oldPath ?? '?'),
      created: p.files.filter((f) => f.isNew && f.newPath).map((f) => f.newPath!),
      hunks, problems: p.problems,
    };
  });
  const touched: string[] = [];
  for (const h of patches.flatMap((p) => p.hunks)) for (const n of h.functions) if (!touched.includes(n)) touched.push(n);
  return { patches, skipped: read.skipped, completeness: completeness(read.patches), touched };
}

/** Functions the series touches in one file (e.g. fs/fuse/famfs.c). */
export function touchedIn(report: SeriesReport, fileSuffix: string): string[] {
  const out: string[] = [];
  for (const h of report.patches.flatMap((p) => p.hunks)) if (h.file.endsWith(fileSuffix)) for (const n of h.functions) if (!out.includes(n)) out.push(n);
  return out;
}

/** The port-map rows a series obliges a reviewer to re-check (its famfs.c functions). */
export function rowsToRecheck(report: SeriesReport, portmap: PortMapRow[]): PortMapRow[] {
  const names = new Set(touchedIn(report, 'fs/fuse/famfs.c'));
  return portmap.filter((r) => names.has(r.c_function));
}
