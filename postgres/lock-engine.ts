/**
 * The PostgreSQL engine under the shared ownership layer: a row per waiter in arrival order (the
 * SQL analogue of ephemeral sequential nodes), the lock row with a lease deadline by the
 * database's clock, renewed by the watchdog; a NOTIFY to the next waiter alone; a fencing token
 * from a sequence at each grant. Every call is one function call, one transaction.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { settleByDeadline } from '../src/deadline.js';
import { LockTimeoutError, OwnershipLostError } from '../src/errors.js';
import type { HoldLeaseParts, LockEngine, TakeRequest } from '../src/lock/owned-lock.js';
import { waitForTurn } from '../src/lock/turn-wait.js';
import { Watchdog } from '../src/lock/watchdog.js';
import { PostgresUnavailableError } from './errors.js';
import { ListenHub } from './listen-hub.js';
import { type PgPoolLike, queryBy } from './pool.js';
import { lockDdl, lockObjects, lockObjectsPresentSql } from './schema.js';

/** The engine's settings, validated by PostgresLock. */
export interface PostgresEngineSettings {
  readonly name: string;
  readonly table: string;
  readonly createTable: boolean;
  readonly memo: string;
  readonly ttlMs: number;
  readonly driftMs: number;
  readonly recheckMs: number;
  readonly operationTimeoutMs: number;
  readonly listen: boolean;
  readonly listenerIdleMs: number;
}

/** One grant. */
export interface PostgresHold {
  readonly id: string;
  readonly token: bigint;
  readonly watchdog: Watchdog;
}

/** Tables made in this process, per pool: the DDL runs once per pool and table. */
const created = new WeakMap<PgPoolLike, Map<string, Promise<void>>>();

/** A wake source for pools that cannot LISTEN: never listening, never woken; the re-check does it all. */
const NO_WAKE_UPS = { listening: true, subscribe: async () => undefined, register: () => () => undefined, channel: '' };

/** The lock engine of one PostgresLock. */
export class PostgresLockEngine implements LockEngine<PostgresHold> {
  readonly recipe = 'PostgresLock';
  readonly path: string;
  readonly #pool: PgPoolLike;
  readonly #settings: PostgresEngineSettings;
  readonly #sql: ReturnType<typeof lockObjects>;

  constructor(pool: PgPoolLike, settings: PostgresEngineSettings) {
    this.#pool = pool;
    this.#settings = settings;
    this.path = settings.name;
    this.#sql = lockObjects(settings.table);
  }

  assertUsable(): void {
    // A pool connects on demand: nothing to check before the first query.
  }

