/**
 * InterProcessMutex: a re-entrant lock across processes, wire-compatible with Curator's
 * (`<path>/_c_<uuid>-lock-<seq>`; each waiter watches only its predecessor).
 */
import type { ZkClient } from '../src/client.js';
import type { Lease } from '../src/lock/lease.js';
import { leasePredicate } from '../src/sequential-queue.js';
import type { AcquireOptions } from '../src/lock/acquire-options.js';
import { type LockOptions, QueueLock, type RevocationListener } from './queue-lock.js';
import { MUTEX_NODE_NAME } from './node-names.js';

/**
 * A re-entrant mutex. Ownership is per async call tree: inside `using(fn)` or `lease.run(fn)`,
 * acquiring the same mutex object again re-enters without a round trip. Two concurrent flows of
 * one process contend exactly as two processes would.
 *
 * ```ts
 * const mutex = new InterProcessMutex(client, '/locks/reports');
 * await mutex.using(async (lease) => {
 *   await render({ signal: lease.signal });
 * }, { timeoutMs: 10_000 });
 * ```
 */
export class InterProcessMutex {
  readonly #lock: QueueLock;

  constructor(client: ZkClient, path: string, options: LockOptions = {}) {
    this.#lock = new QueueLock(
      client,
      path,
      {
        recipe: 'InterProcessMutex',
        nodeName: MUTEX_NODE_NAME,
        sortNames: [MUTEX_NODE_NAME],
        predicate: () => leasePredicate(1),
        sequencesOnlyGrow: true,
      },
      options,
    );
  }

  /** The mutex's path. */
  get path(): string {
    return this.#lock.path;
  }

  /**
   * Waits for the mutex. Rejects with LockTimeoutError after `timeoutMs` or with the signal's
   * reason on abort; either way our node is removed. Re-enters inside an owner scope.
   */
  acquire(options?: AcquireOptions): Promise<Lease> {
    return this.#lock.acquire(options);
  }

  /** Takes the mutex if it is free right now, else resolves to null (no node is left). */
  tryAcquire(): Promise<Lease | null> {
    return this.#lock.tryAcquire();
  }

  /** Runs `fn(lease)` holding the mutex (inside its owner scope) and releases in `finally`. */
  using<T>(fn: (lease: Lease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    return this.#lock.using(fn, options);
  }

  /** Releases one hold of the current owner scope; NotOwnerError outside of one. */
  release(): Promise<void> {
    return this.#lock.release();
  }

  /** True when some flow of this process holds this mutex object. */
  isAcquiredInThisProcess(): boolean {
    return this.#lock.isAcquiredInThisProcess();
  }

  /** True when the current async call tree holds it. */
  isOwnedByCurrentScope(): boolean {
    return this.#lock.isOwnedByCurrentScope();
  }

  /** Every contender's node path in queue order; the first one holds the mutex. */
  getParticipantNodes(): Promise<string[]> {
    return this.#lock.getParticipantNodes();
  }

  /** Future holds become revocable: `listener(lease)` runs when someone calls `revoke(client, lease.nodePath)`. */
  makeRevocable(listener: RevocationListener): void {
    this.#lock.makeRevocable(listener);
  }
}
