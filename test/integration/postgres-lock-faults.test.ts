/**
 * PostgresLock under faults, on a real PostgreSQL: a holder SIGSTOPped past its TTL (fenced off),
 * the database restarted (crash and recovery) mid-hold and mid-wait, a holder's link paused
 * through the fault proxy.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PostgresLock } from '../../postgres/index.js';
import { FaultProxy } from '../../src/testing/index.js';
import type { OwnershipLostError } from '../../src/index.js';
import { usePostgres } from '../support/postgres.js';
import { lockName } from '../support/redis.js';

import { lines } from '../support/child-lines.js';
const worker = fileURLToPath(new URL('../fixtures/pg-lock-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgresLock faults', () => {
  const { server, pool } = usePostgres();

  it('a holder SIGSTOPped past its TTL: the next holder gets a higher token, the stale write is fenced off, the woken holder sees its signal aborted', async () => {
    const name = lockName();
    const child = spawn(process.execPath, ['--import', 'tsx', worker, server().url, name, 'hold', '0', '600'], {
      stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
    });
    const next = lines(child);
    const staleToken = BigInt((await next()).split(' ')[1] as string);
    let highest = 0n;
    const fencedWrite = (token: bigint) => {
      if (token < highest) return false;
      highest = token;
      return true;
    };
    expect(fencedWrite(staleToken)).toBe(true);
    child.kill('SIGSTOP');
    await sleep(900);
    const lease = await new PostgresLock(pool(), name).acquire({ timeoutMs: 3000 });
    const token = await lease.fencingToken();
    expect(token).toBeGreaterThan(staleToken);
    expect(fencedWrite(token)).toBe(true);
    child.kill('SIGCONT');
    child.stdin?.write('go\n');
    expect(await next()).toBe('signal aborted EXPIRED');
    const [message] = (await once(child, 'message')) as [{ write: string }];
    expect(fencedWrite(BigInt(message.write))).toBe(false);
    child.send('done');
    expect((await once(child, 'exit'))[0]).toBe(0);
    await lease.release();
  });

  it('the database restarted mid-hold and mid-wait: the holder keeps the lock, the waiter gets it after, tokens rise', async () => {
    const name = lockName();
    const holder = await new PostgresLock(pool(), name, { ttlMs: 6000 }).acquire();
    const first = await holder.fencingToken();
    const waiting = new PostgresLock(pool(), name, { recheckMs: 500 }).acquire({ timeoutMs: 20_000 });
    await sleep(200);
    await server().restart(); // a crash: committed rows survive, every connection drops
    await sleep(2500); // a renewal (every 2 s) goes through on a new connection
    expect(holder.signal.aborted).toBe(false);
    await holder.release();
    const lease = await waiting; // its listener dropped; its re-check finds the turn
    expect(await lease.fencingToken()).toBeGreaterThan(first);
    await lease.release();
  });

  it("a holder's link paused through the fault proxy: its signal aborts before the TTL, and the lock passes on", async () => {
    const name = lockName();
    const proxy = await FaultProxy.start(`${server().host}:${server().port}`);
    try {
      const [host, port] = proxy.connectString.split(':');
      const viaProxy = pool({ host, port: Number(port), connectionString: undefined, user: 'postgres', database: 'postgres' });
      const lease = await new PostgresLock(viaProxy, name, { ttlMs: 900, operationTimeoutMs: 300 }).acquire();
      const token = await lease.fencingToken();
      const signal = lease.signal;
      proxy.pause();
      const pausedAt = Date.now();
      await once(signal, 'abort');
      expect(Date.now() - pausedAt).toBeLessThan(900);
      expect((signal.reason as OwnershipLostError).state).toBe('EXPIRED');
      const next = await new PostgresLock(pool(), name).acquire({ timeoutMs: 5000 });
      expect(await next.fencingToken()).toBeGreaterThan(token);
      await next.release();
      proxy.resume();
    } finally {
      await proxy.close();
    }
  });
});
