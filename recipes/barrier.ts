/**
 * DistributedBarrier (Curator's layout: one persistent node; waiters wait for it to be gone).
 * Waits survive connection loss and session expiry, and leave no listener behind.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { blockedWithConnection, settleClientWait } from '../src/core/deadline.js';
import { InvalidArgumentError, NodeExistsError, NoNodeError, WaitTimeoutError } from '../src/core/errors.js';
import { localAddressBytes } from '../src/zookeeper/node-data.js';
import { validatePath } from '../src/zookeeper/paths.js';
import { waitForWatch } from '../src/zookeeper/wait.js';
import { validateAcquireOptions } from '../src/lock/acquire-options.js';

/**
 * ```ts
 * const gate = new DistributedBarrier(client, '/barriers/deploy');
 * await gate.setBarrier();                      // coordinator
 * await gate.waitOnBarrier({ timeoutMs: 60_000 }); // workers block until…
 * await gate.removeBarrier();                   // …the coordinator lifts it
 * ```
 */
export class DistributedBarrier {
  readonly client: ZkClient;
  readonly path: string;

  constructor(client: ZkClient, path: string) {
    if (!client || typeof client.exists !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
  }

  /** Raises the barrier (idempotent). */
  async setBarrier(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.client.create(this.path, localAddressBytes(), { createParents: true, signal: options.signal });
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  /** Lifts the barrier, releasing every waiter at once (idempotent). */
  async removeBarrier(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.client.delete(this.path, { signal: options.signal });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /** Resolves once the barrier is down. WaitTimeoutError at `timeoutMs` whatever the connection does; the signal's reason on abort. */
  async waitOnBarrier(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { timeoutMs, signal } = validateAcquireOptions(options, undefined, 'waitOnBarrier options');
    const onTimeout = () =>
      new WaitTimeoutError('waitOnBarrier', this.path, timeoutMs ?? 0, blockedWithConnection('the barrier was still set', this.client));
    await settleClientWait(this.client, { timeoutMs, signal, onTimeout }, (deadline, inner) => this.#wait(deadline, onTimeout, inner));
  }

  async #wait(deadline: number | undefined, onTimeout: () => Error, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const round = new AbortController();
      const both = signal ? AbortSignal.any([signal, round.signal]) : round.signal;
      try {
        // getData, not exists: a watch on a missing node would stay on the server (Curator's note too).
        const watched = await this.client.watchData(this.path, { signal: both }).catch((error: unknown) => {
          if (error instanceof NoNodeError) return undefined;
          throw error;
        });
        if (!watched) return;
        await waitForWatch(this.client, watched.changed, { deadline, onTimeout });
      } finally {
        round.abort(); // drops our watch listener whatever woke us
      }
    }
  }
}
