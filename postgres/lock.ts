/**
 * PostgresLock: the design's unique-key table lock with its three flaws fixed — it expires (a
 * lease deadline by the database's clock, renewed while held), it blocks (waiters queue in
 * arrival order and a release NOTIFYs the next one alone) and it is re-entrant (per async call
 * tree, on the shared ownership layer) — plus a fencing token from a sequence at every grant.
 */
import { hostname } from 'node:os';
import { InvalidArgumentError } from '../src/core/errors.js';
import { OwnedLock } from '../src/lock/owned-lock.js';
import { ReentrantLock } from '../src/lock/reentrant-lock.js';
import { checkTimeoutMs } from '../src/core/limits.js';
import { ListenHub } from './listen-hub.js';
import { TtlLockEngine } from '../src/lock/ttl-engine.js';
import { PostgresLockStore } from './lock-engine.js';
import { checkPool, type PgPoolLike } from './pool.js';
import { checkTableName } from './schema.js';

/** Options of a {@link PostgresLock}. */
export interface PostgresLockOptions {
  /** The lease's TTL, judged by the database's clock; renewed every ttlMs/3 while held. @default 30000 */
  readonly ttlMs?: number;
  /** Subtracted from the local deadline by which `lease.signal` aborts when no renewal got through. @default ttlMs/100 + 2 */
  readonly driftMs?: number;
  /** The lock table (a lower-case identifier; `<table>_queue`, `_fence` and four functions go with it). @default 'zk_recipes_locks' */
  readonly table?: string;
  /** Create the table and functions on first use (idempotent). `false` when a migration made them (`lockDdl()`). @default true */
  readonly createTable?: boolean;
  /** Who holds it and why, stored in the lock row (the design's memo column). @default '<host>:<pid>' */
  readonly memo?: string;
  /** A waiter looks again this often even without a NOTIFY (a lost one costs at most this; each look is one transaction). @default 2000 */
  readonly recheckMs?: number;
  /** Deadline of each statement. A try answers within it. @default 5000 */
  readonly operationTimeoutMs?: number;
  /** Wake waiters with LISTEN/NOTIFY (a dedicated connection per pool). `false` behind a transaction-mode pooler: waiters then re-check every recheckMs. @default true */
  readonly listen?: boolean;
  /** How long the listening connection stays open with no waiter. @default 5000 */
  readonly listenerIdleMs?: number;
}

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

  constructor(pool: PgPoolLike, name: string, options: PostgresLockOptions = {}) {
    super();
    const pg = checkPool(pool);
    this.name = checkName(name);
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object like { ttlMs }.');
    const ttlMs = checkTimeoutMs('ttlMs', options.ttlMs ?? 30_000, 50);
    const driftMs = checkTimeoutMs('driftMs', options.driftMs ?? Math.floor(ttlMs / 100) + 2);
    if (driftMs >= ttlMs / 3) throw new InvalidArgumentError(`driftMs (${driftMs}) must be well below ttlMs/3 (${Math.floor(ttlMs / 3)}).`);
    const memo = options.memo ?? `${hostname()}:${process.pid}`;
    if (typeof memo !== 'string') throw new InvalidArgumentError('memo must be a string.');
    this.ttlMs = ttlMs;
    const recheckMs = checkTimeoutMs('recheckMs', options.recheckMs ?? 2000, 10);
    const operationTimeoutMs = checkTimeoutMs('operationTimeoutMs', options.operationTimeoutMs ?? 5000, 10);
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
    this.owned = new OwnedLock(new TtlLockEngine('PostgresLock', store, { ttlMs, driftMs, recheckMs, operationTimeoutMs }));
  }

  /** Closes the pool's idle listening connection now (call before `pool.end()` so nothing lingers). */
  static closeListener(pool: PgPoolLike): void {
    ListenHub.closeIdle(pool);
  }
}
