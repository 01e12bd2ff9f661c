/**
 * DistributedDoubleBarrier (Curator's layout): members are EPHEMERAL `<path>/<uuid>` nodes; the
 * last of `memberQty` to enter creates `<path>/ready`. Leaving follows ZooKeeper's double-barrier
 * recipe so everyone leaves together. Errors surface; nothing is swallowed.
 */
import { randomUUID } from 'node:crypto';
import type { ZkClient } from '../src/zookeeper/client.js';
import { blockedWithConnection, settleClientWait } from '../src/core/deadline.js';
import { InvalidArgumentError, NodeExistsError, NoNodeError, WaitTimeoutError } from '../src/core/errors.js';
import { localAddressBytes } from '../src/zookeeper/node-data.js';
import { joinPath, validatePath } from '../src/zookeeper/paths.js';
import { CreateMode } from '../src/zookeeper/types.js';
import { waitForWatch } from '../src/zookeeper/wait.js';
import { validateAcquireOptions } from '../src/lock/acquire-options.js';
import { READY_NODE } from './node-names.js';
import { describeValue } from '../src/core/options.js';

/**
 * ```ts
 * const barrier = new DistributedDoubleBarrier(client, '/barriers/batch-7', 5);
 * await barrier.enter({ timeoutMs: 30_000 }); // waits until 5 members are in
 * await compute();
 * await barrier.leave({ timeoutMs: 30_000 }); // waits until all 5 are done
 * ```
 */
export class DistributedDoubleBarrier {
  readonly client: ZkClient;
  readonly path: string;
  readonly memberQty: number;
  readonly #ourName = randomUUID();

  constructor(client: ZkClient, path: string, memberQty: number) {
    if (!client || typeof client.exists !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    if (!Number.isInteger(memberQty) || memberQty < 1)
      throw new InvalidArgumentError(`memberQty must be a positive integer, got ${describeValue(memberQty)}.`);
    this.client = client;
    this.path = validatePath(path);
    this.memberQty = memberQty;
  }

  /** Where the current enter/leave stands, for its timeout error. */
  #progress: string | undefined;

  get #ourPath(): string {
    return joinPath(this.path, this.#ourName);
  }

  /**
   * Joins and waits until `memberQty` members are in. Settles by its deadline whatever the
   * connection does; on timeout, abort or error our member node is removed (once its create has
   * answered, if it was in flight), so an abandoned enter never counts as a member.
   */
  async enter(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { timeoutMs, signal } = validateAcquireOptions(options, undefined, 'enter options');
    this.#progress = undefined; // what an earlier call saw is not this one's
    const onTimeout = () => new WaitTimeoutError('enter', this.path, timeoutMs ?? 0, blockedWithConnection(this.#progress, this.client));
    await settleClientWait(this.client, { timeoutMs, signal, onTimeout, discard: () => this.#deleteOurs() }, (deadline, inner) =>
      this.#enter(deadline, onTimeout, inner),
    );
  }

  async #enter(deadline: number | undefined, onTimeout: () => Error, signal: AbortSignal | undefined): Promise<void> {
    const readyPath = joinPath(this.path, READY_NODE);
    // Never cut in flight: an abandoned create could land after we gave up and count as a member.
    await this.client.createInSession(this.#ourPath, localAddressBytes(), { mode: CreateMode.EPHEMERAL, createParents: true, signal });
    try {
      for (;;) {
        signal?.throwIfAborted();
        const round = new AbortController();
        const both = signal ? AbortSignal.any([signal, round.signal]) : round.signal;
        try {
          const ready = await this.client.watchExists(readyPath, { signal: both });
          if (ready.value !== null) return;
          const { children } = await this.client.getChildren(this.path, { signal });
          const members = children.filter((c) => c !== READY_NODE).length;
          this.#progress = `${members} of ${this.memberQty} members were in`;
          if (members >= this.memberQty) {
            await this.client.create(readyPath, localAddressBytes(), { signal }).catch((error: unknown) => {
              if (!(error instanceof NodeExistsError)) throw error;
            });
            return;
          }
          await waitForWatch(this.client, ready.changed, { deadline, onTimeout });
        } finally {
          round.abort();
        }
      }
    } catch (error) {
      await this.#deleteOurs().catch(() => undefined);
      throw error;
    }
  }

  /** Leaves and waits until every member has left. Settles by its deadline; on timeout/abort our node is removed. */
  async leave(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { timeoutMs, signal } = validateAcquireOptions(options, undefined, 'leave options');
    this.#progress = undefined;
    const onTimeout = () => new WaitTimeoutError('leave', this.path, timeoutMs ?? 0, blockedWithConnection(this.#progress, this.client));
    await settleClientWait(this.client, { timeoutMs, signal, onTimeout }, (deadline, inner) => this.#leave(deadline, onTimeout, inner));
  }

  async #leave(deadline: number | undefined, onTimeout: () => Error, signal: AbortSignal | undefined): Promise<void> {
    try {
      for (;;) {
        const { children } = await this.client.getChildren(this.path, { signal }).catch((error: unknown) => {
          if (error instanceof NoNodeError) return { children: [] as string[] };
          throw error;
        });
        const members = children.filter((c) => c !== READY_NODE).sort();
        if (members.length === 0) break;
        const ourIndex = members.indexOf(this.#ourName);
        if (members.length === 1 && ourIndex === 0) {
          await this.#deleteOurs();
          break;
        }
        // The lowest waits for the highest; everyone else leaves and waits for the lowest.
        const watchName = ourIndex === 0 ? members[members.length - 1] : members[0];
        this.#progress = `${members.length} members had not left; waiting for ${watchName}`;
        if (ourIndex > 0) await this.#deleteOurs();
        const round = new AbortController();
        const both = signal ? AbortSignal.any([signal, round.signal]) : round.signal;
        try {
          const watched = await this.client
            .watchData(joinPath(this.path, watchName as string), { signal: both })
            .catch((error: unknown) => {
              if (error instanceof NoNodeError) return undefined;
              throw error;
            });
          if (watched) await waitForWatch(this.client, watched.changed, { deadline, onTimeout });
        } finally {
          round.abort();
        }
      }
    } catch (error) {
      await this.#deleteOurs().catch(() => undefined);
      throw error;
    }
    await this.client.delete(joinPath(this.path, READY_NODE)).catch((error: unknown) => {
      if (!(error instanceof NoNodeError)) throw error;
    });
  }

  async #deleteOurs(): Promise<void> {
    await this.client.delete(this.#ourPath).catch((error: unknown) => {
      if (!(error instanceof NoNodeError)) throw error;
    });
  }
}
