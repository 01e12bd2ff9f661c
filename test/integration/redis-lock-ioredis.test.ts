/**
 * RedisLock over ioredis (fromIORedis) on a real Redis: the same lock, through the other client
 * Node services use — exclusion, FIFO with one wake-up per hand-off, clean timeouts, NOSCRIPT and
 * BUSY handling, and a typed error for a client that is not connected.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { fromIORedis, RedisBusyError, RedisLock } from '../../redis/index.js';
import { WAKE_CHANNEL_PREFIX } from '../../redis/lock-scripts.js';
import { ClientClosedError, InvalidArgumentError, LockTimeoutError } from '../../src/index.js';
import { lockKeysPresent, lockName, useRedis } from '../support/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisLock over ioredis', () => {
  const { server, client } = useRedis({ busyReplyThresholdMs: 100 });
  const opened: Redis[] = [];
  afterEach(() => {
    for (const io of opened.splice(0)) io.disconnect();
  });
  const io = async (): Promise<Redis> => {
    const c = new Redis(server().url, { lazyConnect: true });
    c.on('error', () => undefined);
    opened.push(c);
    await c.connect();
    return c;
  };

  it('excludes, grants in arrival order and wakes only the next waiter', async () => {
    const name = lockName();
    const holder = await new RedisLock(fromIORedis(await io()), name).acquire();
    const monitor = await io();
    const messages: string[] = [];
    monitor.on('pmessage', (_pattern: string, _channel: string, message: string) => messages.push(message));
    await monitor.psubscribe(`${WAKE_CHANNEL_PREFIX}*`);
    let inside = 0;
    let overlaps = 0;
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      const lock = new RedisLock(fromIORedis(await io()), name);
      waits.push(
        lock.using(
          async () => {
            inside++;
            if (inside > 1) overlaps++;
            order.push(i);
            await sleep(2);
            inside--;
          },
          { timeoutMs: 10_000 },
        ),
      );
      await sleep(20);
    }
    await holder.release();
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(overlaps).toBe(0);
    expect(messages.length).toBe(10);
    expect(new Set(messages).size).toBe(10);
  });

  it('a timeout leaves nothing behind; SCRIPT FLUSH is handled (EVAL fallback)', async () => {
    const name = lockName();
    const redis = await client();
    const lock = new RedisLock(fromIORedis(await io()), name);
    const lease = await lock.acquire();
    const other = new RedisLock(fromIORedis(await io()), name);
    await expect(other.acquire({ timeoutMs: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(await lockKeysPresent(redis, name)).toEqual(['fence', 'owner']);
    await lease.release();
    await redis.scriptFlush();
    const again = await other.acquire({ timeoutMs: 1000 });
    await again.release();
    expect(await lockKeysPresent(redis, name)).toEqual(['fence']);
  });

  it('BUSY: a try fails with RedisBusyError by its deadline and works after SCRIPT KILL', async () => {
    const admin = await client();
    const lock = new RedisLock(fromIORedis(await io()), lockName(), { operationTimeoutMs: 400 });
    const blocker = await io();
    const runaway = blocker.call('EVAL', 'while true do end', '0').catch((error: unknown) => error);
    await sleep(200);
    await expect(lock.tryAcquire()).rejects.toBeInstanceOf(RedisBusyError);
    await admin.scriptKill();
    await runaway;
    const lease = await lock.tryAcquire();
    expect(lease).not.toBeNull();
    await lease?.release();
  });

  it('bad input: not an ioredis client, or one not connected', async () => {
    expect(() => fromIORedis({} as never)).toThrow(InvalidArgumentError);
    const lazy = new Redis(server().url, { lazyConnect: true });
    opened.push(lazy);
    await expect(new RedisLock(fromIORedis(lazy), 'x').acquire()).rejects.toBeInstanceOf(ClientClosedError);
  });
});
