/**
 * The public face every zk-recipes lock shares, whatever the backend: a thin base over the one
 * {@link OwnedLock} a backend's lock class makes with its engine.
 */
import type { AcquireOptions } from './acquire-options.js';
import type { Lease } from './lease.js';
import type { OwnedLock } from './owned-lock.js';

/** A re-entrant lock: ownership per async call tree, leases, `using`, typed errors (docs/design.md §4–§5). */
export abstract class ReentrantLock {
  /** The ownership layer over this lock's backend engine. */
  protected abstract readonly owned: OwnedLock<unknown>;

  /**
   * Waits for the lock, in arrival order. Rejects with LockTimeoutError after `timeoutMs` or with
   * the signal's reason on abort; either way our place in line is removed. Inside an owner scope
   * (`using`, `lease.run`) it re-enters at once, with no round trip.
   */
  acquire(options?: AcquireOptions): Promise<Lease> {
    return this.owned.acquire(options);
  }

  /** Takes the lock if it can be had right now, else resolves to null (nothing is left behind). */
  tryAcquire(): Promise<Lease | null> {
    return this.owned.tryAcquire();
  }

  /** Runs `fn(lease)` holding the lock, inside its owner scope, and releases in `finally`. */
  using<T>(fn: (lease: Lease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    return this.owned.using(fn, options);
  }

  /** Releases one hold of the current owner scope (Curator's `release()`); NotOwnerError outside of one. */
  release(): Promise<void> {
    return this.owned.release();
  }

  /** True when some flow of this process holds this lock object. */
  isAcquiredInThisProcess(): boolean {
    return this.owned.isAcquiredInThisProcess();
  }

  /** True when the current async call tree holds it (even if ownership was lost since). */
  isOwnedByCurrentScope(): boolean {
    return this.owned.isOwnedByCurrentScope();
  }
}
