// kzalloc / kcalloc / kfree with fault injection and live-object accounting, so
// that every failure path can be driven and leaks show up as a non-zero count
// (the harness's kmemleak).
import { KernelOops } from './oops';

export interface FailPolicy {
  /** fail the Nth allocation from now on (1-based) */
  nth?: number;
  /** fail every allocation at a call site whose tag matches */
  site?: string;
  /** fail only the first `times` matching calls (default: all) */
  times?: number;
}

interface Live { site: string; seq: number }

/** What kcalloc(0, ...) returns: not NULL, not an allocation; kfree() of it is a no-op. */
export const ZERO_SIZE_PTR: readonly never[] = Object.freeze([]);

class Slab {
  private live = new Map<object, Live>();
  private seq = 0;
  private calls = 0;
  private policy: FailPolicy | null = null;
  private failed = 0;
  allocs = 0;
  frees = 0;

  /** Start a fresh accounting period (tests call this first). */
  reset(): void {
    this.live.clear();
    this.seq = this.calls = this.failed = this.allocs = this.frees = 0;
    this.policy = null;
  }

  inject(policy: FailPolicy | null): void {
    this.policy = policy;
    this.calls = 0;
    this.failed = 0;
  }

  private shouldFail(site: string): boolean {
    this.calls++;
    const p = this.policy;
    if (!p) return false;
    if (p.times !== undefined && this.failed >= p.times) return false;
    const hit = (p.nth !== undefined && this.calls === p.nth) || (p.site !== undefined && site.includes(p.site));
    if (hit) this.failed++;
    return hit;
  }

  /** kzalloc(sizeof(T)): `make` builds the zeroed object; null on (injected) failure. */
  kzalloc<T extends object>(site: string, make: () => T): T | null {
    if (this.shouldFail(site)) return null;
    const obj = make();
    this.live.set(obj, { site, seq: ++this.seq });
    this.allocs++;
    return obj;
  }

  /**
   * kcalloc(n, sizeof(T)): an array of n zeroed elements. n == 0 is
   * ZERO_SIZE_PTR: the kmalloc size-0 path returns it before the slab hooks, so
   * it is neither counted nor failed by fault injection (found by cdiff on the
   * real v9 famfs.c: --fail-nth on an nstrips-0 interleave).
   */
  kcalloc<T>(site: string, n: number, make: (i: number) => T): T[] | null {
    if (n === 0) return ZERO_SIZE_PTR as unknown as T[];
    if (this.shouldFail(site)) return null;
    const arr: T[] = new Array(n);
    for (let i = 0; i < n; i++) arr[i] = make(i);
    this.live.set(arr, { site, seq: ++this.seq });
    this.allocs++;
    return arr;
  }

  /** kfree(NULL) is a no-op; freeing what is not live is a double free (KASAN). */
  kfree(obj: object | null | undefined): void {
    if (obj === null || obj === undefined || obj === ZERO_SIZE_PTR) return;
    if (!this.live.delete(obj)) throw new KernelOops('double_free', 'kfree of an object that is not allocated');
    this.frees++;
  }

  /** Number of objects allocated and not freed. */
  liveCount(): number {
    return this.live.size;
  }

  /** Sites of the live objects, oldest first (a kmemleak report). */
  leaks(): string[] {
    return [...this.live.values()].sort((a, b) => a.seq - b.seq).map((l) => l.site);
  }

  /** Allocation calls since the last inject()/reset(), failed ones included. */
  callCount(): number {
    return this.calls;
  }
}

export const slab = new Slab();

/** A kstrdup()'d string: an object, so that it is accounted like any allocation. */
export interface kstr {
  readonly s: string;
}

export function kstrdup(site: string, s: string): kstr | null {
  return slab.kzalloc(site, () => ({ s }));
}
export const kzalloc = slab.kzalloc.bind(slab);
export const kcalloc = slab.kcalloc.bind(slab);
export const kfree = slab.kfree.bind(slab);
