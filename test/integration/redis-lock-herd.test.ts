/**
 * Herd-freedom on a real Redis: with 100 waiters (each its own client and subscriber), every
 * hand-off sends exactly one wake-up message, to the next waiter in arrival order, and costs a
 * bounded number of Redis requests.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { RedisLock } from '../../redis/index.js';
import { WAKE_CHANNEL_PREFIX } from '../../redis/lock-scripts.js';
import { commandCalls, lockName, useRedis } from '../support/redis.js';

const WAITERS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisLock herd', () => {
  const { server, client } = useRedis();

  it(`${WAITERS} waiters: one wake-up per hand-off, to the next in line; ≤ 3 requests per hand-off`, async () => {
    const name = lockName('herd');
    const admin = await client();
    const holder = await new RedisLock(admin, name).acquire();
    // Long re-checks, so that what is counted is the hand-offs alone.
    const locks = await Promise.all(
      Array.from({ length: WAITERS }, async () => new RedisLock(await client(), name, { recheckMs: 30_000 })),
    );
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (const [i, lock] of locks.entries()) {
      waits.push(
        lock.acquire({ timeoutMs: 60_000 }).then(async (lease) => {
          order.push(i);
          await lease.release();
        }),
      );
      // each waiter queued (and listening) before the next arrives: arrival order is known
      while ((await admin.lLen(lock.keys.queue)) < i + 1) await sleep(2);
    }
    await sleep(50);
    const monitor = createClient({ url: server().url });
    monitor.on('error', () => undefined);
    await monitor.connect();
    const messages: string[] = [];
    await monitor.pSubscribe(`${WAKE_CHANNEL_PREFIX}*`, (message) => messages.push(message));
    const before = await commandCalls(admin);
    await holder.release();
    await Promise.all(waits);
    const after = await commandCalls(admin);
    await monitor.pUnsubscribe();
    monitor.destroy();

    expect(order).toEqual(locks.map((_, i) => i));
    // hand-offs: holder → waiter 0 → ... → waiter 99; the last release has nobody to wake
    expect(messages.length).toBe(WAITERS);
    expect(new Set(messages).size).toBe(WAITERS); // each waiter woken once
    const scripts = (after.evalsha ?? 0) - (before.evalsha ?? 0) + (after.eval ?? 0) - (before.eval ?? 0);
    const perHandOff = scripts / WAITERS;
    console.log(`herd: ${WAITERS} hand-offs, ${messages.length} wake-ups, ${perHandOff.toFixed(2)} scripts per hand-off`);
    expect(perHandOff).toBeLessThanOrEqual(3);
  }, 120_000);
});
