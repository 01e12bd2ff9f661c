/**
 * RedisLock under faults, on real Redis servers: a holder paused past its TTL, SCRIPT FLUSH while
 * locks change hands, restarts with and without data, and BUSY from a runaway script.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RedisBusyError, RedisLock, RedisUnavailableError } from '../../redis/index.js';
import { OwnershipLostError } from '../../src/index.js';
import { commandCalls, lockName, useRedis } from '../support/redis.js';

import { lines } from '../support/child-lines.js';
const worker = fileURLToPath(new URL('../fixtures/redis-lock-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisLock faults (no persistence)', () => {
  const { server, client } = useRedis({ busyReplyThresholdMs: 100 });

  it('a holder SIGSTOPped past its TTL: another is granted a higher token, the stale write is fenced off, and the woken holder sees its signal aborted', async () => {
    const name = lockName();
    const child = spawn(process.execPath, ['--import', 'tsx', worker, server().url, name, 'hold', '0', '600'], {
      stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
    });
    const next = lines(child);
    const staleToken = BigInt((await next()).split(' ')[1] as string);
    // The guarded resource: accepts a write only with a token at least the highest seen.
    let highest = 0n;
    const fencedWrite = (token: bigint) => {
      if (token < highest) return false;
      highest = token;
      return true;
    };
    expect(fencedWrite(staleToken)).toBe(true);
    child.kill('SIGSTOP');
    await sleep(900); // past the 600 ms TTL
    const lock = new RedisLock(await client(), name);
    const lease = await lock.acquire({ timeoutMs: 2000 });
    const token = await lease.fencingToken();
    expect(token).toBeGreaterThan(staleToken);
    expect(fencedWrite(token)).toBe(true);
    child.kill('SIGCONT');
    child.stdin?.write('go\n');
    expect(await next()).toBe('signal aborted EXPIRED');
    const [message] = (await once(child, 'message')) as [{ write: string }];
    expect(fencedWrite(BigInt(message.write))).toBe(false); // the stale holder's late write is refused
    child.send('done');
    expect((await once(child, 'exit'))[0]).toBe(0);
    await lease.release();
  });

  it('SCRIPT FLUSH while the lock changes hands: EVAL fallback, no error, exclusion kept', async () => {
    const name = lockName();
    const admin = await client();
    const locks = [new RedisLock(await client(), name), new RedisLock(await client(), name)];
    let inside = 0;
    let overlaps = 0;
    let cycles = 0;
    const stopAt = Date.now() + 1500;
    const loops = locks.map(async (lock) => {
      while (Date.now() < stopAt) {
        await lock.using(async () => {
          inside++;
          if (inside > 1) overlaps++;
          await new Promise((resolve) => setImmediate(resolve));
          inside--;
          cycles++;
        });
      }
    });
    const before = await commandCalls(admin);
    while (Date.now() < stopAt) {
      await admin.scriptFlush();
      await sleep(100);
    }
    await Promise.all(loops);
    const after = await commandCalls(admin);
    expect(overlaps).toBe(0);
    expect(cycles).toBeGreaterThan(50);
    expect((after.eval ?? 0) - (before.eval ?? 0)).toBeGreaterThan(0); // NOSCRIPT was met and handled
  });

  it('a restart that loses every key: the holder learns it (NOT_OWNER) and tokens still rise', async () => {
    const name = lockName();
    const lock = new RedisLock(await client(), name, { ttlMs: 1500 });
    const lease = await lock.acquire();
    const first = await lease.fencingToken();
    const signal = lease.signal;
    await server().restart();
    await once(signal, 'abort');
    expect((signal.reason as OwnershipLostError).state).toBe('NOT_OWNER');
    await expect(lease.release()).rejects.toBeInstanceOf(OwnershipLostError);
    const other = new RedisLock(await client(), name);
    const second = await other.acquire({ timeoutMs: 2000 });
    expect(await second.fencingToken()).toBeGreaterThan(first);
    await second.release();
  });

  it('Redis frozen (no answer at all): the held lease aborts before its TTL; after the thaw the lock passes on', async () => {
    const name = lockName();
    const lock = new RedisLock(await client(), name, { ttlMs: 600, operationTimeoutMs: 300 });
    const lease = await lock.acquire();
    const token = await lease.fencingToken();
    const signal = lease.signal;
    const other = new RedisLock(await client(), name, { operationTimeoutMs: 300 });
    server().freeze();
    const frozenAt = Date.now();
    try {
      await once(signal, 'abort');
      expect(Date.now() - frozenAt).toBeLessThan(600);
      expect((signal.reason as OwnershipLostError).state).toBe('EXPIRED');
      await expect(other.tryAcquire()).rejects.toBeInstanceOf(RedisUnavailableError);
    } finally {
      server().thaw();
    }
    const next = await other.acquire({ timeoutMs: 3000 });
    expect(await next.fencingToken()).toBeGreaterThan(token);
    await next.release();
    await expect(lease.release()).rejects.toBeInstanceOf(OwnershipLostError);
  });

  it('BUSY from a runaway script: a try fails with RedisBusyError by its deadline, a held lease aborts before its TTL, and all recover after SCRIPT KILL', async () => {
    const name = lockName();
    const admin = await client();
    const holderLock = new RedisLock(await client(), name, { ttlMs: 600 });
    const held = await holderLock.acquire();
    const heldToken = await held.fencingToken();
    const signal = held.signal;
    const blocker = await client();
    const runaway = blocker.sendCommand(['EVAL', 'while true do end', '0']).catch((error: unknown) => error);
    await sleep(200); // past busy-reply-threshold
    const other = new RedisLock(await client(), name, { operationTimeoutMs: 500 });
    const t0 = Date.now();
    await expect(other.tryAcquire()).rejects.toBeInstanceOf(RedisBusyError);
    expect(Date.now() - t0).toBeLessThan(1500);
    const lostAt = Date.now();
    if (!signal.aborted) await once(signal, 'abort');
    expect((signal.reason as OwnershipLostError).state).toBe('EXPIRED');
    expect(Date.now() - lostAt).toBeLessThan(600);
    const waiting = other.acquire({ timeoutMs: 8000 }); // waits through BUSY
    await sleep(300);
    await admin.scriptKill();
    expect(String(await runaway)).toMatch(/killed/i);
    const lease = await waiting;
    expect(await lease.fencingToken()).toBeGreaterThan(heldToken);
    await lease.release();
    await expect(held.release()).rejects.toBeInstanceOf(OwnershipLostError);
  });
});

describe('RedisLock faults (append-only file)', () => {
  const { server, client } = useRedis({ persistence: 'aof' });

  it('a restart that keeps the data: the held lock survives, the holder keeps it, tokens go on rising', async () => {
    const name = lockName();
    const lock = new RedisLock(await client(), name, { ttlMs: 3000 });
    const lease = await lock.acquire();
    const first = await lease.fencingToken();
    const signal = lease.signal;
    await server().restart();
    const other = new RedisLock(await client(), name);
    expect(await other.tryAcquire()).toBeNull(); // still held after the restart
    await sleep(1200); // a renewal or more went through after the restart
    expect(signal.aborted).toBe(false);
    await lease.release();
    const second = await other.acquire({ timeoutMs: 2000 });
    expect(await second.fencingToken()).toBeGreaterThan(first);
    await second.release();
  });
});
