/**
 * InterProcessSemaphoreV2: at most `maxLeases` leases held across processes, with Curator's
 * layout and algorithm — an internal mutex on `<path>/locks` and lease nodes
 * `_c_<uuid>-lease-<seq>` under `<path>/leases`. Only the holder of the internal mutex watches
 * `leases`; everyone else sleeps in the mutex queue, so a returned lease wakes one waiter.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { settleAcquire } from '../src/core/deadline.js';
import { publish } from '../src/core/diagnostics.js';
import { InvalidArgumentError, LockTimeoutError, NoNodeError } from '../src/core/errors.js';
import { checkQueueNodeData } from '../src/zookeeper/request-size.js';
import type { Lease } from '../src/lock/lease.js';
import { localAddressBytes } from '../src/zookeeper/node-data.js';
import { joinPath, validatePath } from '../src/zookeeper/paths.js';
import { SequentialQueue } from '../src/zookeeper/sequential-queue.js';
import { zooKeeperLease } from '../src/zookeeper/zk-lease.js';
import { InterProcessMutex } from './mutex.js';
import { ACQUIRE_OPTION_KEYS, type AcquireOptions, nullOnTimeout, validateAcquireOptions } from '../src/lock/acquire-options.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../src/core/options.js';
import { LOCK_PARENT, LEASE_PARENT, LEASE_NODE_NAME } from './node-names.js';

/** A source of maxLeases that can change at run time (e.g. a SharedCount). */
export interface SharedCountReader {
  /** The current count. */
  getCount(): number;
  /** Calls `listener` after every change; returns an unsubscribe function. */
  onChange(listener: (count: number) => void): () => void;
}

/** How many leases the semaphore has: fixed, or from a shared count every participant reads. */
export type SemaphoreLimit = { readonly maxLeases: number } | { readonly count: SharedCountReader };

/** Options of {@link InterProcessSemaphoreV2.acquire}. */
export interface SemaphoreAcquireOptions extends AcquireOptions {
  /** Leases to take, all or none. @default 1 */
  readonly qty?: number;
}

/** Options of the semaphore. */
export interface SemaphoreOptions {
  /** Data of lease nodes. @default this host's IP text (Curator's default) */
  readonly data?: Buffer;
}

const SEMAPHORE_OPTION_KEYS: OptionKeys<SemaphoreOptions> = { data: true };
const SEMAPHORE_ACQUIRE_KEYS: OptionKeys<SemaphoreAcquireOptions> = { ...ACQUIRE_OPTION_KEYS, qty: true };
const TRY_KEYS: OptionKeys<{ qty?: number }> = { qty: true };
const LIMIT_KEYS: Record<'maxLeases' | 'count', true> = { maxLeases: true, count: true };

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * A counting semaphore. Every participant must agree on maxLeases (nothing on the wire records it).
 *
 * ```ts
 * const jobs = new InterProcessSemaphoreV2(client, '/semaphores/encoder', { maxLeases: 3 });
 * await jobs.using(async ([lease]) => encode({ signal: lease.signal }), { timeoutMs: 60_000 });
 * ```
 */
export class InterProcessSemaphoreV2 {
  readonly client: ZkClient;
  readonly path: string;
  readonly #limit: SemaphoreLimit;
  readonly #mutex: InterProcessMutex;
  readonly #leases: SequentialQueue;
  readonly #data: Buffer;

