// Image locks: writers (mkdir, creat, cp, mkfs over an image) hold an exclusive
// flock(2) on the image for the whole allocate-and-append; readers hold a shared
// one, so they see the log as of one append. famfs does the same on .meta/.log.
// flock comes from the native addon (addon/famfs_lock.cc): the kernel releases it
// when the holder dies, even by kill -9, so a crashed writer never blocks others.
import * as fs from 'fs';
import { loadAddon, addonStatus } from '../../addon/index';
import { ImageError } from './image';

interface LockNative {
  flock(fd: number, exclusive: boolean, timeoutMs: number): void;
  funlock(fd: number): void;
}

/** The addon's lock part, or null when the addon is not built. */
export function lockAddon(): LockNative | null {
  const a = loadAddon() as unknown as Partial<LockNative> | null;
  return a && typeof a.flock === 'function' ? (a as LockNative) : null;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export class ImageLock {
  private constructor(private fd: number, readonly path: string) {}

  /**
   * Open `path` and take the lock; ImageError('locked') after `timeoutMs`.
   * Without the addon a writer is refused; a reader goes on unlocked (appends
   * are ordered so that a log read mid-append is still the log before it).
   */
  static acquire(path: string, exclusive: boolean, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS): ImageLock {
    const native = lockAddon();
    if (!native && exclusive) throw new ImageError('no_lock', `writing an image needs the native addon's flock: ${addonStatus()}`);
    const fd = fs.openSync(path, 'r');
    if (!native) return new ImageLock(fd, path);
    try {
      native.flock(fd, exclusive, timeoutMs);
    } catch (e) {
      fs.closeSync(fd);
      const err = e as Error & { code?: string };
      if (err.code === 'EWOULDBLOCK' || err.code === 'EAGAIN') throw new ImageError('locked', `${path}: another famfs-harness process holds the image lock (waited ${timeoutMs} ms)`);
      throw new ImageError('lock_failed', `${path}: ${err.message}`);
    }
    return new ImageLock(fd, path);
  }

  /**
   * Flush the image file's dirty pages (pwrite'n or written through the shared
   * mapping) to the device: fsync on the locked descriptor. A character device
   * (devdax) has no page cache to flush.
   */
  flush(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'EROFS') throw e;
    }
  }

  release(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd); // closing the last descriptor drops the flock
    this.fd = -1;
  }
}

/** Run fn under the image's lock; released however fn ends. */
export function withImageLock<T>(path: string, exclusive: boolean, fn: (lock: ImageLock) => T, timeoutMs?: number): T {
  const lock = ImageLock.acquire(path, exclusive, timeoutMs);
  try {
    return fn(lock);
  } finally {
    lock.release();
  }
}
