// Which vectors a run takes: shell-style globs over `suite.case` (the suite is
// the C function, the case the vector id) and a deterministic shard of them.
// conformance and cdiff select through the same selectVectors.
import * as fs from 'fs';
import * as path from 'path';
import { builtinVectorFiles, loadVectorText, Vector } from './vectors';

/** A glob (`*`, `?`, `{a,b}`, nestable) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (const c of glob) {
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '{') { re += '(?:'; depth++; }
    else if (c === '}' && depth > 0) { re += ')'; depth--; }
    else if (c === ',' && depth > 0) re += '|';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  if (depth) throw new SelectError(`filter ${glob}: unbalanced {`);
  return new RegExp(`^${re}$`);
}

export class SelectError extends Error {}

/** Split `suite.case` at the first dot outside braces; no dot: one glob for either. */
function splitSuiteCase(glob: string): [string, string] | null {
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}') depth--;
    else if (glob[i] === '.' && depth === 0) return [glob.slice(0, i), glob.slice(i + 1)];
  }
  return null;
}

export interface Named { fn: string; id: string }

/**
 * A predicate for repeatable --filter values: a case is taken when any glob
 * matches. `suite.case` matches the function and the id; a glob without a dot
 * matches either the id or the function name.
 */
export function caseFilter(globs: readonly string[]): (v: Named) => boolean {
  if (!globs.length) return () => true;
  const tests = globs.map((g) => {
    if (!g.trim()) throw new SelectError('--filter: empty glob');
    const parts = splitSuiteCase(g);
    if (parts) {
      const [suite, kase] = parts.map(globToRegExp);
      return (v: Named) => suite.test(v.fn) && kase.test(v.id);
    }
    const re = globToRegExp(g);
    return (v: Named) => re.test(v.id) || re.test(v.fn);
  });
  return (v) => tests.some((t) => t(v));
}

export interface Shard { index: number; count: number }

/** `K/N` with 1 <= K <= N. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new SelectError(`--shard: expected K/N (e.g. 2/4), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count || !Number.isSafeInteger(count)) throw new SelectError(`--shard ${text}: K must be between 1 and N`);
  return { index, count };
}

/** Round-robin by position: every case in exactly one shard, shards within one case of each other in size. */
export function inShard(position: number, shard: Shard | null): boolean {
  return !shard || position % shard.count === shard.index - 1;
}

/** Vector files: the built-in set, or the given files and folders (a folder's *.json, sorted). */
export function vectorFiles(paths: readonly string[] | undefined): string[] {
  if (!paths || !paths.length) return builtinVectorFiles();
  return paths.flatMap((p) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      throw new SelectError(`cannot read vector file ${p}: ${(e as NodeJS.ErrnoException).code}`);
    }
    return st.isDirectory() ? fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(p, f)) : [p];
  });
}

export interface Selected { vector: Vector; file: string; index: number }

/**
 * The cases a run takes, in run order, each with its position among all
 * selected cases (for shards). `readText` reads a vector file (the CLI's
 * bounded reader); a malformed file throws VectorFileError. `keep` narrows
 * the set before the shard split (e.g. to the functions a series touches).
 */
export function selectVectors(paths: readonly string[] | undefined, filters: string | readonly string[] | undefined,
  shard: Shard | null, readText: (file: string) => string, keep: (v: Vector) => boolean = () => true): { cases: Selected[]; total: number } {
  const globs = filters === undefined ? [] : typeof filters === 'string' ? [filters] : filters;
  const glob = caseFilter(globs);
  const take = (v: Vector) => keep(v) && glob(v);
  const all = vectorFiles(paths).flatMap((file) => loadVectorText(readText(file), file).filter(take).map((vector) => ({ vector, file })));
  return { cases: all.map((s, index) => ({ ...s, index })).filter((s) => inShard(s.index, shard)), total: all.length };
}
