/**
 * PostgreSQL for tests: a real server per test file (the testing kit's TestingPostgres), pools
 * closed after each test, lock tables emptied between tests.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { PostgresLock } from '../../postgres/index.js';
import { TestingPostgres } from '../../src/testing/index.js';

/** Starts one server for the file; returns getters for it and a pool factory (pools ended after each test). */
export function usePostgres() {
  let server: TestingPostgres | undefined;
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    server = await TestingPostgres.start();
  });
  afterEach(async () => {
    for (const p of pools.splice(0)) {
      PostgresLock.closeListener(p);
      await p.end().catch(() => undefined);
    }
    if (server) {
      const admin = new pg.Client({ connectionString: server.url });
      admin.on('error', () => undefined);
      await admin.connect();
      await admin.query(`DO $$ BEGIN
        IF to_regclass('zk_recipes_locks') IS NOT NULL THEN TRUNCATE zk_recipes_locks, zk_recipes_locks_queue; END IF;
      END $$`);
      await admin.end();
    }
  });
  afterAll(async () => {
    await server?.stop();
  });
  const get = () => {
    if (!server) throw new Error('usePostgres(): only inside a test');
    return server;
  };
  /** A pool on the file's server (ended after the test), optionally through another host:port. */
  const pool = (options: pg.PoolConfig = {}): pg.Pool => {
    const p = new pg.Pool({ connectionString: get().url, max: 4, ...options });
    p.on('error', () => undefined); // dropped idle connections are part of the fault tests
    pools.push(p);
    return p;
  };
  return { server: get, pool };
}

/**
 * Counts the statements `pool` sends from now on (each lock call is one statement, one
 * transaction). Counted at the client: the server's pg_stat_database counters reach the view
 * seconds late, from every backend.
 */
export function countStatements(pool: pg.Pool): { readonly count: number } {
  const counter = { count: 0 };
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    counter.count++;
    return query(...args);
  };
  return counter;
}

/** Rows of the lock tables for `name`: a held lock row (the row of a free lock stays, free), and the queue rows. */
export async function rowsOf(pool: pg.Pool, name: string): Promise<{ lock: number; queue: number }> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM zk_recipes_locks WHERE name = $1 AND lease_until > clock_timestamp() AND holder <> '') AS lock,
            (SELECT count(*) FROM zk_recipes_locks_queue WHERE name = $1) AS queue`,
    [name],
  );
  return { lock: Number(rows[0]?.lock), queue: Number(rows[0]?.queue) };
}
