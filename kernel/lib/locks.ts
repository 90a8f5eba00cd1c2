// rw_semaphore and inode_lock. The simulation is single-threaded, so a lock never
// blocks; what matters is balance: unlocking what is not held is reported as the
// lockdep / DEBUG_RWSEMS splat the C would give (the v5 famfs_file_init_dax bug).
import { KernelOops } from './oops';

export class rw_semaphore {
  readers = 0;
  writer = false;
  constructor(public readonly name: string) {}

  down_read(): void {
    if (this.writer) throw new KernelOops('lock_imbalance', `${this.name}: down_read while write-held (deadlock)`);
    this.readers++;
  }
  up_read(): void {
    if (this.readers <= 0) throw new KernelOops('lock_imbalance', `${this.name}: up_read of an unlocked rwsem`);
    this.readers--;
  }
  down_write(): void {
    if (this.writer || this.readers > 0) throw new KernelOops('lock_imbalance', `${this.name}: down_write while held (deadlock)`);
    this.writer = true;
  }
  up_write(): void {
    if (!this.writer) throw new KernelOops('lock_imbalance', `${this.name}: up_write of an unlocked rwsem`);
    this.writer = false;
  }
  held(): boolean {
    return this.writer || this.readers > 0;
  }
}

/** scoped_guard(rwsem_read, sem) { body } */
export function scoped_guard_read<T>(sem: rw_semaphore, body: () => T): T {
  sem.down_read();
  try { return body(); } finally { sem.up_read(); }
}

/** scoped_guard(rwsem_write, sem) { body } */
export function scoped_guard_write<T>(sem: rw_semaphore, body: () => T): T {
  sem.down_write();
  try { return body(); } finally { sem.up_write(); }
}

/**
 * cmpxchg(ptr, old, new) on an object field: stores `next` iff the field is
 * `old`, returns what the field held before.
 */
export function cmpxchg<O, K extends keyof O>(obj: O, key: K, old: O[K], next: O[K]): O[K] {
  const prev = obj[key];
  if (prev === old) obj[key] = next;
  return prev;
}
