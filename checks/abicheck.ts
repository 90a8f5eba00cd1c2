// `abi --check FILE`: the uapi definitions a patch, an mbox of a series or a
// whole fuse.h carries, compared with the modelled ABI (uapi/fuse.ts).
// Only uapi counts: the new side of hunks of include/uapi/linux/fuse.h (mail
// decoded by checks/mail.ts), or a whole header. Kernel-internal headers such
// as fs/fuse/famfs_kfmap.h are not ABI; they belong to the port map.
import { computeCLayout, CType } from '../uapi/layout';
import { FAMFS_CONSTANTS, FAMFS_STRUCTS, FUSE_INIT_FLAGS, fuse_famfs_file_type, famfs_ext_type } from '../uapi/fuse';
import { readMail, Hunk, MailRead } from './mail';

export type AbiDiffKind = 'field_added' | 'field_removed' | 'field_moved' | 'field_resized' | 'struct_size' | 'struct_new'
  | 'value_changed' | 'enum_member_added' | 'enum_member_removed' | 'definition_missing';

export interface AbiDiff {
  what: string;
  kind: AbiDiffKind;
  detail: string;
  /** where it was read: "include/uapi/linux/fuse.h @@ -1318,6 +1325,55 @@" or "header" */
  where: string;
}

/** A piece of uapi text the check reads. */
export interface AbiSource { where: string; text: string }

export interface AbiResult {
  mode: 'patch' | 'header';
  sources: AbiSource[];
  /** files with hunks that are not uapi (kernel-internal headers and the like) */
  ignored: string[];
  /** modelled definitions found and compared, in reading order */
  compared: string[];
  /** how many of them are famfs definitions (0: nothing to gate on) */
  famfs: number;
  diffs: AbiDiff[];
}

const UAPI_FILE = /(^|\/)(include\/uapi\/linux\/fuse\.h|fuse_kernel\.h)$/;

const CTYPES: Record<string, string> = {
  uint8_t: 'u8', __u8: 'u8', uint16_t: 'u16', __u16: 'u16', uint32_t: 'u32', __u32: 'u32', uint64_t: 'u64', __u64: 'u64',
  int32_t: 's32', __s32: 's32', int64_t: 's64', __s64: 's64', char: 'char',
};

/** Modelled values: famfs constants and the INIT flag space. */
const MODEL_VALUES: Record<string, bigint> = Object.fromEntries([
  ...Object.entries(FUSE_INIT_FLAGS).map(([k, v]) => [k, v]),
  ...Object.entries(FAMFS_CONSTANTS).map(([k, v]) => [k, BigInt(v)]),
]);
const MODEL_ENUMS: Record<string, string[]> = {
  fuse_famfs_file_type: Object.keys(fuse_famfs_file_type).filter((k) => Number.isNaN(Number(k))),
  famfs_ext_type: Object.keys(famfs_ext_type).filter((k) => Number.isNaN(Number(k))),
};
/** Base-fuse names compared when seen but not what makes a file famfs uapi. */
const NOT_FAMFS = new Set([...Object.keys(FUSE_INIT_FLAGS).filter((k) => k !== 'FUSE_DAX_FMAP'), 'FUSE_KERNEL_MINOR_VERSION']);
const INIT_FLAG_NAMES = new Set(Object.keys(FUSE_INIT_FLAGS));

// ---- where the uapi text comes from ------------------------------------------------

/** The new side of a hunk: what the file reads like after the patch. */
function newSide(h: Hunk): string {
  return h.lines.filter((l) => l[0] === ' ' || l[0] === '+').map((l) => l.slice(1)).join('\n');
}

/** The uapi text of a mail already read (patch mode), or of the raw input as a whole header. */
export function abiSources(read: MailRead, raw: Buffer | string): Pick<AbiResult, 'mode' | 'sources' | 'ignored'> {
  if (!read.patches.length) {
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    return { mode: 'header', sources: [{ where: 'header', text }], ignored: [] };
  }
  const sources: AbiSource[] = [];
  const ignored: string[] = [];
  for (const f of read.patches.flatMap((p) => p.files)) {
    const file = f.newPath ?? f.oldPath ?? '?';
    if (!UAPI_FILE.test(file)) { if (!ignored.includes(file)) ignored.push(file); continue; }
    for (const h of f.hunks) sources.push({ where: `${file} ${h.header.replace(/ @@.*/, ' @@')}`, text: newSide(h) });
  }
  return { mode: 'patch', sources, ignored };
}

// ---- reading C definitions ------------------------------------------------------------

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\*[\s\S]*$/, ' ').replace(/^[\s\S]*?\*\//, ' ').replace(/\/\/.*$/gm, ' ');
}

/** The C text of a value as written, without outer parentheses. */
function cText(expr: string): string {
  let e = expr.trim().replace(/\s+/g, ' ');
  while (/^\(.*\)$/.test(e) && balanced(e.slice(1, -1))) e = e.slice(1, -1).trim();
  return e;
}

