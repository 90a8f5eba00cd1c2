// The port map: every function of fs/fuse/famfs.c (v9) with its TypeScript twin
// (file:line, from the `// famfs.c NAME (v9)` annotations in kernel/) and the
// vectors that exercise it. Generated from the sources, so it cannot drift.
import * as fs from 'fs';
import * as path from 'path';
import type { Vector } from './vectors';
import { cDefinitions } from './cscan';

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

/**
 * Where each famfs.c function, ops table and define of the port map starts and
 * ends in a C source file (the reviewer's own tree), e.g. "61-91"; comments
 * and prototypes are not definitions (see checks/cscan.ts).
 */
export function cLineRanges(source: string): Map<string, string> {
  const known = new Set(FAMFS_C_FUNCTIONS.map((f) => f.name));
  const out = new Map<string, string>();
  for (const d of cDefinitions(source)) if (known.has(d.name) && !out.has(d.name)) out.set(d.name, `${d.start}-${d.end}`);
  return out;
}

export interface PortMapDrift {
  /** C functions and ops tables of the file with no TS twin (a new function in a revision) */
  untwinned: { name: string; lines: string }[];
  /** TS twins whose C function the file no longer has */
  gone: { name: string; ts: string }[];
  /** functions whose body differs from the ported revision's (--ported-c): the port needs review */
  changed: { name: string; lines: string }[];
}

/**
 * Drift between a revision's famfs.c and the port: every C function with no
 * `// famfs.c NAME` twin in kernel/, every twin whose C function is gone, and,
 * given the C of the ported revision, every function whose body changed.
 */
export function portMapDrift(cSource: string, portedC?: string): PortMapDrift {
  const twins = scanAnnotations().filter((a) => a.cfile === 'famfs.c');
  const defs = cDefinitions(cSource);
  const twinned = new Set(twins.map((t) => t.name));
  const defined = new Set(defs.map((d) => d.name));
  const untwinned = defs.filter((d) => d.kind !== 'define' && !twinned.has(d.name)).map((d) => ({ name: d.name, lines: `${d.start}-${d.end}` }));
  const gone = twins.filter((t) => !defined.has(t.name)).map((t) => ({ name: t.name, ts: `${t.file}:${t.line}` }));
  const changed: PortMapDrift['changed'] = [];
  if (portedC !== undefined) {
    const before = new Map(cDefinitions(portedC).map((d) => [d.name, d.normalized]));
    for (const d of defs) if (twinned.has(d.name) && before.has(d.name) && before.get(d.name) !== d.normalized) changed.push({ name: d.name, lines: `${d.start}-${d.end}` });
  }
  return { untwinned: dedupe(untwinned), gone, changed: dedupe(changed) };
}

function dedupe<T extends { name: string }>(xs: T[]): T[] {
  return xs.filter((x, i) => xs.findIndex((y) => y.name === x.name) === i);
}

export function driftCount(d: PortMapDrift): number {
  return d.untwinned.length + d.gone.length + d.changed.length;
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
