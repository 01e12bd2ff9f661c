/**
 * The PostgreSQL lock workloads: zk-recipes' PostgresLock next to two baselines written here —
 * a ShedLock-style lease table polled every 10 ms (insert, or take over an expired row; release by
 * setting lock_until to now) and pg_advisory_lock on a kept connection — on one dedicated server
 * (fsync on). P1–P3 are the shared lock workloads (uncontended, contended, herd); P4 measures
 * what blocked waiters cost the database: statements/s and WAL bytes/s per waiter.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresLibrary } from './library.js';

const { PostgresLock } = postgresLibrary;
import { type Contender, contended, herd, type LockSizes, uncontended } from './lock-workloads.js';
import { round } from './stats.js';
import type { Figures } from './workloads.js';

/** The locks compared. */
export type PgImpl = 'zk-recipes' | 'lease-table' | 'advisory-lock';
export const PG_IMPLS: readonly PgImpl[] = ['zk-recipes', 'lease-table', 'advisory-lock'];

const TTL_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Statements sent by the contenders while counting is on (each one a transaction here). */
const statements = { on: false, count: 0 };
function counted<T extends { query: (...args: never[]) => unknown }>(target: T): T {
  const query = target.query.bind(target) as (...args: unknown[]) => unknown;
  (target as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (statements.on) statements.count++;
    return query(...args);
  };
  return target;
}
const countStatements = () => {
  statements.count = 0;
  statements.on = true;
  return {
    stop: () => {
      statements.on = false;
      return statements.count;
    },
  };
};

/** Creates the baseline's table once. */
export async function prepare(admin: pg.Pool): Promise<void> {
  await admin.query(
    'CREATE TABLE IF NOT EXISTS shedlock (name text PRIMARY KEY, lock_until timestamptz NOT NULL, locked_at timestamptz NOT NULL, locked_by text NOT NULL)',
  );
}

async function contender(impl: PgImpl, url: string, name: string): Promise<Contender> {
  if (impl === 'advisory-lock') {
    const client = counted(new pg.Client({ connectionString: url }));
    client.on('error', () => undefined);
    await client.connect();
    return {
      acquire: async () => {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
        return () => client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
      },
      close: () => client.end(),
    };
  }
  const pool = counted(new pg.Pool({ connectionString: url, max: 2 }));
  pool.on('error', () => undefined);
  if (impl === 'zk-recipes') {
    const lock = new PostgresLock(pool, name, { ttlMs: TTL_MS });
    return {
      acquire: async () => {
        const lease = await lock.acquire();
        return () => lease.release();
      },
      close: async () => {
        PostgresLock.closeListener(pool);
        await pool.end();
      },
    };
  }
  const me = randomUUID();
  return {
    acquire: async () => {
      for (;;) {
        const r = await pool.query(
          `INSERT INTO shedlock (name, lock_until, locked_at, locked_by) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond', clock_timestamp(), $3)
           ON CONFLICT (name) DO UPDATE SET lock_until = EXCLUDED.lock_until, locked_at = EXCLUDED.locked_at, locked_by = EXCLUDED.locked_by
           WHERE shedlock.lock_until <= clock_timestamp()`,
          [name, TTL_MS, me],
        );
        if (r.rowCount === 1) break;
        await sleep(10);
      }
      return () => pool.query('UPDATE shedlock SET lock_until = clock_timestamp() WHERE name = $1 AND locked_by = $2', [name, me]);
    },
    close: () => pool.end(),
  };
}

function contenders(impl: PgImpl, url: string): (n: number) => Promise<Contender[]> {
  return async (n) => {
    const name = `bench-${randomUUID().slice(0, 8)}`;
    const made: Contender[] = [];
    for (let i = 0; i < n; i++) made.push(await contender(impl, url, name)); // connect one by one: no storm
    return made;
  };
}

/** P4: `waiters` connections blocked behind a holder for `ms`: what each costs the database. */
async function blockedCost(impl: PgImpl, url: string, sizes: LockSizes, admin: pg.Pool): Promise<Figures> {
  const make = contenders(impl, url);
  const [holder, ...waiters] = await make(11);
  try {
    const release = await (holder as Contender).acquire();
    const done = waiters.map(async (w) => (await w.acquire())());
    await sleep(500); // every waiter asked
    const lsn = async () => String((await admin.query('SELECT pg_current_wal_lsn() AS l')).rows[0]?.l);
    const from = await lsn();
    const counting = countStatements();
    const t0 = Date.now();
    await sleep(Math.max(1000, sizes.contendedMs));
    const seconds = (Date.now() - t0) / 1000;
    const sent = counting.stop();
    const wal = Number((await admin.query('SELECT pg_wal_lsn_diff($1, $2) AS d', [await lsn(), from])).rows[0]?.d);
    await release();
    await Promise.all(done);
    return {
      statementsPerSecPerWaiter: round(sent / seconds / waiters.length),
      walBytesPerSecPerWaiter: round(wal / seconds / waiters.length),
    };
  } finally {
    await Promise.all([holder, ...waiters].map((c) => c?.close()));
  }
}

/** The PostgreSQL workloads by name. */
export const PG_WORKLOADS = {
  P1: (impl: PgImpl, url: string, sizes: LockSizes) => uncontended(contenders(impl, url), sizes, countStatements),
  P2: (impl: PgImpl, url: string, sizes: LockSizes) => contended(contenders(impl, url), sizes),
  P3: (impl: PgImpl, url: string, sizes: LockSizes) => herd(contenders(impl, url), sizes, countStatements),
  P4: (impl: PgImpl, url: string, sizes: LockSizes, admin: pg.Pool) => blockedCost(impl, url, sizes, admin),
} as const;

/** A workload's name. */
export type PgWorkloadName = keyof typeof PG_WORKLOADS;
