// ABI drift check: read the famfs definitions out of a patch, an mbox of a
// series (added lines only) or a fuse.h header, compute their x86-64 C layout
// and report every difference from the modelled uapi.
import { computeCLayout, CType, lookupStruct } from '../uapi/layout';
import { FAMFS_CONSTANTS, FAMFS_STRUCTS } from '../uapi/fuse';

export interface AbiDiff {
  what: string;
  kind: 'field_added' | 'field_removed' | 'field_moved' | 'field_resized' | 'struct_size' | 'struct_new' | 'value_changed';
  detail: string;
}

const CTYPES: Record<string, string> = {
  uint8_t: 'u8', __u8: 'u8', uint16_t: 'u16', __u16: 'u16', uint32_t: 'u32', __u32: 'u32', uint64_t: 'u64', __u64: 'u64',
  int32_t: 's32', __s32: 's32', int64_t: 's64', __s64: 's64', char: 'char',
};

/** The text the check reads: added lines of a diff/mbox, or the whole header. */
export function definitionText(text: string): string {
  const isDiff = /^(\+\+\+ |@@ |diff --git )/m.test(text);
  if (!isDiff) return text;
  return text.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1)).join('\n');
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
}

function evalCInt(expr: string): bigint | null {
  const e = expr.trim().replace(/[()]/g, '').replace(/(\d+)U?L*L?/gi, '$1');
  const shift = /^(\d+)\s*<<\s*(\d+)$/.exec(e);
  if (shift) return BigInt(shift[1]) << BigInt(shift[2]);
  if (/^(0x[0-9a-f]+|\d+)$/i.test(e)) return BigInt(e);
  return null;
}

interface ParsedStruct { name: string; fields: [string, CType][] }

export function parseStructs(src: string): ParsedStruct[] {
  const out: ParsedStruct[] = [];
  const re = /struct\s+(\w+)\s*\{([^}]*)\}\s*;/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const fields: [string, CType][] = [];
    for (const decl of m[2].split(';').map((d) => d.trim()).filter(Boolean)) {
      const f = /^(?:const\s+)?(\w+)\s+(\w+)(?:\[(\w+)\])?$/.exec(decl.replace(/\s+/g, ' '));
      if (!f) continue;
      const base = CTYPES[f[1]];
      if (!base) continue;
      const dim = f[3] ? (FAMFS_CONSTANTS[f[3]] !== undefined ? Number(FAMFS_CONSTANTS[f[3]]) : Number(f[3])) : 0;
      const ctype = (dim ? `${base}[${dim}]` : base === 'char' ? 'char[1]' : base) as CType;
      fields.push([f[2], ctype]);
    }
    out.push({ name: m[1], fields });
  }
  return out;
}

export function checkAbiText(text: string): { diffs: AbiDiff[]; seen: number } {
  const src = stripComments(definitionText(text));
  const diffs: AbiDiff[] = [];
  let seen = 0;
  // #defines and enum members
  const values = new Map<string, bigint>();
  for (const m of src.matchAll(/#define\s+(\w+)\s+([^\n]+)/g)) { const v = evalCInt(m[2]); if (v !== null) values.set(m[1], v); }
  for (const m of src.matchAll(/\b(\w+)\s*=\s*([0-9x()<\sUL]+?)\s*[,}\n]/gi)) { const v = evalCInt(m[2]); if (v !== null && !values.has(m[1])) values.set(m[1], v); }
  for (const [name, model] of Object.entries(FAMFS_CONSTANTS)) {
    const got = values.get(name);
    if (got === undefined) continue;
    seen++;
    if (got !== BigInt(model)) diffs.push({ what: name, kind: 'value_changed', detail: `model ${model}, found ${got}` });
  }
  // structs
  const famfsNames = new Set(FAMFS_STRUCTS.map((s) => s.name));
  for (const ps of parseStructs(src)) {
    const model = lookupStruct(ps.name);
    const looksFamfs = /famfs|daxdev|fmap/i.test(ps.name);
    if (!model || !famfsNames.has(ps.name)) {
      if (looksFamfs) { seen++; diffs.push({ what: `struct ${ps.name}`, kind: 'struct_new', detail: `not in the model (${ps.fields.length} fields, ${computeCLayout(ps.fields).size} bytes)` }); }
      continue;
    }
    seen++;
    const lay = computeCLayout(ps.fields);
    ps.fields.forEach(([name, ctype], i) => {
      const mf = model.fields.find((f) => f.name === name);
      if (!mf) { diffs.push({ what: `struct ${ps.name}.${name}`, kind: 'field_added', detail: `${ctype} at offset ${lay.offsets[i]}` }); return; }
      const size = computeCLayout([[name, ctype]]).size;
      if (mf.ctype !== ctype && size !== mf.size) diffs.push({ what: `struct ${ps.name}.${name}`, kind: 'field_resized', detail: `model ${mf.ctype} (${mf.size} bytes), found ${ctype} (${size} bytes)` });
      if (mf.offset !== lay.offsets[i]) diffs.push({ what: `struct ${ps.name}.${name}`, kind: 'field_moved', detail: `model offset ${mf.offset}, found ${lay.offsets[i]}` });
    });
    for (const mf of model.fields) if (!ps.fields.some(([n]) => n === mf.name)) diffs.push({ what: `struct ${ps.name}.${mf.name}`, kind: 'field_removed', detail: `model has ${mf.ctype} at ${mf.offset}` });
    if (lay.size !== model.size) diffs.push({ what: `struct ${ps.name}`, kind: 'struct_size', detail: `model ${model.size} bytes, found ${lay.size}` });
  }
  return { diffs, seen };
}
