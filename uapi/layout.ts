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

const UTF8_ENC = new TextEncoder();
const UTF8_DEC = new TextDecoder();

/** UTF-8 bytes of a string; ASCII (every name on the hot paths) without TextEncoder, which costs ~1 µs a call. */
export function utf8Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return UTF8_ENC.encode(s);
    out[i] = c;
  }
  return out;
}

/** The string of the UTF-8 bytes b[start, end); ASCII without TextDecoder. */
export function utf8Decode(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) {
    if (b[i] > 0x7f) return UTF8_DEC.decode(b.subarray(start, end));
    s += String.fromCharCode(b[i]);
  }
  return s;
}

/**
 * dst[dstOff..] = src[srcOff, srcOff + n). Small arrays live inside V8's heap;
 * a subarray() or .buffer of one moves its bytes out to a fresh backing store
 * (about a microsecond), so short copies are done byte by byte.
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i];
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}
/** A field name the compiled codecs can write as a property (checked once, in defineStruct). */
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
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
    // the compiled decoder and encoder name each field in their source
    if (!IDENT.test(fname)) throw new Error(`struct ${name}: field name ${JSON.stringify(fname)} is not an identifier`);
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

/*
 * Scalars are read and written byte by byte, little-endian, straight on the
 * Uint8Array: no DataView per call (creating one costs more than decoding a
 * small struct). u64/s64 go through one 8-byte scratch shared with a
 * BigUint64Array / BigInt64Array, whose stores wrap exactly as a C assignment.
 */
const scratch = new Uint8Array(8);
const scratchU64 = new BigUint64Array(scratch.buffer);
const scratchS64 = new BigInt64Array(scratch.buffer);
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function load8(b: Uint8Array, off: number): void {
  for (let i = 0; i < 8; i++) scratch[HOST_LE ? i : 7 - i] = b[off + i];
}

function store8(b: Uint8Array, off: number): void {
  for (let i = 0; i < 8; i++) b[off + i] = scratch[HOST_LE ? i : 7 - i];
}

/** A little-endian u32 at b[off] (for a fixed-offset field read without a struct decode). */
export function readU32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

const READ: Record<ScalarCType, (b: Uint8Array, off: number) => number | bigint> = {
  u8: (b, off) => b[off],
  u16: (b, off) => b[off] | (b[off + 1] << 8),
  u32: readU32,
  s32: (b, off) => b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24),
  u64: (b, off) => { load8(b, off); return scratchU64[0]; },
  s64: (b, off) => { load8(b, off); return scratchS64[0]; },
};

function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = v;
  b[off + 1] = v >>> 8;
  b[off + 2] = v >>> 16;
  b[off + 3] = v >>> 24;
}

