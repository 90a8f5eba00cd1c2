// A modelled kernel oops: the C would trap (divide error, NULL dereference,
// BUG_ON). The port throws this instead of producing NaN or a JS TypeError, and
// the harness reports it as an observed kernel crash, never as a harness crash.
export class KernelOops extends Error {
  constructor(public readonly kind: 'divide_error' | 'null_deref' | 'bug' | 'double_free' | 'lock_imbalance', detail: string) {
    super(`kernel oops (${kind}): ${detail}`);
    this.name = 'KernelOops';
  }
}

/** u64 division as the CPU does it: DIV by zero raises #DE. */
export function div_u64(a: bigint, b: bigint, where: string): bigint {
  if (b === 0n) throw new KernelOops('divide_error', `${where}: division by zero`);
  return a / b;
}

export function mod_u64(a: bigint, b: bigint, where: string): bigint {
  if (b === 0n) throw new KernelOops('divide_error', `${where}: division by zero`);
  return a % b;
}
