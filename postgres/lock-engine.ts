/**
 * The PostgreSQL store under the shared TTL engine: a row per waiter in arrival order (the SQL
 * analogue of ephemeral sequential nodes), the lock row with a lease deadline by the database's
 * clock, a fencing token from a sequence at each grant, a NOTIFY to the next waiter alone. Every
 * call is one function call, one transaction.
 */
import { randomUUID } from 'node:crypto';
import { type LockInspection, memoOfWaiterId, type TtlAnswer, type TtlStore, type TtlWakeSource } from '../src/lock/ttl-engine.js';
import { PostgresUnavailableError } from './errors.js';
import { ListenHub } from './listen-hub.js';
import { type PgPoolLike, queryBy } from './pool.js';
import { lockDdl, lockObjects, lockObjectsPresentSql } from './schema.js';

/** The store's settings, validated by PostgresLock. */
export interface PostgresStoreSettings {
  readonly name: string;
  readonly table: string;
  readonly createTable: boolean;
  readonly memo: string;
  readonly ttlMs: number;
  readonly recheckMs: number;
  readonly operationTimeoutMs: number;
  readonly listen: boolean;
  readonly listenerIdleMs: number;
}

/** Tables made in this process, per pool: the DDL runs once per pool and table. */
const created = new WeakMap<PgPoolLike, Map<string, Promise<void>>>();

/** A wake source for pools that cannot LISTEN: never woken; the re-check does it all. */
const NO_WAKE_UPS: TtlWakeSource = { listening: true, address: '', subscribe: async () => undefined, register: () => () => undefined };

/** One PostgreSQL lock's rows and functions. */
export class PostgresLockStore implements TtlStore {
  readonly name: string;
  readonly nodePath: string;
  readonly #pool: PgPoolLike;
  readonly #settings: PostgresStoreSettings;
  readonly #sql: ReturnType<typeof lockObjects>;

  constructor(pool: PgPoolLike, settings: PostgresStoreSettings) {
    this.#pool = pool;
    this.#settings = settings;
    this.name = settings.name;
    this.nodePath = `${settings.table}:${settings.name}`;
    this.#sql = lockObjects(settings.table);
  }

  /** One function call, by the operation deadline (or `deadline`, when earlier). */
  async #call(fn: string, args: unknown[], what: string, deadline = Number.POSITIVE_INFINITY): Promise<Record<string, unknown>[]> {
    await this.#ready();
    const params = args.map((_, i) => `$${i + 1}`).join(', ');
    return queryBy(
      this.#pool,
      `SELECT * FROM ${fn}(${params})`,
      args,
      Math.min(deadline, Date.now() + this.#settings.operationTimeoutMs),
      what,
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

  wakeSource(): TtlWakeSource {
    return this.#settings.listen ? ListenHub.of(this.#pool, this.#settings.listenerIdleMs) : NO_WAKE_UPS;
  }

  /** `pg.<uuid>.<memo>`: the memo tells people who waits. */
  waiterId(): string {
    return `pg.${randomUUID()}.${this.#settings.memo}`;
  }

  async ask(id: string, wait: boolean, source: TtlWakeSource | undefined): Promise<TtlAnswer> {
    const { name, memo, ttlMs, recheckMs, operationTimeoutMs } = this.#settings;
    const args = [name, id, source?.address ?? '', memo, ttlMs, wait, 3 * recheckMs + operationTimeoutMs];
    const [row] = await this.#call(this.#sql.acquire, args, `Acquiring the PostgreSQL lock ${name}`);
    if (row?.granted === true) return { granted: true, token: BigInt(String(row.token ?? 0)) };
    return { granted: false, ownerTtlMs: Number(row?.owner_ttl_ms ?? 0) };
  }

  async renew(id: string, deadline: number): Promise<boolean> {
    const { name, ttlMs } = this.#settings;
    const [row] = await this.#call(this.#sql.renew, [name, id, ttlMs], `Renewing the PostgreSQL lock ${name}`, deadline);
    return row?.[this.#sql.renew.slice(1, -1)] === true;
  }

  async leave(id: string): Promise<void> {
    await this.#call(this.#sql.leave, [this.#settings.name, id], `Leaving the queue of ${this.#settings.name}`);
  }

  async release(id: string): Promise<boolean> {
    const [row] = await this.#call(this.#sql.release, [this.#settings.name, id], `Releasing the PostgreSQL lock ${this.#settings.name}`);
    return row?.[this.#sql.release.slice(1, -1)] === true;
  }

  async inspect(): Promise<LockInspection> {
    await this.#ready();
    const { name, operationTimeoutMs } = this.#settings;
    const ms = (ts: string) => `(extract(epoch from (${ts} - clock_timestamp())) * 1000)::bigint`;
    const rows = await queryBy(
      this.#pool,
      `SELECT 'holder' AS kind, l.holder AS id, l.memo, l.token, ${ms('l.lease_until')} AS ms, 0::bigint AS seq FROM ${this.#sql.table} l
          WHERE l.name = $1 AND l.lease_until > clock_timestamp()
         UNION ALL
         SELECT 'waiter', w.waiter, '', 0, ${ms('w.alive_until')}, w.seq FROM ${this.#sql.queue} w WHERE w.name = $1
         ORDER BY 1, 6`,
      [name],
      Date.now() + operationTimeoutMs,
      `Inspecting the PostgreSQL lock ${name}`,
    );
    const holderRow = rows.find((r) => r.kind === 'holder');
    const holder = holderRow
      ? {
          id: String(holderRow.id),
          memo: String(holderRow.memo),
          ttlMs: Math.max(0, Number(holderRow.ms)),
          token: BigInt(String(holderRow.token)),
        }
      : undefined;
    const waiters = rows
      .filter((r) => r.kind === 'waiter')
      .map((r) => ({ id: String(r.id), memo: memoOfWaiterId(String(r.id)), aliveMs: Number(r.ms) }));
    return { name, ...(holder ? { holder } : {}), waiters };
  }

  isTransient(error: unknown): boolean {
    return error instanceof PostgresUnavailableError;
  }

  connected(): boolean {
    return true; // a pool connects on demand: a wait that gives up may always clean up first
  }

  assertUsable(): void {
    // A pool connects on demand: nothing to check before the first query.
  }
}
