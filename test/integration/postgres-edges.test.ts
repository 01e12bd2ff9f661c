/**
 * The PostgreSQL lock at its edges (issue 23), on a real server: a wait that gives up during a
 * look, a pool ended under a waiter, a session default of REPEATABLE READ or SERIALIZABLE, and a
 * second role that was granted the lock objects but does not own them.
 */
import { describe, expect, it } from 'vitest';
import { PostgresLock, PostgresQueryError } from '../../postgres/index.js';
import { runJsonFixture } from '../support/child-lines.js';
import { usePostgres } from '../support/postgres.js';
import { lockName } from '../support/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgresLock at the edges', () => {
  const { server, pool } = usePostgres();

  const queued = async (name: string): Promise<number> =>
    Number((await pool().query('SELECT count(*) AS n FROM zk_recipes_locks_queue WHERE name = $1', [name])).rows[0].n);

  it('an abort during a look: the queue row is gone before the caller sees the rejection (recheckMs 6000)', async () => {
    const name = lockName();
    const held = await new PostgresLock(pool(), name).acquire();
    const waiterPool = pool();
    const controller = new AbortController();
    let calls = 0;
    const query = waiterPool.query.bind(waiterPool) as (...a: unknown[]) => unknown;
    (waiterPool as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
      // the second look runs while the listener is up: abort while it is in flight
      if (String(a[0]).startsWith('SELECT * FROM "zk_recipes_locks_acquire"') && ++calls === 2)
        controller.abort(new Error('caller gave up'));
      return query(...a);
    };
    const waiter = new PostgresLock(waiterPool, name, { recheckMs: 6000 });
    await expect(waiter.acquire({ signal: controller.signal })).rejects.toThrow('caller gave up');
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(await queued(name)).toBe(0);
    await held.release();
    const other = await new PostgresLock(pool(), name).tryAcquire();
    expect(other).not.toBeNull();
    await other?.release();
  });

  it('a pool ended under a waiter: ClientClosedError at once, and the process exits by itself', async () => {
    const { lines, code, ms } = await runJsonFixture('test/fixtures/close-while-waiting.ts', ['postgres', server().url, 'waiting']);
    expect(code).toBe(0);
    const result = lines[0] as { outcome: string; message: string; settledAfterMs: number };
    expect(result.outcome).toBe('ClientClosedError');
    expect(result.message).toMatch(/pool was ended/);
    expect(result.settledAfterMs).toBeLessThan(5000); // its re-check was 30 s away
    expect(ms).toBeLessThan(15_000);
  });

  for (const level of ['read committed', 'repeatable read', 'serializable']) {
    it(`default_transaction_isolation = ${level}: 8 contenders × 8 cycles, every one granted, never two holders`, async () => {
      const name = lockName();
      let inside = 0;
      let overlaps = 0;
      let granted = 0;
      const contenders = [0, 1, 2, 3, 4, 5, 6, 7].map(async () => {
        const p = pool({ options: `-c default_transaction_isolation=${level.replace(' ', '\\ ')}` });
        const [{ level: seen }] = (await p.query("SELECT current_setting('default_transaction_isolation') AS level")).rows as [
          { level: string },
        ];
        expect(seen).toBe(level);
        const lock = new PostgresLock(p, name, { recheckMs: 200 });
        for (let i = 0; i < 8; i++) {
          await lock.using(
            async () => {
              if (++inside > 1) overlaps++;
              granted++;
              await sleep(1);
              inside--;
            },
            { timeoutMs: 20_000 },
          );
        }
      });
      await Promise.all(contenders);
      expect(overlaps).toBe(0);
      expect(granted).toBe(64);
    });
  }

  it('a second role with grants but not the objects: createTable (the default) uses them as they are; without grants, an error that says what to do', async () => {
    const admin = pool();
    await admin.query('DROP ROLE IF EXISTS zkr_app; CREATE ROLE zkr_app LOGIN');
    try {
      const owner = await new PostgresLock(admin, lockName(), { table: 'zkr_roles' }).acquire(); // the owner creates them
      await owner.release();
      await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON zkr_roles, zkr_roles_queue TO zkr_app;
        GRANT USAGE ON SEQUENCE zkr_roles_fence, zkr_roles_queue_seq_seq TO zkr_app;
        GRANT EXECUTE ON FUNCTION zkr_roles_acquire, zkr_roles_release, zkr_roles_leave, zkr_roles_renew TO zkr_app`);
      const asApp = { connectionString: server().url.replace('//postgres@', '//zkr_app@') };
      const app = pool(asApp);
      expect((await app.query('SELECT current_user AS u')).rows[0].u).toBe('zkr_app');
      const lease = await new PostgresLock(app, lockName(), { table: 'zkr_roles' }).acquire({ timeoutMs: 5000 });
      expect(await lease.fencingToken()).toBeGreaterThan(0n);
      await lease.release();
      // a table it may not create: a typed error naming the way out
      const missing = new PostgresLock(pool(asApp), lockName(), { table: 'zkr_nobody_made' });
      const error = await missing.acquire({ timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PostgresQueryError);
      expect(String((error as Error).message)).toMatch(/createTable: false/);
      expect(((error as Error).cause as { code?: string }).code).toBe('42501');
    } finally {
      await admin.query(`DROP TABLE IF EXISTS zkr_roles, zkr_roles_queue; DROP SEQUENCE IF EXISTS zkr_roles_fence;
        DROP FUNCTION IF EXISTS zkr_roles_acquire, zkr_roles_release, zkr_roles_leave, zkr_roles_renew;
        DROP OWNED BY zkr_app; DROP ROLE zkr_app`);
    }
  });
});
