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
  /** line range in the famfs.c given with --c-source, e.g. "61-91" */
  c_lines: string | null;
  ts: string | null;
  version: string | null;
  vectors: string[];
  note?: string;
}

const ANNOT = /^\/\/ ((?:famfs|inode|file|dev|dir)\.c|fuse_i\.h|famfs_kfmap\.h) (\S+) \((v\d+)/;

function kernelDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'kernel'), path.resolve(__dirname, '..', '..', 'kernel')];
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

/** After `name(` at `pos`, does the parameter list end in ";" (a prototype)? */
function isPrototype(text: string, pos: number): boolean {
  let depth = 0;
  for (let i = text.indexOf('(', pos); i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return /^\s*;/.test(text.slice(i + 1));
  }
  return false;
}

/**
 * Where each famfs.c function and ops table starts and ends in a C source file
 * (the reviewer's own tree). A definition is `name(` at the start of a line
 * (kernel style puts the return type on the line above, which is included) or
 * after its return type, not in a comment, not a prototype; an ops table is
 * `const struct X name =`; a define its #define line. The end is the next line
 * that starts with "}".
 */
export function cLineRanges(source: string): Map<string, string> {
  const lines = source.split('\n');
  const out = new Map<string, string>();
  for (const f of FAMFS_C_FUNCTIONS) {
    const def = f.kind === 'define' ? new RegExp(`^#define\\s+${f.name}\\b`)
      : f.kind === 'ops' ? new RegExp(`^(static\\s+)?const\\s+struct\\s+\\w+\\s+${f.name}\\s*=`)
        : new RegExp(`^(?:[\\w\\s*]*[\\s*])?${f.name}\\s*\\(`);
    const start = lines.findIndex((l, i) => def.test(l) && !/^\s*(\*|\/)/.test(l)
      && (f.kind !== 'function' || !isPrototype(lines.slice(i, i + 12).join('\n'), l.indexOf(f.name))));
    if (start < 0) continue;
    let end = start;
    if (f.kind !== 'define') while (end < lines.length - 1 && !/^\}/.test(lines[end])) end++;
    const typeAbove = f.kind === 'function' && lines[start].startsWith(f.name) && start > 0 && /^[\w\s*]+$/.test(lines[start - 1]);
    out.set(f.name, `${(typeAbove ? start : start + 1)}-${end + 1}`);
  }
  return out;
}

export function buildPortMap(vectors: Vector[], cSource?: string): PortMapRow[] {
  const ann = scanAnnotations().filter((a) => a.cfile === 'famfs.c');
  const lines = cSource === undefined ? new Map<string, string>() : cLineRanges(cSource);
  return FAMFS_C_FUNCTIONS.map((c) => {
    const a = ann.find((x) => x.name === c.name);
    return {
      c_function: c.name,
      kind: c.kind,
      c_lines: lines.get(c.name) ?? null,
      ts: a ? `${a.file}:${a.line}` : null,
      version: a ? a.version : null,
      vectors: vectors.filter((v) => v.fn === c.name).map((v) => v.id),
      note: a ? c.note : 'not ported: no annotation found',
    };
  });
}
