// Files a series creates, rebuilt from its own hunks in patch order (no kernel
// tree). The minimal form review needs, written before cdiff's; it keeps the
// names and behaviour cdiff's checks/rebuild.ts gives (rebuildSeries,
// applyHunk, RebuildError), so either serves review. A hunk applies at its
// stated line, else at the one place its old side matches; never forced.
import type { FileDiff, Hunk, Patch } from './mail';
import { inSeriesOrder } from './mail';

export class RebuildError extends Error {}

export const FAMFS_C = 'fs/fuse/famfs.c';

export interface Rebuilt {
  /** every file the series creates, as it stands after the last patch */
  files: Map<string, string>;
  patches: number;
}

/** Apply one hunk: its old side (context and '-') must match at its line, else at exactly one place. */
export function applyHunk(lines: string[], h: Hunk, say: () => string): string[] {
  const body = h.lines.filter((l) => !l.startsWith('\\'));
  const oldSide = body.filter((l) => l[0] !== '+').map((l) => l.slice(1));
  const newSide = body.filter((l) => l[0] !== '-').map((l) => l.slice(1));
  const at = (i: number) => i >= 0 && i + oldSide.length <= lines.length && oldSide.every((l, k) => lines[i + k] === l);
  let start = Math.max(0, h.oldStart - (h.oldLines === 0 ? 0 : 1));
  if (!at(start)) {
    const hits = lines.map((_, i) => i).filter(at);
    if (hits.length !== 1) throw new RebuildError(`${say()} does not apply${hits.length ? ` (matches ${hits.length} places)` : ''}`);
    start = hits[0];
  }
  return [...lines.slice(0, start), ...newSide, ...lines.slice(start + oldSide.length)];
}

const hunkWhere = (p: Patch, h: Hunk, path: string) => `${path}: hunk ${h.header.replace(/ @@.*/, ' @@')} of "${p.subject || p.title}"`;

function applyFile(files: Map<string, string[]>, p: Patch, f: FileDiff): void {
  const path = (f.newPath ?? f.oldPath) as string;
  if (f.isDeleted) { files.delete(f.oldPath as string); return; }
  let lines = f.isNew ? [] : files.get(f.oldPath as string);
  if (!lines) return; // a kernel file the series does not create: not ours to rebuild
  if (f.binary) throw new RebuildError(`${path}: binary patch in "${p.subject}" cannot be applied`);
  for (const h of f.hunks) lines = applyHunk(lines, h, () => hunkWhere(p, h, path));
  if (f.oldPath && f.oldPath !== path) files.delete(f.oldPath);
  files.set(path, lines);
}

/** Rebuild the files the series creates, in patch order. */
export function rebuildSeries(patches: Patch[]): Rebuilt {
  const ordered = inSeriesOrder(patches);
  const files = new Map<string, string[]>();
  for (const p of ordered) for (const f of p.files) applyFile(files, p, f);
  return { files: new Map([...files].map(([k, v]) => [k, v.join('\n') + '\n'])), patches: ordered.length };
}
