/**
 * RedisLock: the lock contract of every zk-recipes lock (re-entrant per async call tree, leases
 * with `signal` and a fencing token, `using`, `await using`) on a single Redis primary, with the
 * naive `SETNX` lock's weaknesses fixed: atomic acquire with a fencing token, compare-and-delete
 * release, a renewing watchdog that tells the holder when the lock may be gone, FIFO waiting with
 * one wake-up per hand-off, BUSY handled, EVALSHA with EVAL fallback.
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import { OwnedLock } from '../src/lock/owned-lock.js';
import { ReentrantLock } from '../src/lock/reentrant-lock.js';
import { checkTimeoutMs } from '../src/core/limits.js';
import { TtlLockEngine } from '../src/lock/ttl-engine.js';
import { RedisLockStore } from './lock-engine.js';
import type { RedisLockKeys } from './lock-scripts.js';
import { checkKeyPrefix, checkRedisClient, type RedisClientLike } from './scripts.js';

/** Options of a {@link RedisLock}. */
export interface RedisLockOptions {
  /** The lease's TTL on the server; the watchdog renews it every ttlMs/3 while held. @default 30000 */
  readonly ttlMs?: number;
  /** Subtracted from the local deadline by which `lease.signal` aborts when no renewal got through. @default ttlMs/100 + 2 */
  readonly driftMs?: number;
  /** A waiter looks again this often even without a wake-up (a lost message costs at most this). @default 1000 */
  readonly recheckMs?: number;
  /** Deadline of each call to Redis (BUSY is retried within it). A try answers within it. @default 5000 */
  readonly operationTimeoutMs?: number;
  /** Prefix of the lock's keys: `<prefix>{<name>}:owner|queue|waiters|fence`. @default 'zk-recipes:lock:' */
  readonly prefix?: string;
  /** How long the wake-up subscriber (the client's `duplicate()`) stays open with no waiter. @default 5000 */
  readonly subscriberIdleMs?: number;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('A Redis lock needs a non-empty name (a string).');
  if (Buffer.byteLength(name) > 1024)
    throw new InvalidArgumentError(`A Redis lock name may be at most 1024 bytes, got ${Buffer.byteLength(name)}.`);
  if (/[{}]/.test(name))
    throw new InvalidArgumentError(`A Redis lock name may not contain '{' or '}' (they make the keys' hash tag): ${JSON.stringify(name)}.`);
  return name;
}

/**
 * A re-entrant lock on Redis. Ownership is per async call tree, exactly as `InterProcessMutex`:
 * inside `using(fn)` or `lease.run(fn)` the same lock object re-enters for free; two concurrent
 * flows contend as two processes would.
 *
 * ```ts
 * const lock = new RedisLock(redis, 'invoices', { ttlMs: 10_000 });
 * await lock.using(async (lease) => {
 *   await store.write(data, { fencingToken: await lease.fencingToken(), signal: lease.signal });
 * }, { timeoutMs: 5_000 });
 * ```
 *
 * Limits, stated plainly: one Redis primary. Replication is asynchronous, so a failover can lose
 * the lock and grant it twice; a holder paused past its TTL has lost the lock without knowing.
 * Fencing tokens checked by the guarded resource are what make both safe.
 */
export class RedisLock extends ReentrantLock {
  /** The lock's name. */
  readonly name: string;
  /** The lease TTL in ms. */
  readonly ttlMs: number;
  readonly #store: RedisLockStore;
  /** The ownership layer over this lock's engine. */
  protected readonly owned: OwnedLock<unknown>;

  constructor(client: RedisClientLike, name: string, options: RedisLockOptions = {}) {
    super();
    const redis = checkRedisClient(client);
    this.name = checkName(name);
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object like { ttlMs }.');
    const ttlMs = options.ttlMs ?? 30_000;
    checkTimeoutMs('ttlMs', ttlMs, 50);
    const driftMs = options.driftMs ?? Math.floor(ttlMs / 100) + 2;
    checkTimeoutMs('driftMs', driftMs);
    if (driftMs >= ttlMs / 3) throw new InvalidArgumentError(`driftMs (${driftMs}) must be well below ttlMs/3 (${Math.floor(ttlMs / 3)}).`);
    const recheckMs = checkTimeoutMs('recheckMs', options.recheckMs ?? 1000, 10);
    const operationTimeoutMs = checkTimeoutMs('operationTimeoutMs', options.operationTimeoutMs ?? 5000, 10);
    const subscriberIdleMs = checkTimeoutMs('subscriberIdleMs', options.subscriberIdleMs ?? 5000);
    const prefix = checkKeyPrefix(options.prefix ?? 'zk-recipes:lock:');
    this.ttlMs = ttlMs;
    this.#store = new RedisLockStore(redis, { name, prefix, ttlMs, recheckMs, operationTimeoutMs, subscriberIdleMs });
    this.owned = new OwnedLock(new TtlLockEngine('RedisLock', this.#store, { ttlMs, driftMs, recheckMs, operationTimeoutMs }));
  }

  /** The Redis keys this lock uses (for inspection and tests). */
  get keys(): RedisLockKeys {
    return this.#store.keys;
  }
}
