// __famfs_logplay(): replay the log into a tree, with famfs's rules: relative
// paths only; no simple extent may start at offset 0 (only the superblock does);
// a file where a directory should be is an error; paths already present are
// skipped. Parents of a file are created as directories (as mkdir -p would log).
import { famfs_log_ext_type } from './format';
import type { FileEntry, LogEntry, MkdirEntry } from './image';

export interface TreeNode {
  kind: 'dir' | 'file';
  mode: number;
  uid: number;
  gid: number;
  /** the FILE entry (files only) */
  file?: FileEntry;
}

export interface PlayResult {
  tree: Map<string, TreeNode>;
  errors: string[];
  skipped: number;
}

function parentsOk(tree: Map<string, TreeNode>, rel: string, errors: string[]): boolean {
  const parts = rel.split('/').filter(Boolean);
  let p = '';
  for (const part of parts.slice(0, -1)) {
    p = p ? `${p}/${part}` : part;
    const n = tree.get(p);
    if (n?.kind === 'file') { errors.push(`${rel}: ${p} is a file, not a directory`); return false; }
    if (!n) tree.set(p, { kind: 'dir', mode: 0o755, uid: 0, gid: 0 });
  }
  return true;
}

/**
 * The offset-0 rule loops over se[] by fmap_nextents. For an interleaved file
 * that count is niext (1) and se[0].se_offset overlaps ie[0].ie_chunk_size, so
 * famfs really checks the chunk size there (never 0): strip offsets go unchecked.
 */
function offsetZeroRule(f: FileEntry): boolean {
  if (f.ext_type === famfs_log_ext_type.FAMFS_EXT_INTERLEAVE) return f.interleave !== null && f.interleave.chunk_size === 0n && f.nextents > 0;
  return f.extents.slice(0, f.nextents).some((e) => e.offset === 0n);
}

export function logplay(entries: LogEntry[]): PlayResult {
  const tree = new Map<string, TreeNode>();
  const errors: string[] = [];
  let skipped = 0;
  for (const e of entries) {
    if (e.type !== 'file' && e.type !== 'mkdir') continue; // ADD_DAXDEV, DELETE, ...: not played
    const ent = e as FileEntry | MkdirEntry;
    const rel = ent.relpath.replace(/\/+$/, '');
    if (!rel || rel.startsWith('/')) { errors.push(`entry ${e.index}: path '${ent.relpath}' is not relative`); continue; }
    if (!parentsOk(tree, rel, errors)) continue;
    const existing = tree.get(rel);
    if (ent.type === 'mkdir') {
      if (existing?.kind === 'file') errors.push(`${rel}: mkdir over a file`);
      else if (existing) skipped++;
      else tree.set(rel, { kind: 'dir', mode: ent.mode, uid: ent.uid, gid: ent.gid });
      continue;
    }
    if (offsetZeroRule(ent)) { errors.push(`${rel}: extent at offset 0 (only the superblock lives there)`); continue; }
    if (existing) { skipped++; continue; }
    tree.set(rel, { kind: 'file', mode: ent.mode, uid: ent.uid, gid: ent.gid, file: ent });
  }
  return { tree, errors, skipped };
}