  /** One function call, by the operation deadline (or `deadline`, when earlier). */
  #call(fn: string, args: unknown[], what: string, deadline = Number.POSITIVE_INFINITY): Promise<Record<string, unknown>[]> {
    const params = args.map((_, i) => `$${i + 1}`).join(', ');
    return this.#ready().then(() =>
      queryBy(this.#pool, `SELECT * FROM ${fn}(${params})`, args, Math.min(deadline, Date.now() + this.#settings.operationTimeoutMs), what),
    );
  }

  /** Creates the table and functions once per pool (serialised across processes by an advisory lock). */
  #ready(): Promise<void> {
    if (!this.#settings.createTable) return Promise.resolve();
    let tables = created.get(this.#pool);
    if (!tables) {
      tables = new Map();
      created.set(this.#pool, tables);
    }
    let done = tables.get(this.#settings.table);
    if (!done) {
      const { table } = this.#settings;
      done = (async () => {
        const deadline = Date.now() + 30_000;
        // A role that was granted the objects but does not own them may not replace them: use
        // them as they are (their owner keeps them current, e.g. with lockDdl() in a migration).
        const [found] = await queryBy(this.#pool, lockObjectsPresentSql(table), [], deadline, 'Looking for the lock table');
        if (found?.present === true && found.owned !== true) return;
        const ddl = `SELECT pg_advisory_xact_lock(hashtext('zk-recipes-ddl'));${lockDdl(table)}`;
        await queryBy(this.#pool, ddl, [], deadline, `Creating the lock table ${table} (createTable: true)`);
      })();
      done.catch(() => tables?.delete(this.#settings.table));
      tables.set(this.#settings.table, done);
    }
    return done;
  }

  async #acquireOnce(
    id: string,
    channel: string,
    wait: boolean,
  ): Promise<{ granted: boolean; token: bigint; ownerTtlMs: number; sentAt: number }> {
    const { name, memo, ttlMs, recheckMs, operationTimeoutMs } = this.#settings;
    const sentAt = performance.now();
    const [row] = await this.#call(
      this.#sql.acquire,
      [name, id, channel, memo, ttlMs, wait, 3 * recheckMs + operationTimeoutMs],
      `Acquiring the PostgreSQL lock ${name}`,
    );
    return { granted: row?.granted === true, token: BigInt(String(row?.token ?? 0)), ownerTtlMs: Number(row?.owner_ttl_ms ?? 0), sentAt };
  }

  #grant(id: string, token: bigint, sentAt: number): PostgresHold {
    const { name, ttlMs, driftMs } = this.#settings;
    const watchdog = new Watchdog({
      ttlMs,
      driftMs,
      grantSentAt: sentAt,
      // A renewal answered after our lease may have run out is worth nothing: bound it by that.
      renew: async (deadline) =>
        (await this.#call(this.#sql.renew, [name, id, ttlMs], `Renewing the PostgreSQL lock ${name}`, deadline))[0]?.[
          this.#sql.renew.slice(1, -1)
        ] === true,
    });
    return { id, token, watchdog };
  }

  #leaveQueue(id: string): Promise<unknown> {
    return this.#call(this.#sql.leave, [this.#settings.name, id], `Leaving the queue of ${this.#settings.name}`);
  }

  take({ timeoutMs, signal, started }: TakeRequest): Promise<PostgresHold> {
    const id = randomUUID();
    if (timeoutMs === 0) return this.#try(id);
    return settleByDeadline((inner) => this.#wait(id, inner), {
      deadline: timeoutMs === undefined ? undefined : started + timeoutMs,
      signal,
      onTimeout: () => new LockTimeoutError(this.path, timeoutMs ?? 0),
      graceMs: Math.min(1000, timeoutMs ?? 1000),
      connected: () => true,
      discard: (late) => this.leave(late).catch(() => undefined),
    });
  }

  async #try(id: string): Promise<PostgresHold> {
    try {
      const look = await this.#acquireOnce(id, '', false);
      if (look.granted) return this.#grant(id, look.token, look.sentAt);
    } catch (error) {
      void this.#leaveQueue(id).catch(() => undefined); // a grant whose answer was lost is given back
      throw error;
    }
    throw new LockTimeoutError(this.path, 0);
  }

  #wait(id: string, signal: AbortSignal | undefined): Promise<PostgresHold> {
    const source = this.#settings.listen ? ListenHub.of(this.#pool, this.#settings.listenerIdleMs) : NO_WAKE_UPS;
    return waitForTurn<PostgresHold>({
      waiterId: id,
      source,
      look: async () => {
        const look = await this.#acquireOnce(id, source.channel, true);
        return look.granted ? { granted: this.#grant(id, look.token, look.sentAt) } : { ownerTtlMs: look.ownerTtlMs };
      },
      leave: () => this.#leaveQueue(id).then(() => undefined),
      isTransient: (error) => error instanceof PostgresUnavailableError,
      recheckMs: this.#settings.recheckMs,
      subscribeTimeoutMs: this.#settings.operationTimeoutMs,
      signal,
    });
  }

  async leave(hold: PostgresHold): Promise<void> {
    hold.watchdog.stop();
    const [row] = await this.#call(
      this.#sql.release,
      [this.#settings.name, hold.id],
      `Releasing the PostgreSQL lock ${this.#settings.name}`,
    );
    if (row?.[this.#sql.release.slice(1, -1)] !== true) {
      throw new OwnershipLostError(
        this.path,
        'NOT_OWNER',
        'its lease had run out or passed to another owner before this release: work done under it may have overlapped another holder',
      );
    }
  }

  leaseParts(hold: PostgresHold): HoldLeaseParts {
    return {
      nodePath: `${this.#settings.table}:${this.#settings.name}`,
      fencingToken: hold.token,
      watchLoss: (lost) => hold.watchdog.onLoss(lost),
      pollLoss: () => void hold.watchdog.lostState,
    };
  }

  lostNow(hold: PostgresHold): string | undefined {
    return hold.watchdog.lostState;
  }
}
