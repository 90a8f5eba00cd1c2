// Declarative C struct layouts: one table per struct drives encode, decode,
// the printed layout and the ABI check. All wire structs are little-endian
// (x86-64 host layout), naturally aligned, with no packing attributes.

export type ScalarCType = 'u8' | 'u16' | 'u32' | 'u64' | 's32' | 's64';
export type ArrayCType = `char[${number}]` | `u8[${number}]` | `u16[${number}]` | `u32[${number}]`;
export type CType = ScalarCType | ArrayCType | `struct ${string}`;

export type FieldDef = readonly [name: string, ctype: CType, offset: number];

export interface Field {
  name: string;
  ctype: CType;
  offset: number;
  size: number;
  align: number;
  nested?: StructLayout;
  /** true for u8..s64 (decided once, not per encode/decode) */
  scalar: boolean;
}

export interface StructLayout<V = Record<string, unknown>> {
  name: string;
  size: number;
  align: number;
  fields: Field[];
  /** the field names, for the encoder's unknown-field check */
  fieldNames: ReadonlySet<string>;
  /** phantom: the decoded value type */
  readonly __value?: V;
}

type ScalarValue<C> = C extends 'u64' | 's64' ? bigint : C extends ScalarCType ? number : never;
type FieldValue<C> = C extends ScalarCType ? ScalarValue<C> : C extends `struct ${string}` ? Record<string, unknown> : Uint8Array;
export type Decoded<Fs extends readonly FieldDef[]> = { [E in Fs[number] as E[0]]: FieldValue<E[1]> };

const SCALAR_SIZE: Record<ScalarCType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s32: 4, s64: 8 };
const registry = new Map<string, StructLayout>();

/** Size and alignment of a C type on x86-64 (LP64, natural alignment). */
export function ctypeSizeAlign(ctype: CType): { size: number; align: number; nested?: StructLayout } {
  if (ctype in SCALAR_SIZE) {
    const s = SCALAR_SIZE[ctype as ScalarCType];
    return { size: s, align: s };
  }
  const arr = /^(char|u8|u16|u32)\[(\d+)\]$/.exec(ctype);
  if (arr) {
    const elem = arr[1] === 'char' ? 1 : SCALAR_SIZE[arr[1] as ScalarCType];
    return { size: elem * Number(arr[2]), align: elem };
  }
  const st = /^struct (\w+)$/.exec(ctype);
  const nested = st ? registry.get(st[1]) : undefined;
  if (!nested) throw new Error(`unknown C type '${ctype}'`);
  return { size: nested.size, align: nested.align, nested };
}

/** Natural-alignment offsets of a field list, as gcc lays it out on x86-64. */
export function computeCLayout(fields: readonly (readonly [string, CType])[]): { offsets: number[]; size: number; align: number } {
  let off = 0;
  let maxAlign = 1;
  const offsets: number[] = [];
  for (const [, ctype] of fields) {
    const { size, align } = ctypeSizeAlign(ctype);
    off = Math.ceil(off / align) * align;
    offsets.push(off);
    off += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { offsets, size: Math.ceil(off / maxAlign) * maxAlign, align: maxAlign };
}

/**
 * Declare a struct. The offsets are written out (as a reviewer reads them in
 * the spec) and cross-checked against the natural layout and the expected size.
 */
export function defineStruct<const Fs extends readonly FieldDef[]>(name: string, size: number, defs: Fs): StructLayout<Decoded<Fs>> {
  const computed = computeCLayout(defs.map(([n, c]) => [n, c] as const));
  const fields: Field[] = defs.map(([fname, ctype, offset], i) => {
    if (computed.offsets[i] !== offset) {
      throw new Error(`struct ${name}: field ${fname} declared at ${offset}, natural layout puts it at ${computed.offsets[i]}`);
    }
    const sa = ctypeSizeAlign(ctype);
    return { name: fname, ctype, offset, size: sa.size, align: sa.align, nested: sa.nested, scalar: ctype in SCALAR_SIZE };
  });
  if (computed.size !== size) throw new Error(`struct ${name}: declared size ${size}, natural layout gives ${computed.size}`);
  const layout: StructLayout<Decoded<Fs>> = { name, size, align: computed.align, fields, fieldNames: new Set(fields.map((f) => f.name)) };
  registry.set(name, layout as StructLayout);
  return layout;
}

export function lookupStruct(name: string): StructLayout | undefined {
  return registry.get(name);
}

function readScalar(dv: DataView, off: number, ctype: ScalarCType): number | bigint {
  switch (ctype) {
    case 'u8': return dv.getUint8(off);
    case 'u16': return dv.getUint16(off, true);
    case 'u32': return dv.getUint32(off, true);
    case 's32': return dv.getInt32(off, true);
    case 'u64': return dv.getBigUint64(off, true);
    case 's64': return dv.getBigInt64(off, true);
  }
}

function writeScalar(dv: DataView, off: number, ctype: ScalarCType, v: unknown, struct: string, field: string): void {
  // The wire truncates to the field width, exactly as a C assignment would. For
  // an integral number the DataView setters already do (ToUint8/16/32, ToInt32
  // are exact modulo 2^n); anything else goes through bigint.
  if (typeof v === 'number' && Number.isSafeInteger(v) && ctype !== 'u64' && ctype !== 's64') {
    switch (ctype) {
      case 'u8': dv.setUint8(off, v); return;
      case 'u16': dv.setUint16(off, v, true); return;
      case 'u32': dv.setUint32(off, v, true); return;
      case 's32': dv.setInt32(off, v, true); return;
    }
  }
  const n = toBigIntValue(v, `${struct}.${field}`);
  switch (ctype) {
    case 'u64': dv.setBigUint64(off, BigInt.asUintN(64, n), true); return;
    case 's64': dv.setBigInt64(off, BigInt.asIntN(64, n), true); return;
    case 'u8': dv.setUint8(off, Number(BigInt.asUintN(8, n))); return;
    case 'u16': dv.setUint16(off, Number(BigInt.asUintN(16, n)), true); return;
    case 'u32': dv.setUint32(off, Number(BigInt.asUintN(32, n)), true); return;
    case 's32': dv.setInt32(off, Number(BigInt.asIntN(32, n)), true); return;
  }
}

function toBigIntValue(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?(0x[0-9a-f]+|\d+)$/i.test(v.trim())) {
    const s = v.trim();
    return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
  }
  throw new Error(`${where}: not an integer: ${JSON.stringify(v)}`);
}

