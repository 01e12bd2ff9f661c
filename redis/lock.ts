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
import { type LockInspection, TtlLockEngine } from '../src/lock/ttl-engine.js';
import { resolveTtlOptions, type TtlLockOptions } from '../src/lock/ttl-options.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../src/core/options.js';
import type { ReplicaWait } from './replica-wait.js';
import { RedisLockStore } from './lock-engine.js';
import type { RedisLockKeys } from './lock-scripts.js';
import { checkKeyPrefix, checkRedisClient, type RedisClientLike } from './scripts.js';
import { LOCK_CLUSTER_NOT_SUPPORTED, type RedisClusterLike } from './cluster.js';

/** Options of a {@link RedisLock}. */
export interface RedisLockOptions extends TtlLockOptions {
  /** A waiter looks again this often even without a wake-up (a lost message costs at most this). @default 1000 */
  readonly recheckMs?: number;
  /** Prefix of the lock's keys: `<prefix>{<name>}:owner|queue|waiters|fence`. @default 'zk-recipes:lock:' */
  readonly prefix?: string;
  /** How long the wake-up subscriber (the client's `duplicate()`) stays open with no waiter. @default 5000 */
  readonly subscriberIdleMs?: number;
  /**
   * Grants and renewals count only once this many replicas acknowledged them (`WAIT n`): a
   * primary that crashes right after a grant can then no longer take the grant with it to a
   * promoted replica and let a second holder in. Costs one round trip to the replicas per acquire
   * and per renewal; while fewer replicas answer, acquires wait (until their timeout) and leases
   * are reported lost when their renewals cannot be confirmed. WAIT blocks the client's connection
   * for up to `replicaWaitMs`: give the lock a client of its own if other traffic shares it.
   * @default 0 (asynchronous replication, as Redis itself)
   */
  readonly replicas?: number;
  /** WAIT's timeout with `replicas`: how long one grant or renewal waits for the replicas. @default min(500, ttlMs / 6) */
  readonly replicaWaitMs?: number;
}

const REDIS_LOCK_OPTION_KEYS: OptionKeys<RedisLockOptions> = {
  ttlMs: true,
  driftMs: true,
  recheckMs: true,
  operationTimeoutMs: true,
  prefix: true,
  subscriberIdleMs: true,
  replicas: true,
  replicaWaitMs: true,
  memo: true,
  logger: true,
  slowWaitMs: true,
};

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('A Redis lock needs a non-empty name (a string).');
  if (Buffer.byteLength(name) > 1024)
    throw new InvalidArgumentError(`A Redis lock name may be at most 1024 bytes, got ${Buffer.byteLength(name)}.`);
  if (/[{}]/.test(name))
    throw new InvalidArgumentError(`A Redis lock name may not contain '{' or '}' (they make the keys' hash tag): ${JSON.stringify(name)}.`);
  return name;
}

/** `replicas` and `replicaWaitMs`, checked: undefined when no replica is waited for. */
function checkReplicas(replicas: unknown, replicaWaitMs: unknown, ttlMs: number): ReplicaWait | undefined {
  if (replicas !== undefined && (!Number.isInteger(replicas) || (replicas as number) < 0 || (replicas as number) > 64))
    throw new InvalidArgumentError(
      `replicas must be an integer from 0 to 64 (how many replicas must acknowledge a grant), got ${describeValue(replicas)}.`,
    );
  // By default a WAIT may take a sixth of the TTL, at most 500 ms: a renewal is then confirmed well before the lease runs out.
  const waitMs = checkTimeoutMs('replicaWaitMs', replicaWaitMs ?? Math.max(1, Math.min(500, Math.floor(ttlMs / 6))), 1);
  if (!replicas) return undefined;
  if (waitMs >= ttlMs / 3)
    throw new InvalidArgumentError(
      `replicaWaitMs (${waitMs}) must be below ttlMs/3 (${Math.floor(ttlMs / 3)}): a renewal must be confirmed well before the lease runs out.`,
    );
  return { count: replicas as number, waitMs };
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
 * Limits, stated plainly: replication is asynchronous, so a failover can lose a grant and grant
 * the lock twice (`replicas: n` narrows that window); a holder paused past its TTL has lost the
 * lock without knowing. Fencing tokens checked by the guarded resource are what make both safe.
 */
export class RedisLock extends ReentrantLock {
  /** The lock's name. */
  readonly name: string;
  /** The lease TTL in ms. */
  readonly ttlMs: number;
  readonly #store: RedisLockStore;
  readonly #engine: TtlLockEngine;
  /** The ownership layer over this lock's engine. */
  protected readonly owned: OwnedLock<unknown>;

  constructor(client: RedisClientLike | RedisClusterLike, name: string, options: RedisLockOptions = {}) {
    super();
    const redis = checkRedisClient(client, { allowCluster: true });
    if (redis.cluster && !redis.shardedSubscribe) throw new InvalidArgumentError(LOCK_CLUSTER_NOT_SUPPORTED);
    this.name = checkName(name);
    checkOptionKeys('RedisLock options', options, REDIS_LOCK_OPTION_KEYS);
    const { ttlMs, driftMs, operationTimeoutMs, memo, logger, slowWaitMs } = resolveTtlOptions(options);
    const recheckMs = checkTimeoutMs('recheckMs', options.recheckMs ?? 1000, 10);
    const subscriberIdleMs = checkTimeoutMs('subscriberIdleMs', options.subscriberIdleMs ?? 5000);
    const prefix = checkKeyPrefix(options.prefix ?? 'zk-recipes:lock:');
    const replicas = checkReplicas(options.replicas, options.replicaWaitMs, ttlMs);
    this.ttlMs = ttlMs;
    this.#store = new RedisLockStore(redis, { name, prefix, ttlMs, recheckMs, operationTimeoutMs, subscriberIdleMs, memo, replicas });
    this.#engine = new TtlLockEngine('RedisLock', this.#store, { ttlMs, driftMs, recheckMs, operationTimeoutMs, logger });
    this.owned = new OwnedLock(this.#engine, { slowWait: { afterMs: slowWaitMs, logger: () => logger } });
  }

  /** The Redis keys this lock uses (for inspection and tests). */
  get keys(): RedisLockKeys {
    return this.#store.keys;
  }

  /**
   * The lock as it is in Redis now — holder (memo, TTL left, token) and waiters in line order —
   * in one read-only script. Also: `zk-recipes inspect <name> --redis <url>`.
   */
  inspect(): Promise<LockInspection> {
    return this.#engine.inspect();
  }
}
