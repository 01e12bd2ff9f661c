/**
 * What a WorkPartitioner member holds: one InterProcessMutex per partition under
 * `<path>/locks/<partition>`. The lock, not the assignment, makes a member the owner: a member
 * told to take a partition waits on its lock until the previous owner has let go (or lost it
 * with its session), so ownership never overlaps. Each held partition keeps the lock's Lease.
 */
import type { ZkClient } from '../../src/zookeeper/client.js';
import type { Lease } from '../../src/lock/lease.js';
import { joinPath } from '../../src/zookeeper/paths.js';
import { isRetryable } from '../../src/zookeeper/retry.js';
import { InterProcessMutex } from '../mutex.js';
import type { RevokeReason } from './partitioner-options.js';

/** How the locks tell their partitioner what happened. */
export interface PartitionLockHooks {
  /** Whether the partition is still wanted (by the assignment as read now). */
  wanted(partition: string): boolean;
  assigned(partition: string, lease: Lease): void;
  revoked(partition: string, reason: RevokeReason): void;
  error(error: unknown): void;
  /** Something changed: look again (and update the state). */
  changed(): void;
}

export class PartitionLocks {
  readonly #client: ZkClient;
  readonly #locksPath: string;
  readonly #hooks: PartitionLockHooks;
  readonly #owned = new Map<string, Lease>();
  readonly #acquiring = new Map<string, AbortController>();
  readonly #releasing = new Set<string>();
  #closed = false;

  constructor(client: ZkClient, path: string, hooks: PartitionLockHooks) {
    this.#client = client;
    this.#locksPath = joinPath(path, 'locks');
    this.#hooks = hooks;
  }

  get owned(): ReadonlyMap<string, Lease> {
    return this.#owned;
  }

  /** Partitions whose lock we wait for. */
  get waiting(): string[] {
    return [...this.#acquiring.keys()];
  }

  get releasing(): boolean {
    return this.#releasing.size > 0;
  }

  /** Gives up what is not in `mine`, stops waiting for it, and starts waiting for the rest of `mine`. */
  async follow(mine: ReadonlySet<string>): Promise<void> {
    for (const partition of [...this.#owned.keys()]) if (!mine.has(partition)) await this.release(partition, 'rebalanced');
    for (const [partition, controller] of this.#acquiring) if (!mine.has(partition)) controller.abort();
    for (const partition of mine) if (!this.#owned.has(partition) && !this.#acquiring.has(partition)) this.#acquire(partition);
  }

  /** Stops every wait and gives up every partition (`closed`). */
  async close(reason: Error): Promise<void> {
    this.#closed = true;
    for (const controller of this.#acquiring.values()) controller.abort(reason);
    await Promise.all([...this.#owned.keys()].map((partition) => this.release(partition, 'closed')));
  }

  /** Gives a partition up: tells first, so work stops before another member can take it. */
  async release(partition: string, reason: RevokeReason): Promise<void> {
    const lease = this.#owned.get(partition);
    if (!lease) return;
    this.#owned.delete(partition);
    this.#releasing.add(partition);
    this.#hooks.changed();
    this.#hooks.revoked(partition, reason);
    try {
      await lease.release();
    } catch {
      // Already lost or released: nothing is held either way.
    } finally {
      this.#releasing.delete(partition);
    }
  }

  #acquire(partition: string): void {
    const controller = new AbortController();
    this.#acquiring.set(partition, controller);
    const mutex = new InterProcessMutex(this.#client, joinPath(this.#locksPath, partition));
    const stillWanted = () => !controller.signal.aborted && !this.#closed && this.#hooks.wanted(partition);
    mutex
      .acquire({ signal: controller.signal })
      .then(
        async (lease) => {
          if (this.#acquiring.get(partition) === controller) this.#acquiring.delete(partition);
          if (!stillWanted()) return lease.release().catch(() => undefined);
          this.#owned.set(partition, lease);
          lease.signal.addEventListener('abort', () => this.#lost(partition, lease), { once: true });
          this.#hooks.assigned(partition, lease);
          return undefined;
        },
        (error: unknown) => {
          if (this.#acquiring.get(partition) === controller) this.#acquiring.delete(partition);
          if (!controller.signal.aborted && !this.#closed && !isRetryable(error)) this.#hooks.error(error);
        },
      )
      .finally(() => this.#hooks.changed());
  }

  /** The lease ended without our release (session, connection, node deleted): tell, and look again. */
  #lost(partition: string, lease: Lease): void {
    if (this.#owned.get(partition) !== lease) return;
    this.#owned.delete(partition);
    this.#hooks.revoked(partition, 'lost');
    void lease.release().catch(() => undefined);
    this.#hooks.changed();
  }
}