function balanced(s: string): boolean {
  let d = 0;
  for (const c of s) { if (c === '(') d++; else if (c === ')' && --d < 0) return false; }
  return d === 0;
}

/** Integer constant expressions of uapi headers: N, 0xN, N << M, with U/L suffixes and parentheses. */
export function evalCInt(expr: string): bigint | null {
  const e = cText(expr).replace(/\b(0x[0-9a-f]+|\d+)(?:u|l|ul|lu|ll|ull|llu)\b/gi, '$1');
  const shift = /^\(?\s*(0x[0-9a-f]+|\d+)\s*\)?\s*<<\s*\(?\s*(\d+)\s*\)?$/i.exec(e);
  if (shift) return BigInt(shift[1]) << BigInt(shift[2]);
  if (/^(0x[0-9a-f]+|\d+)$/i.test(e)) return BigInt(e);
  return null;
}

/** How the C would write a modelled value. */
function modelText(name: string, v: bigint): string {
  if (INIT_FLAG_NAMES.has(name) && v > 0n && (v & (v - 1n)) === 0n) {
    const bit = v.toString(2).length - 1;
    return bit >= 32 ? `1ULL << ${bit}` : `1 << ${bit}`;
  }
  return v.toString();
}

interface FoundValue { name: string; text: string; value: bigint | null; how: string }
interface FoundEnum { name: string; members: FoundValue[] }
interface FoundStruct { name: string; fields: [string, CType][] }

/** `struct NAME { ... };` blocks with their brace-matched bodies. */
function structBlocks(src: string): { name: string; body: string; start: number; end: number }[] {
  const out: { name: string; body: string; start: number; end: number }[] = [];
  const re = /\bstruct\s+(\w+)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < src.length && depth > 0; i++) { if (src[i] === '{') depth++; else if (src[i] === '}') depth--; }
    if (depth > 0) break; // cut off by the hunk: not a whole definition, and nothing after it closes
    out.push({ name: m[1], body: src.slice(m.index + m[0].length, i - 1), start: m.index, end: i });
    re.lastIndex = i;
  }
  return out;
}

function parseFields(body: string): [string, CType][] {
  const fields: [string, CType][] = [];
  for (const decl of body.split(';').map((d) => d.trim().replace(/\s+/g, ' ')).filter(Boolean)) {
    const f = /^(?:const )?(\w+) (\w+)(?: ?\[(\w+)\])?$/.exec(decl);
    if (!f || !CTYPES[f[1]]) continue;
    const base = CTYPES[f[1]];
    const dim = f[3] ? Number(MODEL_VALUES[f[3]] ?? f[3]) : 0;
    fields.push([f[2], (dim ? `${base}[${dim}]` : base === 'char' ? 'char[1]' : base) as CType]);
  }
  return fields;
}

function parseEnums(src: string): { enums: FoundEnum[]; rest: string } {
  const enums: FoundEnum[] = [];
  const rest = src.replace(/\benum\s+(\w+)\s*\{([^}]*)\}/g, (_all, name: string, body: string) => {
    const members: FoundValue[] = [];
    let next: bigint | null = 0n;
    for (const item of body.split(',').map((x) => x.trim()).filter(Boolean)) {
      const m = /^(\w+)(?:\s*=\s*(.+))?$/s.exec(item);
      if (!m) continue;
      const value: bigint | null = m[2] !== undefined ? evalCInt(m[2]) : next;
      members.push({ name: m[1], text: m[2] !== undefined ? cText(m[2]) : `${value} (by position)`, value, how: `enum ${name}` });
      next = value === null ? null : value + 1n;
    }
    enums.push({ name, members });
    return ' ';
  });
  return { enums, rest };
}

interface Definitions { values: FoundValue[]; enums: FoundEnum[]; structs: FoundStruct[] }

export function readDefinitions(text: string): Definitions {
  const src = stripComments(text);
  const structs = structBlocks(src).map((b) => ({ name: b.name, fields: parseFields(b.body) }));
  const { enums, rest } = parseEnums(src);
  const values: FoundValue[] = [];
  for (const m of rest.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+([^\n]+)$/gm)) values.push({ name: m[1], text: cText(m[2]), value: evalCInt(m[2]), how: '#define' });
  // members of an enum whose opening is outside the hunk: only explicit values mean anything
  for (const m of rest.matchAll(/^[ \t]*([A-Z][A-Z0-9_]*)[ \t]*=[ \t]*([^,;\n]+?)[ \t]*,?[ \t]*$/gm)) values.push({ name: m[1], text: cText(m[2]), value: evalCInt(m[2]), how: 'explicit' });
  for (const e of enums) values.push(...e.members);
  return { values, enums, structs };
}

// ---- comparing --------------------------------------------------------------------------