  constructor(client: ZkClient, path: string, limit: SemaphoreLimit, options: SemaphoreOptions = {}) {
    if (!client || typeof client.getChildren !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
    if (!limit || typeof limit !== 'object') throw new InvalidArgumentError('The third argument must be { maxLeases } or { count }.');
    checkOptionKeys('InterProcessSemaphoreV2 limit', limit, LIMIT_KEYS as OptionKeys<SemaphoreLimit>);
    checkOptionKeys('InterProcessSemaphoreV2 options', options, SEMAPHORE_OPTION_KEYS);
    if ('count' in limit) {
      if (!limit.count || typeof limit.count.getCount !== 'function' || typeof limit.count.onChange !== 'function') {
        throw new InvalidArgumentError('count must have getCount() and onChange(listener).');
      }
    } else positiveInteger('maxLeases', limit.maxLeases);
    if (options.data !== undefined && !Buffer.isBuffer(options.data)) throw new InvalidArgumentError('data must be a Buffer.');
    checkQueueNodeData(
      'InterProcessSemaphoreV2 data',
      client.namespace,
      joinPath(this.path, LEASE_PARENT),
      LEASE_NODE_NAME,
      options.data?.length ?? 0,
    );
    this.#limit = limit;
    this.#data = options.data ?? localAddressBytes();
    this.#mutex = new InterProcessMutex(client, joinPath(this.path, LOCK_PARENT));
    this.#leases = new SequentialQueue(client, joinPath(this.path, LEASE_PARENT), { sortNames: [LEASE_NODE_NAME] });
  }

  /** The current maxLeases. */
  get maxLeases(): number {
    return 'count' in this.#limit ? this.#limit.count.getCount() : this.#limit.maxLeases;
  }

  /**
   * Takes `qty` leases, all or none: on timeout (LockTimeoutError), abort (the signal's reason) or
   * error, every lease taken so far is returned and no node is left. The call settles by its
   * deadline whatever the connection does. With a `count` source, a qty above the current count
   * waits for the count to rise.
   */
  async acquire(options: SemaphoreAcquireOptions = {}): Promise<Lease[]> {
    const { timeoutMs, signal } = validateAcquireOptions(options, SEMAPHORE_ACQUIRE_KEYS);
    const qty = positiveInteger('qty', options.qty ?? 1);
    if (!('count' in this.#limit) && qty > this.#limit.maxLeases) {
      throw new InvalidArgumentError(
        `qty (${qty}) exceeds maxLeases (${this.#limit.maxLeases}) of ${this.path}: it could never be granted.`,
      );
    }
    signal?.throwIfAborted();
    const started = Date.now();
    const waitDeadline = timeoutMs === undefined ? undefined : started + timeoutMs;
    publish('zk-recipes:acquire:start', { recipe: 'InterProcessSemaphoreV2', path: this.path });
    try {
      const taken = await settleAcquire(
        this.client,
        { path: this.path, timeoutMs, signal, started, discard: (late: Lease[]) => this.returnAll(late) },
        (inner) => this.#acquireAll(qty, waitDeadline, timeoutMs ?? 0, inner),
      );
      publish('zk-recipes:acquire:end', {
        recipe: 'InterProcessSemaphoreV2',
        path: this.path,
        ok: true,
        waitMs: Date.now() - started,
        nodePath: taken[0]?.nodePath,
      });
      return taken;
    } catch (error) {
      publish('zk-recipes:acquire:end', {
        recipe: 'InterProcessSemaphoreV2',
        path: this.path,
        ok: false,
        waitMs: Date.now() - started,
        error,
      });
      throw error;
    }
  }

  /**
   * Holds the gate (the internal mutex) for all `qty` leases. Curator takes the gate once per
   * lease, so two all-or-none acquirers can each end up holding part and wait for each other for
   * ever; holding it across the whole request means a waiter never holds part while another
   * all-or-none acquirer waits (same layout, so Curator still interoperates).
   */
  async #acquireAll(qty: number, deadline: number | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<Lease[]> {
    let blockedOn = 'behind other acquirers at the gate (its lock node)';
    const onTimeout = () => new LockTimeoutError(this.path, timeoutMs, { blockedOn, leftBehind: 'our nodes were removed' });
    const remaining = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
    let gate: Lease;
    try {
      gate = await this.#mutex.acquire({ timeoutMs: remaining, signal });
    } catch (error) {
      if (error instanceof LockTimeoutError && error.blockedOn) blockedOn = `behind other acquirers at the gate: ${error.blockedOn}`;
      throw error instanceof LockTimeoutError ? onTimeout() : error;
    }
    blockedOn = `all ${this.maxLeases} leases are taken`;
    const taken: Lease[] = [];
    try {
      for (let i = 0; i < qty; i++) taken.push(await this.#takeLease(deadline, onTimeout, signal));
      return taken;
    } catch (error) {
      await this.returnAll(taken).catch(() => undefined);
      throw error;
    } finally {
      // The gate is held only while acquiring, never while a lease is held (Curator's algorithm).
      await gate.release().catch(() => undefined);
      if (taken.length < qty) await this.#removePathIfEmpty();
    }
  }

  /** The leases now, or null (nothing is left behind). */
  async tryAcquire(options: { qty?: number } = {}): Promise<Lease[] | null> {
    checkOptionKeys('tryAcquire options', options, TRY_KEYS);
    return nullOnTimeout(this.acquire({ qty: options.qty, timeoutMs: 0 }));
  }

  /** Runs `fn(leases)` holding `qty` leases and returns them in `finally`. */
  async using<T>(fn: (leases: Lease[]) => Promise<T> | T, options: SemaphoreAcquireOptions = {}): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('using() needs a function to run while holding the leases.');
    const leases = await this.acquire(options);
    try {
      return await fn(leases);
    } finally {
      await this.returnAll(leases);
    }
  }

  /** Returns every lease not yet released. */
  async returnAll(leases: readonly Lease[]): Promise<void> {
    await Promise.all(leases.filter((l) => !l.released).map((l) => l.release()));
  }

  /** Names of the lease nodes now present (Curator's `getParticipantNodes`: unsorted names). */
  async getParticipantNodes(): Promise<string[]> {
    try {
      return (await this.client.getChildren(joinPath(this.path, LEASE_PARENT))).children;
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  async #takeLease(deadline: number | undefined, onTimeout: () => Error, signal: AbortSignal | undefined): Promise<Lease> {
    const node = await this.#leases.join(LEASE_NODE_NAME, this.#data, { signal });
    try {
      const count = 'count' in this.#limit ? this.#limit.count : undefined;
      await this.#leases.waitUntil(node, (sorted) => sorted.length <= this.maxLeases, {
        signal,
        deadline,
        onTimeout,
        subscribe: count ? (wake) => count.onChange(() => wake()) : undefined,
      });
    } catch (error) {
      await this.#leases.leave(node).catch(() => undefined);
      throw error;
    }
    return zooKeeperLease({
      client: this.client,
      lockPath: this.path,
      nodePath: node.path,
      sessionId: node.sessionId,
      fencingToken: node.stat?.czxid,
      release: async () => {
        await this.#leases.leave(node);
        await this.#removePathIfEmpty();
      },
    });
  }

  async #removePathIfEmpty(): Promise<void> {
    // Container parents (ZooKeeper 3.5+) are reaped by the server; a failing delete costs a write.
    if (this.client.containersSupported !== false) return;
    try {
      await this.client.delete(this.path);
    } catch {
      // NOT_EMPTY (others are queued), NO_NODE (gone already) or a connection problem: all fine to leave.
    }
  }
}
