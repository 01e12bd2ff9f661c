/**
 * PostgresLock on a real PostgreSQL: the design's three flaws of the unique-key table lock, each
 * shown fixed by a test the naive design fails (expiry, blocking without polling, re-entrancy),
 * then exclusion across processes, FIFO, clean timeouts, one wake-up per hand-off, bad input.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { lockDdl, PostgresLock } from '../../postgres/index.js';
import { InvalidArgumentError, LockTimeoutError, NotOwnerError, OwnershipLostError } from '../../src/index.js';
import { countStatements, rowsOf, usePostgres } from '../support/postgres.js';
import { lockName } from '../support/redis.js';

const worker = fileURLToPath(new URL('../fixtures/pg-lock-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgresLock', () => {
  const { server, pool } = usePostgres();

  it('flaw 1, no expiry — fixed: a holder killed without releasing is replaced after its TTL', async () => {
    const name = lockName();
    const child = spawn(process.execPath, ['--import', 'tsx', worker, server().url, name, 'hold', '0', '800'], {
      stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
    });
    const [first] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const deadToken = BigInt(first.toString().trim().split(' ')[1] as string);
    child.kill('SIGKILL');
    const killedAt = Date.now();
    const lease = await new PostgresLock(pool(), name).acquire({ timeoutMs: 5000 });
    expect(Date.now() - killedAt).toBeLessThan(800 + 1500);
    expect(await lease.fencingToken()).toBeGreaterThan(deadToken);
    await lease.release();
  });

  it('flaw 2, not blocking — fixed: a waiter blocks without polling (≤ 1 transaction/s) and is woken at once by the release', async () => {
    const name = lockName();
    const holder = await new PostgresLock(pool(), name).acquire();
    const waiterPool = pool();
    const statements = countStatements(waiterPool);
    const waiter = new PostgresLock(waiterPool, name); // default re-check: every 2 s
    const waiting = waiter.acquire({ timeoutMs: 10_000 });
    await sleep(300); // queued and listening
    const before = statements.count;
    await sleep(4000);
    expect(statements.count - before).toBeLessThanOrEqual(4); // 4 s blocked: ≤ 1 transaction per second (a polling lock: ~400)
    const t0 = Date.now();
    await holder.release();
    const lease = await waiting;
    expect(Date.now() - t0).toBeLessThan(1000); // a NOTIFY, not the 2 s re-check
    await lease.release();
  });

  it('flaw 3, not re-entrant — fixed: a nested acquire inside using() re-enters with no round trip; another flow contends', async () => {
    const name = lockName();
    const p = pool();
    const statements = countStatements(p);
    const lock = new PostgresLock(p, name);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const flow = lock.using(async (outer) => {
      try {
        const before = statements.count;
        const inner = await lock.acquire({ timeoutMs: 1000 });
        expect(statements.count - before).toBe(0); // re-entry: no statement
        expect(await inner.fencingToken()).toBe(await outer.fencingToken());
        await inner.release();
        expect(statements.count - before).toBe(0); // the outer hold is still ours: nothing sent
      } finally {
        entered();
      }
      await left;
    });
    await inside;
    expect(await lock.tryAcquire()).toBeNull(); // this flow is not the owner
    await expect(lock.release()).rejects.toBeInstanceOf(NotOwnerError);
    leave();
    await flow;
    expect(await rowsOf(p, name)).toEqual({ lock: 0, queue: 0 });
  });

  it('excludes across processes: 4 workers × 25 read-modify-write cycles lose no update', async () => {
    const name = lockName();
    const p = pool();
    await p.query('CREATE TABLE IF NOT EXISTS counters (name text PRIMARY KEY, value int NOT NULL)');
    await p.query(lockDdl()); // made once here, so the workers do not race to create it
    const children = [0, 1, 2, 3].map(() =>
      spawn(process.execPath, ['--import', 'tsx', worker, server().url, name, 'count', '25'], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    expect(await Promise.all(children.map(async (c) => (await once(c, 'exit'))[0]))).toEqual([0, 0, 0, 0]);
    const { rows } = await p.query('SELECT value FROM counters WHERE name = $1', [name]);
    expect(rows[0]?.value).toBe(100);
    expect(await rowsOf(p, name)).toEqual({ lock: 0, queue: 0 });
  });

  it('grants in arrival order; the releaser who asks again queues behind', async () => {
    const name = lockName();
    const holderLock = new PostgresLock(pool(), name);
    const first = await holderLock.acquire();
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) {
      const lock = new PostgresLock(pool(), name);
      waits.push(
        lock.acquire({ timeoutMs: 15_000 }).then(async (lease) => {
          order.push(i);
          await lease.release();
        }),
      );
      await sleep(60);
    }
    await first.release();
    const back = holderLock.acquire({ timeoutMs: 15_000 }).then(async (lease) => {
      order.push(99);
      await lease.release();
    });
    await Promise.all([...waits, back]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 99]);
  });

  it('a timed-out or aborted waiter leaves no row', async () => {
    const name = lockName();
    const p = pool();
    const lease = await new PostgresLock(p, name).acquire();
    const waiter = new PostgresLock(pool(), name);
    await expect(waiter.acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    const controller = new AbortController();
    const aborted = waiter.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 150);
    await expect(aborted).rejects.toThrow('stop');
    expect(await rowsOf(p, name)).toEqual({ lock: 1, queue: 0 });
    await lease.release();
    expect(await rowsOf(p, name)).toEqual({ lock: 0, queue: 0 });
  });

  it('renewal keeps a long holder; a row taken away aborts the signal and the release says so', async () => {
    const name = lockName();
    const p = pool();
    const lock = new PostgresLock(p, name, { ttlMs: 300 });
    const lease = await lock.acquire();
    await expect(new PostgresLock(pool(), name).acquire({ timeoutMs: 1200 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(lease.signal.aborted).toBe(false);
    const signal = lease.signal;
    await p.query("UPDATE zk_recipes_locks SET holder = 'someone-else' WHERE name = $1", [name]);
    await once(signal, 'abort');
    expect((signal.reason as OwnershipLostError).state).toBe('NOT_OWNER');
    await expect(lease.release()).rejects.toBeInstanceOf(OwnershipLostError);
  });

  it('100 waiters: one NOTIFY per hand-off, to the next in line', async () => {
    const name = lockName('herd');
    const p = pool();
    const holder = await new PostgresLock(p, name).acquire();
    const pools = Array.from({ length: 20 }, () => pool({ max: 6 }));
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      const lock = new PostgresLock(pools[i % 20] as pg.Pool, name, { recheckMs: 30_000 });
      waits.push(
        lock.acquire({ timeoutMs: 60_000 }).then(async (lease) => {
          order.push(i);
          await lease.release();
        }),
      );
      for (let n = 0; n < 200 && (await rowsOf(p, name)).queue < i + 1; n++) await sleep(2);
    }
    const { rows } = await p.query('SELECT DISTINCT channel FROM zk_recipes_locks_queue WHERE name = $1', [name]);
    expect(rows.length).toBe(20); // one listener per pool
    const monitor = new pg.Client({ connectionString: server().url });
    await monitor.connect();
    const notifications: string[] = [];
    monitor.on('notification', (n) => notifications.push(n.payload ?? ''));
    for (const { channel } of rows) await monitor.query(`LISTEN "${channel}"`);
    await holder.release();
    await Promise.all(waits);
    await sleep(100);
    await monitor.end();
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(notifications.length).toBe(100); // holder → 0 → … → 99; the last release wakes nobody
    expect(new Set(notifications).size).toBe(100);
  }, 120_000);

  it('listen: false (behind a transaction-mode pooler): waiters still get the lock, by their bounded re-check', async () => {
    const name = lockName();
    const holder = await new PostgresLock(pool(), name).acquire();
    const waiterPool = pool();
    const statements = countStatements(waiterPool);
    const waiting = new PostgresLock(waiterPool, name, { listen: false, recheckMs: 300 }).acquire({ timeoutMs: 5000 });
    await sleep(1000);
    const looks = statements.count;
    expect(looks).toBeGreaterThanOrEqual(3); // it looked again on its own, without a NOTIFY
    expect(looks).toBeLessThanOrEqual(6); // every 300 ms, not in a loop
    await holder.release();
    const lease = await waiting;
    await lease.release();
  });

  it('bad input is a typed error before anything is sent', async () => {
    const p = pool();
    expect(() => new PostgresLock(p, '')).toThrow(InvalidArgumentError);
    expect(() => new PostgresLock(p, 'x'.repeat(2000))).toThrow(InvalidArgumentError);
    expect(() => new PostgresLock(p, 'x', { ttlMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PostgresLock(p, 'x', { ttlMs: -1 })).toThrow(InvalidArgumentError);
    for (const table of ['Locks', 'locks; DROP TABLE users', 'lo"cks', '1locks', 'a b', '', 'x'.repeat(41)]) {
      expect(() => new PostgresLock(p, 'x', { table }), table).toThrow(InvalidArgumentError);
      expect(() => lockDdl(table), table).toThrow(InvalidArgumentError);
    }
    expect(() => new PostgresLock({} as never, 'x')).toThrow(InvalidArgumentError);
    const lock = new PostgresLock(p, 'x', { createTable: false, table: 'never_made' });
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const { rows } = await p.query("SELECT to_regclass('never_made') AS t");
    expect(rows[0]?.t).toBeNull();
  });
});
