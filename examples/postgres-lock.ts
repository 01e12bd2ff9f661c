/**
 * The PostgreSQL lock: `npx tsx examples/postgres-lock.ts` (starts its own PostgreSQL unless
 * PG_URL is set).
 *
 * The design's table lock with its three flaws fixed: a holder that dies is replaced after its
 * TTL (expiry), a waiter blocks and is woken by a NOTIFY (no polling), and a nested acquire
 * re-enters (re-entrancy) — and every grant carries a fencing token from a sequence.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { lockDdl, PostgresLock } from 'zk-recipes/postgres';
import { TestingPostgres } from 'zk-recipes/testing';

const server = process.env.PG_URL ? undefined : await TestingPostgres.start();
const url = process.env.PG_URL ?? (server as TestingPostgres).url;
const pool = new pg.Pool({ connectionString: url });
const otherPool = new pg.Pool({ connectionString: url }); // another service's pool
for (const p of [pool, otherPool]) p.on('error', () => undefined); // an idle connection dropped by the server
const name = `example-${process.pid}`;
console.log(`the table's DDL (for a migration tool) starts: ${lockDdl().trim().split('\n')[0]}`);

// 1. Expiry: a holder in another process takes the lock and is killed without releasing it.
const holder = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '-e',
    `
    import pg from 'pg';
    import { PostgresLock } from './postgres/index.js';
    const pool = new pg.Pool({ connectionString: ${JSON.stringify(url)} });
    await new PostgresLock(pool, ${JSON.stringify(name)}, { ttlMs: 1000 }).acquire();
    console.log('held');
    setInterval(() => {}, 1000);
  `,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await once(holder.stdout, 'data');
holder.kill('SIGKILL');
const lock = new PostgresLock(pool, name, { ttlMs: 5000, memo: 'examples/postgres-lock.ts' });
const started = Date.now();
const first = await lock.acquire({ timeoutMs: 10_000 });
console.log(`the dead holder was replaced after its TTL: ${Date.now() - started < 3000}`);

// 2. Blocking: a waiter queues; the release wakes it at once (no polling).
const other = new PostgresLock(otherPool, name);
const waiting = other.acquire({ timeoutMs: 10_000 });
await new Promise((resolve) => setTimeout(resolve, 300));
const releasedAt = Date.now();
await first.release();
const second = await waiting;
console.log(`the waiter was woken by the release: ${Date.now() - releasedAt < 1000}`);
console.log(`tokens rise: ${(await second.fencingToken()) > (await first.fencingToken())}`);
await second.release();

// 3. Re-entrancy: inside using(), the same lock re-enters for free.
await lock.using(async () => {
  await using again = await lock.acquire();
  console.log(`re-entered: ${lock.isOwnedByCurrentScope() && !again.released}`);
});

for (const p of [pool, otherPool]) {
  PostgresLock.closeListener(p);
  await p.end();
}
await server?.stop();
process.exit(0);
