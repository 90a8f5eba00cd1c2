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