function writeScalar(b: Uint8Array, off: number, ctype: ScalarCType, v: unknown, struct: string, field: string): void {
  // The wire truncates to the field width, exactly as a C assignment would:
  // Uint8Array stores keep the low 8 bits of an integral number, exactly.
  if (typeof v === 'number' && Number.isSafeInteger(v) && ctype !== 'u64' && ctype !== 's64') {
    const lo = v % 4294967296; // the low 32 bits as a C truncation keeps them (sign handled by the stores' mod 2^8)
    switch (ctype) {
      case 'u8': b[off] = lo; return;
      case 'u16': b[off] = lo; b[off + 1] = lo >>> 8; return;
      default: put32(b, off, lo); return;
    }
  }
  const n = toBigIntValue(v, `${struct}.${field}`);
  switch (ctype) {
    case 'u64': scratchU64[0] = n; store8(b, off); return;
    case 's64': scratchS64[0] = n; store8(b, off); return;
    case 'u8': b[off] = Number(BigInt.asUintN(8, n)); return;
    case 'u16': writeScalar(b, off, ctype, Number(BigInt.asUintN(16, n)), struct, field); return;
    case 'u32':
    case 's32': put32(b, off, Number(BigInt.asUintN(32, n))); return;
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

/** The accessors the compiled decoders and encoders call (compiled code sees only these). */
const ACCESS = { ...READ, writeScalar, writeArray: (b: Uint8Array, off: number, f: Field, v: unknown, where: string) => writeArray(b, off, f, v, where), decodeStruct: (l: StructLayout, b: Uint8Array, off: number) => decodeStruct(l, b, off), encodeStructInto: (l: StructLayout, v: Record<string, unknown>, b: Uint8Array, off: number) => encodeStructInto(l, v, b, off) };

type Decoder = (b: Uint8Array, off: number, A: typeof ACCESS, fields: Field[]) => Record<string, unknown>;
type Encoder = (v: Record<string, unknown>, b: Uint8Array, off: number, A: typeof ACCESS, fields: Field[]) => void;
const decoders = new WeakMap<StructLayout, Decoder>();
const encoders = new WeakMap<StructLayout, Encoder>();

/**
 * The layout's decoder, compiled once from its field table: one object literal
 * with a fixed offset per field, so V8 sees one shape and no keyed stores (a
 * loop over the table costs about four times as much per frame).
 */
function decoderOf(layout: StructLayout): Decoder {
  let d = decoders.get(layout);
  if (!d) {
    const props = layout.fields.map((f, i) => {
      const at = `off + ${f.offset}`;
      const val = f.nested ? `A.decodeStruct(F[${i}].nested, b, ${at})` : f.scalar ? `A.${f.ctype}(b, ${at})` : `b.slice(${at}, ${at} + ${f.size})`;
      return `${f.name}: ${val}`;
    });
    d = new Function('b', 'off', 'A', 'F', `return { ${props.join(', ')} };`) as Decoder;
    decoders.set(layout, d);
  }
  return d;
}

/** The layout's encoder, compiled once: each given field written at its fixed offset. */
function encoderOf(layout: StructLayout): Encoder {
  let e = encoders.get(layout);
  if (!e) {
    const stmts = layout.fields.map((f, i) => {
      const at = `off + ${f.offset}`;
      const put = f.nested ? `A.encodeStructInto(F[${i}].nested, x, b, ${at})` : f.scalar ? `A.writeScalar(b, ${at}, '${f.ctype}', x, ${JSON.stringify(layout.name)}, '${f.name}')` : `A.writeArray(b, ${at}, F[${i}], x, ${JSON.stringify(`${layout.name}.${f.name}`)})`;
      return `x = v.${f.name}; if (x !== undefined) ${put};`;
    });
    e = new Function('v', 'b', 'off', 'A', 'F', `let x; ${stmts.join(' ')}`) as Encoder;
    encoders.set(layout, e);
  }
  return e;
}

/** Decode one struct at `off` of `buf`. Arrays come back as byte copies. */
export function decodeStruct<V>(layout: StructLayout<V>, buf: Uint8Array, off = 0): V {
  if (off + layout.size > buf.length) {
    throw new RangeError(`struct ${layout.name}: needs ${layout.size} bytes at ${off}, have ${buf.length - off}`);
  }
  return decoderOf(layout as StructLayout)(buf, off, ACCESS, layout.fields) as V;
}

/** Encode a struct into `buf` at `off` (fields not given stay as they are, normally zero). */
export function encodeStructInto<V>(layout: StructLayout<V>, values: Partial<Record<keyof V & string, unknown>>, buf: Uint8Array, off = 0): void {
  if (off + layout.size > buf.length) throw new RangeError(`struct ${layout.name}: needs ${layout.size} bytes at ${off}, have ${buf.length - off}`);
  for (const k in values) {
    if (!layout.fieldNames.has(k)) throw new Error(`struct ${layout.name} has no field '${k}'`);
  }
  encoderOf(layout as StructLayout)(values as Record<string, unknown>, buf, off, ACCESS, layout.fields);
}

function writeArray(buf: Uint8Array, off: number, f: Field, v: unknown, where: string): void {
  const bytes = typeof v === 'string' ? utf8Encode(v) : v instanceof Uint8Array ? v : null;
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
  return utf8Decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** Printable layout, one row per field, the way pahole shows it. */
export function formatLayout(layout: StructLayout): string {
  const rows = layout.fields.map((f) => `    ${f.ctype.padEnd(16)} ${f.name.padEnd(22)} /* ${String(f.offset).padStart(4)} ${String(f.size).padStart(4)} */`);
  return `struct ${layout.name} {\n${rows.join('\n')}\n    /* size: ${layout.size}, align: ${layout.align} */\n};`;
}
