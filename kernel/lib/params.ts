// Architecture parameters the port depends on (x86-64 defaults). DESIGN.md:
// PMD_SIZE, PAGE_SIZE and the fuse reply buffer size are parameters.
export interface ArchParams {
  PAGE_SIZE: bigint;
  PMD_SIZE: bigint;
  PUD_SIZE: bigint;
}

export const X86_64: ArchParams = { PAGE_SIZE: 4096n, PMD_SIZE: 2n * 1024n * 1024n, PUD_SIZE: 1024n * 1024n * 1024n };

/** The active parameters; tests and the CLI may switch them (e.g. arm64 64K pages). */
export const arch: ArchParams = { ...X86_64 };

export function setArch(p: Partial<ArchParams>): void {
  Object.assign(arch, X86_64, p);
}

export const PMD_ORDER = (): number => log2(arch.PMD_SIZE / arch.PAGE_SIZE);

function log2(x: bigint): number {
  let n = 0;
  while ((1n << BigInt(n)) < x) n++;
  return n;
}
