// cdiff --series: famfs.c and famfs_kfmap.h are files the series creates, so
// they are rebuilt from the series' own hunks in patch order — no kernel tree.
// The uapi definitions come from the hunks of include/uapi/linux/fuse.h: the
// complete constructs they add (#defines, structs, enums, inline helpers) and
// the enum members they add to existing enums.
import type { FileDiff, Hunk, Patch } from './mail';

export class RebuildError extends Error {}

export const FAMFS_C = 'fs/fuse/famfs.c';
export const FAMFS_KFMAP = 'fs/fuse/famfs_kfmap.h';
export const UAPI_FUSE = 'include/uapi/linux/fuse.h';

export interface Rebuilt {
  /** every file the series creates, as it stands after the last patch */
  files: Map<string, string>;
  /** the uapi definitions the series adds, as one header body */
  uapi: string;
  patches: number;
}

const where = (p: Patch, h: Hunk, path: string) => `${path}: hunk ${h.header.replace(/ @@.*/, ' @@')} of "${p.subject || p.title}"`;

/** Apply one hunk: its old side (context and '-') must match at its line, else anywhere once. */
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

function applyFile(files: Map<string, string[]>, p: Patch, f: FileDiff): void {
  const path = (f.newPath ?? f.oldPath) as string;
  if (f.isDeleted) { files.delete(f.oldPath as string); return; }
  let lines = f.isNew ? [] : files.get(f.oldPath as string);
  if (!lines) return; // a kernel file the series does not create: not ours to rebuild
  if (f.binary) throw new RebuildError(`${path}: binary patch in "${p.subject}" cannot be applied`);
  for (const h of f.hunks) lines = applyHunk(lines, h, () => where(p, h, path));
  if (f.oldPath && f.oldPath !== path) files.delete(f.oldPath);
  files.set(path, lines);
}

/** The complete constructs and enum members a list of added lines defines. */
export function uapiFromAdded(added: string[]): string {
  const out: string[] = [];
  const members: string[] = [];
  let block: string[] = [];
  let depth = 0;
  let inComment = false;
  for (const raw of added) {
    const l = raw.replace(/\/\/.*$/, '');
    if (inComment) { if (l.includes('*/')) inComment = false; continue; }
    if (!block.length && /^\s*\/\*/.test(l)) { if (!l.includes('*/')) inComment = true; continue; }
    if (block.length || /^\s*(struct|enum|union|static)\b/.test(l)) {
      block.push(raw);
      depth += (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;
      if (depth <= 0 && /[};]\s*$/.test(l.trim()) && l.includes('}')) { out.push(...block); block = []; depth = 0; }
      continue;
    }
    if (/^\s*#\s*define\b/.test(l)) { out.push(raw); continue; }
    const m = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*([^,]+?)\s*,?\s*(\/\*.*)?$/.exec(l);
    if (m) members.push(`\t${m[1]} = ${m[2]},`);
  }
  if (members.length) out.push('enum cdiff_series_added_members {', ...members, '};');
  return out.join('\n') + '\n';
}

/** Rebuild the files the series creates, in patch order, and collect its uapi additions. */
export function rebuildSeries(patches: Patch[]): Rebuilt {
  const ordered = [...patches].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  const files = new Map<string, string[]>();
  const added: string[] = [];
  for (const p of ordered) {
    for (const f of p.files) {
      applyFile(files, p, f);
      if ((f.newPath ?? f.oldPath) === UAPI_FUSE) for (const h of f.hunks) added.push(...h.lines.filter((l) => l[0] === '+').map((l) => l.slice(1)));
    }
  }
  const text = new Map([...files].map(([k, v]) => [k, v.join('\n') + '\n']));
  return { files: text, uapi: uapiFromAdded(added), patches: ordered.length };
}