function compareStruct(ps: FoundStruct, where: string, diffs: AbiDiff[]): void {
  const model = FAMFS_STRUCTS.find((s) => s.name === ps.name)!;
  const lay = computeCLayout(ps.fields);
  const hex = (n: number) => `0x${n.toString(16)}`;
  ps.fields.forEach(([name, ctype], i) => {
    const mf = model.fields.find((f) => f.name === name);
    if (!mf) { diffs.push({ what: `struct ${ps.name}.${name}`, kind: 'field_added', detail: `${ctype} at offset ${hex(lay.offsets[i])}`, where }); return; }
    const size = computeCLayout([[name, ctype]]).size;
    if (mf.ctype !== ctype && size !== mf.size) diffs.push({ what: `struct ${ps.name}.${name}`, kind: 'field_resized', detail: `model ${mf.ctype} (${mf.size} bytes), found ${ctype} (${size} bytes)`, where });
    if (mf.offset !== lay.offsets[i]) diffs.push({ what: `struct ${ps.name}.${name}`, kind: 'field_moved', detail: `model offset ${hex(mf.offset)}, found ${hex(lay.offsets[i])}`, where });
  });
  for (const mf of model.fields) if (!ps.fields.some(([n]) => n === mf.name)) diffs.push({ what: `struct ${ps.name}.${mf.name}`, kind: 'field_removed', detail: `model has ${mf.ctype} at offset ${hex(mf.offset)}`, where });
  if (lay.size !== model.size) diffs.push({ what: `struct ${ps.name}`, kind: 'struct_size', detail: `model sizeof ${model.size} (${hex(model.size)}), found ${lay.size} (${hex(lay.size)})`, where });
}

function compareSource(src: AbiSource, res: AbiResult, seen: Set<string>): void {
  const defs = readDefinitions(src.text);
  // a famfs-looking struct the model lacks is uapi drift in a fuse.h hunk, but it does not make a
  // whole header uapi: famfs_kfmap.h has such structs and no modelled definition
  const note = (name: string, modelled = true) => {
    if (seen.has(name)) return;
    seen.add(name);
    res.compared.push(name);
    if (!NOT_FAMFS.has(name) && (modelled || res.mode === 'patch')) res.famfs++;
  };
  for (const v of defs.values) {
    const model = MODEL_VALUES[v.name];
    if (model === undefined) continue;
    note(v.name);
    if (v.value === null) res.diffs.push({ what: v.name, kind: 'value_changed', detail: `model ${modelText(v.name, model)}, found ${v.text} (not a constant the check can evaluate)`, where: src.where });
    else if (v.value !== model) res.diffs.push({ what: v.name, kind: 'value_changed', detail: `model ${modelText(v.name, model)}, found ${v.text}${v.how.startsWith('enum ') ? ` in ${v.how}` : ''}`, where: src.where });
  }
  for (const e of defs.enums) {
    const model = MODEL_ENUMS[e.name];
    if (!model) continue;
    note(`enum ${e.name}`);
    for (const m of model) if (!e.members.some((x) => x.name === m)) res.diffs.push({ what: `enum ${e.name}.${m}`, kind: 'enum_member_removed', detail: `model has ${m} = ${MODEL_VALUES[m]}`, where: src.where });
    for (const x of e.members) if (!model.includes(x.name)) res.diffs.push({ what: `enum ${e.name}.${x.name}`, kind: 'enum_member_added', detail: `not in the model (${x.text})`, where: src.where });
  }
  for (const ps of defs.structs) {
    if (FAMFS_STRUCTS.some((s) => s.name === ps.name)) { note(`struct ${ps.name}`); compareStruct(ps, src.where, res.diffs); continue; }
    if (/famfs|daxdev|fmap/i.test(ps.name)) {
      note(`struct ${ps.name}`, false);
      res.diffs.push({ what: `struct ${ps.name}`, kind: 'struct_new', detail: `not in the model (${ps.fields.length} fields, sizeof ${computeCLayout(ps.fields).size})`, where: src.where });
    }
  }
}

/** A whole header must carry every modelled famfs definition. */
function missingFromHeader(res: AbiResult): void {
  const wanted = [
    ...Object.keys(FAMFS_CONSTANTS).filter((k) => !NOT_FAMFS.has(k)),
    ...Object.keys(MODEL_ENUMS).map((e) => `enum ${e}`),
    ...FAMFS_STRUCTS.map((s) => `struct ${s.name}`),
  ];
  for (const w of wanted) if (!res.compared.includes(w)) res.diffs.push({ what: w, kind: 'definition_missing', detail: 'modelled, not in the header', where: 'header' });
}

/** Check a mail already read by checks/mail.ts (`raw` is used when it holds no patch: a whole header). */
export function checkAbiRead(read: MailRead, raw: Buffer | string): AbiResult {
  const res: AbiResult = { ...abiSources(read, raw), compared: [], famfs: 0, diffs: [] };
  const seen = new Set<string>();
  for (const s of res.sources) compareSource(s, res, seen);
  if (res.mode === 'header' && res.famfs > 0) missingFromHeader(res);
  return res;
}

export function checkAbi(input: Buffer | string): AbiResult {
  return checkAbiRead(readMail(input), input);
}
