// Files rebuilt from a series' hunks (the minimal form review needs; cdiff may
// grow it): a file the series creates, or a base file the series patches,
// with every later hunk of that file applied in order. A hunk applies where
// its old side matches the text, at its stated line or the nearest offset (as
// patch(1) does without fuzz); one that matches nowhere is reported, never forced.
import type { Hunk, Patch } from './mail';

export interface Rebuilt {
  path: string;
  text: string;
  /** subjects of the patches whose hunks were applied, in order */
  applied: string[];
  problems: string[];
}

function oldSide(h: Hunk): string[] {
  return h.lines.filter((l) => l[0] === ' ' || l[0] === '-').map((l) => l.slice(1));
}

function newSide(h: Hunk): string[] {
  return h.lines.filter((l) => l[0] === ' ' || l[0] === '+').map((l) => l.slice(1));
}

function matchesAt(lines: string[], old: string[], at: number): boolean {
  if (at < 0 || at + old.length > lines.length) return false;
  return old.every((l, k) => lines[at + k].trimEnd() === l.trimEnd());
}

/** Apply hunks to a text, in order; returns the new text and what did not apply. */
export function applyHunks(text: string, hunks: Hunk[], label: string): { text: string; problems: string[] } {
  let lines = text.length ? text.replace(/\n$/, '').split('\n') : [];
  const problems: string[] = [];
  let shift = 0; // lines added minus removed by the hunks applied so far
  for (const h of hunks) {
    const old = oldSide(h);
    const want = Math.max(0, (h.oldLines === 0 ? h.oldStart : h.oldStart - 1) + shift);
    let at = -1;
    for (let d = 0; d <= lines.length && at < 0; d++) {
      if (matchesAt(lines, old, want - d)) at = want - d;
      else if (d && matchesAt(lines, old, want + d)) at = want + d;
    }
    if (at < 0) { problems.push(`${label}: hunk ${h.header.replace(/ @@.*/, ' @@')} does not apply`); continue; }
    const add = newSide(h);
    lines = [...lines.slice(0, at), ...add, ...lines.slice(at + old.length)];
    shift += add.length - old.length + (at - want);
  }
  return { text: lines.length ? lines.join('\n') + '\n' : '', problems };
}

/**
 * The file at `path` after the series: created by one of its patches, or
 * `base` (the file the series applies to) when given; null when neither.
 */
export function rebuildFile(patches: Patch[], path: string, base?: string): Rebuilt | null {
  let out: Rebuilt | null = base === undefined ? null : { path, text: base, applied: [], problems: [] };
  for (const p of patches) {
    for (const f of p.files) {
      if ((f.newPath ?? f.oldPath) !== path && f.oldPath !== path) continue;
      if (f.isNew) out = { path, text: '', applied: [], problems: [] };
      if (!out) continue; // patches a file we do not have
      if (f.isDeleted) { out.problems.push(`${path}: deleted by ${p.subject}`); out.text = ''; continue; }
      const r = applyHunks(out.text, f.hunks, `${path} (${p.subject || 'plain diff'})`);
      out.text = r.text;
      out.problems.push(...r.problems);
      out.applied.push(p.subject || '(plain diff)');
    }
  }
  return out;
}
