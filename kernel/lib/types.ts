// C integer semantics for the port. u64/loff_t values are bigint; these helpers
// reproduce the wrap-around and signedness the C relies on.
export type u64 = bigint;
export type s64 = bigint;
export type loff_t = bigint;

/** (u64)x */
export const u64 = (x: bigint): u64 => BigInt.asUintN(64, x);
/** (s64)x / (loff_t)x */
export const s64 = (x: bigint): s64 => BigInt.asIntN(64, x);
/** (u32)x */
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);

/**
 * (size_t)n: a byte count (a number, always below 2^53) as a u64 bigint. The
 * last conversion is kept: reads of one size in a row make no new bigint
 * (bigints are immutable, so handing out the same one is safe).
 */
export function size_t(n: number): u64 {
  if (n !== last_size_t) {
    last_size_t_big = BigInt(n); // throws for a non-integer: nothing is remembered then
    last_size_t = n;
  }
  return last_size_t_big;
}
let last_size_t = 0;
let last_size_t_big = 0n;

/*
 * Conversions between a u64 bigint and a number, exact for values in
 * [0, 2^53), through one shared 8-byte buffer: both halves as u32. V8 runs
 * Number(x) on a bigint as a call into its runtime; this is about twice as
 * fast and allocates nothing. u64_to_number takes x mod 2^64 (the caller
 * knows x is in [0, 2^64)); for x >= 2^53 the one rounding of the sum
 * gives Number(x).
 */
const u64buf = new BigUint64Array(1);
const u32pair = new Uint32Array(u64buf.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // which u32 is the low half on this host
const HI = 1 - LO;
const TWO32 = 2 ** 32;

export function u64_to_number(x: u64): number {
  u64buf[0] = x;
  return u32pair[HI] * TWO32 + u32pair[LO];
}

/** BigInt(n) for an integer n in [0, 2^53) */
export function number_to_u64(n: number): u64 {
  u32pair[LO] = n >>> 0;
  u32pair[HI] = (n / TWO32) >>> 0;
  return u64buf[0];
}

/** IS_ALIGNED(x, a) for a power-of-two a */
export const IS_ALIGNED = (x: bigint, a: bigint): boolean => (x & (a - 1n)) === 0n;

export const min_u64 = (a: u64, b: u64): u64 => (a < b ? a : b);
/** min_t(loff_t, a, b): both converted to signed 64-bit first */
export const min_t_loff = (a: bigint, b: bigint): loff_t => {
  const sa = s64(a), sb = s64(b);
  return sa < sb ? sa : sb;
};

/**
 * `1 << n` where 1 is a C int and the result is OR'd into a u64, compiled for
 * x86-64: the shift count is taken mod 32 (SHL on a 32-bit register) and the
 * int result is sign-extended on conversion to u64. Out-of-range n is UB in C;
 * this is what the generated code does.
 */
export function int_shl_to_u64(n: bigint): u64 {
  const v = (1 << Number(n & 31n)) | 0; // JS << is also 32-bit, count mod 32
  return u64(BigInt(v));
}
