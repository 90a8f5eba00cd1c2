// The port map: every function of fs/fuse/famfs.c (v9) with its TypeScript twin
// (file:line, from the `// famfs.c NAME (v9)` annotations in kernel/) and the
// vectors that exercise it. Generated from the sources, so it cannot drift.
import * as fs from 'fs';
import * as path from 'path';
import type { Vector } from './vectors';

/** fs/fuse/famfs.c v9, in file order (functions and the ops tables). */
export const FAMFS_C_FUNCTIONS: { name: string; kind: 'function' | 'ops' | 'define'; note?: string }[] = [
  { name: 'famfs_dax_notify_failure', kind: 'function' },
  { name: 'famfs_fuse_dax_holder_ops', kind: 'ops' },
  { name: 'famfs_dax_aops', kind: 'ops' },
  { name: 'famfs_teardown', kind: 'function' },
  { name: 'famfs_verify_daxdev', kind: 'function' },
  { name: 'famfs_fuse_get_daxdev', kind: 'function' },
  { name: 'famfs_update_daxdev_table', kind: 'function' },
  { name: 'famfs_set_daxdev_err', kind: 'function' },
  { name: '__famfs_meta_free', kind: 'function' },
  { name: 'famfs_check_ext_alignment', kind: 'function' },
  { name: 'famfs_fuse_meta_alloc', kind: 'function' },
  { name: 'famfs_file_init_dax', kind: 'function' },
  { name: 'famfs_dax_err', kind: 'function' },
  { name: 'famfs_interleave_fileofs_to_daxofs', kind: 'function' },
  { name: 'famfs_fileofs_to_daxofs', kind: 'function' },
  { name: 'famfs_fuse_iomap_begin', kind: 'function' },
  { name: 'famfs_iomap_ops', kind: 'ops' },
  { name: '__famfs_fuse_filemap_fault', kind: 'function' },
  { name: 'famfs_is_write_fault', kind: 'function' },
  { name: 'famfs_filemap_fault', kind: 'function' },
  { name: 'famfs_filemap_huge_fault', kind: 'function' },
  { name: 'famfs_filemap_mkwrite', kind: 'function' },
  { name: 'famfs_file_vm_ops', kind: 'ops', note: '.map_pages = filemap_map_pages is not modelled (no page cache)' },
  { name: 'famfs_file_bad', kind: 'function' },
  { name: 'famfs_fuse_rw_prep', kind: 'function' },
  { name: 'famfs_fuse_read_iter', kind: 'function' },
  { name: 'famfs_fuse_write_iter', kind: 'function' },
  { name: 'famfs_fuse_mmap', kind: 'function' },
  { name: 'FMAP_BUFSIZE', kind: 'define' },
  { name: 'fuse_get_fmap', kind: 'function' },
];

export interface Annotation { cfile: string; name: string; version: string; file: string; line: number }

export interface PortMapRow {
  c_function: string;
  kind: string;
  ts: string | null;
  version: string | null;
  vectors: string[];
  note?: string;
}

const ANNOT = /^\/\/ ((?:famfs|inode|file|dev|dir)\.c|fuse_i\.h|famfs_kfmap\.h) (\S+) \((v\d+)/;

function kernelDir(): string {
  const candidates = [path.resolve(__dirname, '..', '..', 'kernel'), path.resolve(__dirname, '..', '..', '..', 'kernel')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'famfs.ts'))) ?? candidates[0];
}

/** All `// <cfile> <name> (vN)` annotations under kernel/. */
export function scanAnnotations(dir = kernelDir()): Annotation[] {
  const out: Annotation[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
    fs.readFileSync(path.join(dir, f), 'utf8').split('\n').forEach((text, i) => {
      const m = ANNOT.exec(text.trim());
      if (m) out.push({ cfile: m[1], name: m[2], version: m[3], file: `kernel/${f}`, line: i + 1 });
    });
  }
  return out;
}

/**
 * Functions and ops tables in kernel/famfs.ts without an annotation (or a
 * "(port helper)" doc comment) in the three lines above them.
 */
export function unannotated(dir = kernelDir()): string[] {
  const lines = fs.readFileSync(path.join(dir, 'famfs.ts'), 'utf8').split('\n');
  const missing: string[] = [];
  lines.forEach((l, i) => {
    const m = /^(?:export )?(?:function (\w+)|const (\w+)\s*(?::[^=]+)?=)/.exec(l);
    if (!m) return;
    const before = lines.slice(Math.max(0, i - 4), i).join('\n');
    if (!ANNOT.test(before.split('\n').map((x) => x.trim()).find((x) => ANNOT.test(x)) ?? '') && !before.includes('(port helper)')) {
      missing.push(`${m[1] ?? m[2]} (kernel/famfs.ts:${i + 1})`);
    }
  });
  return missing;
}

export function buildPortMap(vectors: Vector[]): PortMapRow[] {
  const ann = scanAnnotations().filter((a) => a.cfile === 'famfs.c');
  return FAMFS_C_FUNCTIONS.map((c) => {
    const a = ann.find((x) => x.name === c.name);
    return {
      c_function: c.name,
      kind: c.kind,
      ts: a ? `${a.file}:${a.line}` : null,
      version: a ? a.version : null,
      vectors: vectors.filter((v) => v.fn === c.name).map((v) => v.id),
      note: a ? c.note : 'not ported: no annotation found',
    };
  });
}
