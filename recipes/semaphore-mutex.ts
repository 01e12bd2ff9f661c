/**
 * InterProcessSemaphoreMutex: a NON-re-entrant mutex made of a one-lease semaphore, exactly as
 * Curator's (layout `<path>/locks` + `<path>/leases`; not compatible with InterProcessMutex on the
 * same path). A second acquire from the same process waits; any flow may release.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { InvalidArgumentError, NotOwnerError } from '../src/core/errors.js';
import type { Lease } from '../src/lock/lease.js';
import { type AcquireOptions, nullOnTimeout } from '../src/lock/acquire-options.js';
import { InterProcessSemaphoreV2, type SemaphoreOptions } from './semaphore.js';

/**
 * A non-re-entrant mutex made of a one-lease semaphore (Curator's `InterProcessSemaphoreMutex`).
 *
 * ```ts
 * const mutex = new InterProcessSemaphoreMutex(client, '/locks/import');
 * await mutex.acquire({ timeoutMs: 5_000 });
 * await (async () => mutex.release())(); // any flow may release
 * ```
 */
export class InterProcessSemaphoreMutex {
  readonly #semaphore: InterProcessSemaphoreV2;
  #lease: Lease | undefined;

  constructor(client: ZkClient, path: string, options: SemaphoreOptions = {}) {
    this.#semaphore = new InterProcessSemaphoreV2(client, path, { maxLeases: 1 }, options);
  }

  /** The semaphore's path. */
  get path(): string {
    return this.#semaphore.path;
  }

  /** Waits for the mutex → Lease (LockTimeoutError on timeout, the signal's reason on abort). */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    const [lease] = await this.#semaphore.acquire({ ...options, qty: 1 });
    this.#lease = lease as Lease;
    return lease as Lease;
  }

  /** The mutex now, or null. */
  async tryAcquire(): Promise<Lease | null> {
    return nullOnTimeout(this.acquire({ timeoutMs: 0 }));
  }

  /** Runs `fn(lease)` holding the mutex and releases in `finally`. */
  async using<T>(fn: (lease: Lease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('using() needs a function to run while holding the lock.');
    const lease = await this.acquire(options);
    try {
      return await fn(lease);
    } finally {
      if (!lease.released) await lease.release();
    }
  }

  /** Releases the held lease, from any flow of this process; NotOwnerError when not acquired. */
  async release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.released) throw new NotOwnerError(`${this.path} is not acquired by this InterProcessSemaphoreMutex.`);
    await lease.release();
  }

  /** True while this object holds the mutex. */
  isAcquiredInThisProcess(): boolean {
    return this.#lease !== undefined && !this.#lease.released;
  }

  /** Lease node names (Curator's `getParticipantNodes` of the semaphore). */
  getParticipantNodes(): Promise<string[]> {
    return this.#semaphore.getParticipantNodes();
  }
}