/** Decode one struct at `off` of `buf`. Arrays come back as byte copies. */
export function decodeStruct<V>(layout: StructLayout<V>, buf: Uint8Array, off = 0): V {
  if (off + layout.size > buf.length) {
    throw new RangeError(`struct ${layout.name}: needs ${layout.size} bytes at ${off}, have ${buf.length - off}`);
  }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Record<string, unknown> = {};
  for (const f of layout.fields) {
    if (f.nested) out[f.name] = decodeStruct(f.nested, buf, off + f.offset);
    else if (f.scalar) out[f.name] = readScalar(dv, off + f.offset, f.ctype as ScalarCType);
    else out[f.name] = buf.slice(off + f.offset, off + f.offset + f.size);
  }
  return out as V;
}

/** Encode a struct into `buf` at `off` (fields not given stay as they are, normally zero). */
export function encodeStructInto<V>(layout: StructLayout<V>, values: Partial<Record<keyof V & string, unknown>>, buf: Uint8Array, off = 0): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const k in values) {
    if (!layout.fieldNames.has(k)) throw new Error(`struct ${layout.name} has no field '${k}'`);
  }
  for (const f of layout.fields) {
    const v = (values as Record<string, unknown>)[f.name];
    if (v === undefined) continue;
    if (f.nested) encodeStructInto(f.nested, v as Record<string, unknown>, buf, off + f.offset);
    else if (f.scalar) writeScalar(dv, off + f.offset, f.ctype as ScalarCType, v, layout.name, f.name);
    else writeArray(buf, off + f.offset, f, v, `${layout.name}.${f.name}`);
  }
}

function writeArray(buf: Uint8Array, off: number, f: Field, v: unknown, where: string): void {
  const bytes = typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : null;
  if (!bytes) throw new Error(`${where}: expected a string or bytes`);
  if (bytes.length > f.size) throw new Error(`${where}: ${bytes.length} bytes do not fit in ${f.ctype}`);
  buf.set(bytes, off);
}

export function encodeStruct<V>(layout: StructLayout<V>, values: Partial<Record<keyof V & string, unknown>>): Uint8Array {
  const buf = new Uint8Array(layout.size);
  encodeStructInto(layout, values, buf, 0);
  return buf;
}

/** A C string out of a char array: bytes up to the first NUL (or all of them). */
export function cstring(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** Printable layout, one row per field, the way pahole shows it. */
export function formatLayout(layout: StructLayout): string {
  const rows = layout.fields.map((f) => `    ${f.ctype.padEnd(16)} ${f.name.padEnd(22)} /* ${String(f.offset).padStart(4)} ${String(f.size).padStart(4)} */`);
  return `struct ${layout.name} {\n${rows.join('\n')}\n    /* size: ${layout.size}, align: ${layout.align} */\n};`;
}
