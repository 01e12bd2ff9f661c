/**
 * PostgresLock: the design's unique-key table lock with its three flaws fixed — it expires (a
 * lease deadline by the database's clock, renewed while held), it blocks (waiters queue in
 * arrival order and a release NOTIFYs the next one alone) and it is re-entrant (per async call
 * tree, on the shared ownership layer) — plus a fencing token from a sequence at every grant.
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import { OwnedLock } from '../src/lock/owned-lock.js';
import { ReentrantLock } from '../src/lock/reentrant-lock.js';
import { checkTimeoutMs } from '../src/core/limits.js';
import { ListenHub } from './listen-hub.js';
import { type LockInspection, TtlLockEngine } from '../src/lock/ttl-engine.js';
import { resolveTtlOptions, type TtlLockOptions } from '../src/lock/ttl-options.js';
import { checkOptionKeys, type OptionKeys } from '../src/core/options.js';
import { PostgresLockStore } from './lock-engine.js';
import { checkPool, type PgPoolLike } from './pool.js';
import { checkTableName } from './schema.js';

/** Options of a {@link PostgresLock}. */
export interface PostgresLockOptions extends TtlLockOptions {
  /** The lock table (a lower-case identifier; `<table>_queue`, `_fence` and four functions go with it). @default 'zk_recipes_locks' */
  readonly table?: string;
  /** Create the table and functions on first use (idempotent). `false` when a migration made them (`lockDdl()`). @default true */
  readonly createTable?: boolean;
  /** A waiter looks again this often even without a NOTIFY (a lost one costs at most this; each look is one transaction). @default 2000 */
  readonly recheckMs?: number;
  /** Wake waiters with LISTEN/NOTIFY (a dedicated connection per pool). `false` behind a transaction-mode pooler: waiters then re-check every recheckMs. @default true */
  readonly listen?: boolean;
  /** How long the listening connection stays open with no waiter. @default 5000 */
  readonly listenerIdleMs?: number;
}

const POSTGRES_LOCK_OPTION_KEYS: OptionKeys<PostgresLockOptions> = {
  ttlMs: true,
  driftMs: true,
  table: true,
  createTable: true,
  memo: true,
  recheckMs: true,
  operationTimeoutMs: true,
  listen: true,
  listenerIdleMs: true,
  logger: true,
  slowWaitMs: true,
};

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('A PostgreSQL lock needs a non-empty name (a string).');
  if (Buffer.byteLength(name) > 1024)
    throw new InvalidArgumentError(`A PostgreSQL lock name may be at most 1024 bytes, got ${Buffer.byteLength(name)}.`);
  if (name.includes('\0')) throw new InvalidArgumentError('A PostgreSQL lock name may not contain a NUL character.');
  return name;
}

/**
 * A re-entrant, fair, fenced lock in a PostgreSQL table.
 *
 * ```ts
 * const lock = new PostgresLock(pool, 'nightly-report', { ttlMs: 15_000 });
 * await lock.using(async (lease) => {
 *   await render({ signal: lease.signal, fencingToken: await lease.fencingToken() });
 * }, { timeoutMs: 60_000 });
 * ```
 *
 * Limits: one primary. Asynchronous replication means a failover can lose the lock row and grant
 * it twice; a holder paused past its TTL has lost the lock without knowing. Fencing tokens checked
 * by the guarded resource are what make both safe.
 */
export class PostgresLock extends ReentrantLock {
  /** The lock's name. */
  readonly name: string;
  /** The lease TTL in ms. */
  readonly ttlMs: number;
  /** The ownership layer over this lock's engine. */
  protected readonly owned: OwnedLock<unknown>;
  readonly #engine: TtlLockEngine;

  constructor(pool: PgPoolLike, name: string, options: PostgresLockOptions = {}) {
    super();
    const pg = checkPool(pool);
    this.name = checkName(name);
    checkOptionKeys('PostgresLock options', options, POSTGRES_LOCK_OPTION_KEYS);
    const { ttlMs, driftMs, operationTimeoutMs, memo, logger, slowWaitMs } = resolveTtlOptions(options);
    this.ttlMs = ttlMs;
    const recheckMs = checkTimeoutMs('recheckMs', options.recheckMs ?? 2000, 10);
    const store = new PostgresLockStore(pg, {
      name,
      table: checkTableName(options.table ?? 'zk_recipes_locks'),
      createTable: options.createTable !== false,
      memo,
      ttlMs,
      recheckMs,
      operationTimeoutMs,
      listen: options.listen !== false,
      listenerIdleMs: checkTimeoutMs('listenerIdleMs', options.listenerIdleMs ?? 5000),
    });
    this.#engine = new TtlLockEngine('PostgresLock', store, { ttlMs, driftMs, recheckMs, operationTimeoutMs, logger });
    this.owned = new OwnedLock(this.#engine, { slowWait: { afterMs: slowWaitMs, logger: () => logger } });
  }

  /**
   * The lock as it is in the table now — holder (memo, TTL left, token) and waiters in line
   * order — in one read-only query. Also: `zk-recipes inspect <name> --postgres <url>`.
   */
  inspect(): Promise<LockInspection> {
    return this.#engine.inspect();
  }

  /** Closes the pool's idle listening connection now (call before `pool.end()` so nothing lingers). */
  static closeListener(pool: PgPoolLike): void {
    ListenHub.closeIdle(pool);
  }
}
