/**
 * The Redis backend at its edges (issue 23), on real servers: a wait that gives up during a look,
 * a client closed under a waiter, a server still LOADING its data, waiters with different
 * settings, BUSY to the last millisecond, limiters that must not share counters, and
 * hash-tag-breaking prefixes refused before anything is sent (cluster clients: redis-cluster.test.ts).
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBusyError, RedisLock, RedisRateLimiter, RedisUnavailableError } from '../../redis/index.js';
import { InvalidArgumentError } from '../../src/index.js';
import { TestingRedis } from '../../src/testing/index.js';
import { runJsonFixture } from '../support/child-lines.js';
import { lockKeysPresent, lockName, type Redis as NodeRedis, useRedis } from '../support/redis.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `onSend` with each command `client` sends (the client stays real; we only look). */
function spy(client: NodeRedis, onSend: (args: readonly string[]) => void): void {
  const send = client.sendCommand.bind(client) as (...a: unknown[]) => Promise<unknown>;
  (client as unknown as { sendCommand: (...a: unknown[]) => Promise<unknown> }).sendCommand = (...a: unknown[]) => {
    onSend(a[0] as readonly string[]);
    return send(...a);
  };
}

const runFixture = (args: string[]) => runJsonFixture('test/fixtures/close-while-waiting.ts', args);

describe('RedisLock and RedisRateLimiter at the edges', () => {
  const { server, client } = useRedis({ busyReplyThresholdMs: 100 });

  it('an abort during a look: the queue entry is gone before the caller sees the rejection (recheckMs 6000)', async () => {
    const name = lockName();
    const held = await new RedisLock(await client(), name).acquire();
    const waiterClient = await client();
    const controller = new AbortController();
    let scripts = 0;
    // the second look runs while the wake-up subscriber is up: abort while it is in flight
    spy(waiterClient, (args) => {
      if (args[0] === 'EVALSHA' && ++scripts === 2) controller.abort(new Error('caller gave up'));
    });
    const waiter = new RedisLock(waiterClient, name, { recheckMs: 6000 });
    await expect(waiter.acquire({ signal: controller.signal })).rejects.toThrow('caller gave up');
    expect(scripts).toBeGreaterThanOrEqual(2);
    const redis = await client();
    expect(await lockKeysPresent(redis, name)).toEqual(['fence', 'owner']); // no queue, no waiters entry
    await held.release();
    const other = await new RedisLock(redis, name).tryAcquire();
    expect(other).not.toBeNull(); // the free lock is free for a try at once
    await other?.release();
  });

  it('a client closed under a waiter: ClientClosedError at once, and the process exits by itself (node-redis, ioredis)', async () => {
    for (const backend of ['redis', 'ioredis']) {
      const { lines, code, ms } = await runFixture([backend, server().url, 'waiting']);
      expect(code).toBe(0);
      expect(lines[0]).toMatchObject({ outcome: 'ClientClosedError' });
      expect(String(lines[0]?.message)).toMatch(/Redis client/);
      expect(lines[0]?.settledAfterMs as number).toBeLessThan(5000); // its re-check was 30 s away
      expect(ms).toBeLessThan(15_000);
    }
  });

  it('ioredis: an idle lock does not keep the process alive after quit()', async () => {
    const { lines, code, ms } = await runFixture(['ioredis', server().url, 'idle']);
    expect(code).toBe(0);
    expect(lines[0]).toEqual({ outcome: 'released' });
    expect(ms).toBeLessThan(4500); // the subscriber's idle close is 5 s: it must not be what let the process go
  });

  it('a waiter with short settings never shortens the places of others: the long waiter is served, not a newcomer', async () => {
    const name = lockName();
    const redis = await client();
    const holder = await new RedisLock(redis, name, { ttlMs: 10_000 }).acquire();
    const patient = new RedisLock(await client(), name, { recheckMs: 5000 });
    const patientWait = patient.acquire({ timeoutMs: 20_000 });
    await sleep(100);
    const hasty = new RedisLock(await client(), name, { recheckMs: 10, operationTimeoutMs: 20 });
    await expect(hasty.acquire({ timeoutMs: 150 })).rejects.toThrow();
    await sleep(400); // the hasty waiter's own entry TTL (2 × (3 × 10 + 20) ms) is long past
    const queue = lockKeysPresent(redis, name);
    expect(await queue).toContain('queue');
    expect(await redis.lLen(lockKeysOf(name).queue)).toBe(1);
    await holder.release();
    const newcomer = await new RedisLock(await client(), name).tryAcquire();
    expect(newcomer).toBeNull(); // the patient waiter is first in line
    const lease = await patientWait;
    await lease.release();
  });

  it('BUSY is retried for the whole deadline, not one backoff step short of it', async () => {
    const blocker = await client();
    const runaway = blocker.sendCommand(['EVAL', 'while true do end', '0']).catch((error: unknown) => error);
    await sleep(200);
    try {
      const limiter = new RedisRateLimiter(await client(), { limit: 5, windowMs: 1000, operationTimeoutMs: 300 });
      const t0 = Date.now();
      await expect(limiter.limit('k')).rejects.toBeInstanceOf(RedisBusyError);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(295);
    } finally {
      await (await client()).scriptKill();
      await runaway;
    }
  });

  it('two limiters on one key keep their own counters: 3 per 500 ms AND 5 per 2 min admit exactly 5', async () => {
    const redis = await client();
    const perBurst = new RedisRateLimiter(redis, { algorithm: 'fixed-window', limit: 3, windowMs: 500 });
    const perLong = new RedisRateLimiter(redis, { algorithm: 'fixed-window', limit: 5, windowMs: 120_000 });
    expect(perBurst.keyOf('+8613700000000')).not.toBe(perLong.keyOf('+8613700000000'));
    let served = 0;
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      if ((await perBurst.limit('+8613700000000')).allowed && (await perLong.limit('+8613700000000')).allowed) served++;
      await sleep(50);
    }
    expect(served).toBe(5);
    // another algorithm on the same key: no WRONGTYPE
    const sliding = new RedisRateLimiter(redis, { algorithm: 'sliding-window', limit: 3, windowMs: 1000 });
    await expect(sliding.limit('+8613700000000')).resolves.toMatchObject({ checked: true });
    await expect(perBurst.limit('+8613700000000')).resolves.toMatchObject({ checked: true });
    // a name of one's own: instances with the same name share the counter (and only they)
    const a = new RedisRateLimiter(redis, { limit: 2, windowMs: 60_000, name: 'signup' });
    const b = new RedisRateLimiter(redis, { limit: 2, windowMs: 60_000, name: 'signup' });
    expect((await a.limit('ip-1')).allowed && (await b.limit('ip-1')).allowed).toBe(true);
    expect((await a.limit('ip-1')).allowed).toBe(false);
    expect(a.keyOf('ip-1')).toBe('zk-recipes:rate:{ip-1}:signup');
  });

  it("plainKeys: the design's key shape, one counter shared with phone_limit.lua", async () => {
    const redis = await client();
    const ours = new RedisRateLimiter(redis, {
      algorithm: 'fixed-window',
      limit: 3,
      windowMs: 10_000,
      prefix: 'rate.limiting:',
      plainKeys: true,
    });
    expect(ours.keyOf('13700000000')).toBe('rate.limiting:13700000000');
    const phoneLimit = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if c > tonumber(ARGV[1]) then return 0 end
return 1`;
    expect(await redis.eval(phoneLimit, { keys: ['rate.limiting:13700000000'], arguments: ['3', '10'] })).toBe(1);
    expect((await ours.limit('13700000000')).allowed).toBe(true);
    expect((await ours.limit('13700000000')).allowed).toBe(true);
    expect((await ours.limit('13700000000')).allowed).toBe(false); // the script's call counted
    expect(() => new RedisRateLimiter(redis, { limit: 3, windowMs: 1000, plainKeys: true })).toThrow(InvalidArgumentError); // sliding window
  });

  it('a prefix that would split one lock over several slots is refused before anything is sent', async () => {
    const redis = await client();
    expect(() => new RedisLock(redis, 'x', { prefix: 'app{}:' })).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'x', { prefix: 'app{t}:' })).toThrow(/hash tag/);
    expect(() => new RedisRateLimiter(redis, { limit: 1, windowMs: 1000, prefix: 'x}' })).toThrow(InvalidArgumentError);
    expect(() => new RedisRateLimiter(redis, { limit: 1, windowMs: 1000, name: 'a{b}' })).toThrow(InvalidArgumentError);
  });
});

function lockKeysOf(name: string) {
  return new RedisLock(createClient(), name).keys;
}

describe('Redis answering LOADING after a restart', () => {
  let redis: TestingRedis;
  beforeAll(async () => {
    // key-load-delay (µs per key) makes the reload of a few thousand keys last seconds
    redis = await TestingRedis.start({ persistence: 'aof', config: { 'key-load-delay': '400' } });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a lock wait and a limiter ride out LOADING within their deadlines (failOpen answers unchecked)', async () => {
    const c = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.eval("for i = 1, 6000 do redis.call('SET', 'filler:' .. i, 'x') end", { keys: [], arguments: [] });
      await redis.restart({ untilLoaded: false });
      const raw = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
      raw.on('error', () => undefined);
      // node-redis may not even finish connecting while the server loads: either way, it is LOADING
      const seen = await raw
        .connect()
        .then(() => raw.sendCommand(['PING']))
        .catch((error: Error) => error.message);
      raw.destroy();
      expect(String(seen)).toMatch(/LOADING/);
      const lenient = new RedisRateLimiter(c, { limit: 5, windowMs: 1000, operationTimeoutMs: 300, failOpen: true });
      const strict = new RedisRateLimiter(c, { limit: 5, windowMs: 1000, operationTimeoutMs: 300 });
      const [open, closed] = await Promise.allSettled([lenient.limit('k'), strict.limit('k')]);
      expect(open).toMatchObject({ status: 'fulfilled', value: { allowed: true, checked: false } });
      expect(closed.status).toBe('rejected');
      expect((closed as PromiseRejectedResult).reason).toBeInstanceOf(RedisUnavailableError);
      const started = Date.now();
      const lease = await new RedisLock(c, lockName()).acquire({ timeoutMs: 15_000 });
      expect(Date.now() - started).toBeGreaterThan(300); // it did wait for the load to finish
      await lease.release();
      await expect(strict.limit('k')).resolves.toMatchObject({ checked: true });
    } finally {
      c.destroy();
    }
  }, 60_000);
});

describe("RedisLock and RedisRateLimiter turn node-redis's per-command timer off", () => {
  const { client } = useRedis();

  it('every command goes out with timeout 0 on a node-redis client (each call keeps only its own deadline), and still works', async () => {
    const redis = await client();
    const options: unknown[] = [];
    const send = redis.sendCommand.bind(redis) as (...a: unknown[]) => Promise<unknown>;
    (redis as unknown as { sendCommand: (...a: unknown[]) => Promise<unknown> }).sendCommand = (...a: unknown[]) => {
      options.push(a[1]);
      return send(...a);
    };
    const lock = new RedisLock(redis, lockName('no-client-timer'));
    const limiter = new RedisRateLimiter(redis, { limit: 5, windowMs: 60_000, name: 'no-client-timer' });
    const lease = await lock.acquire({ timeoutMs: 2_000 });
    expect((await limiter.limit('k')).allowed).toBe(true);
    await lease.release();
    expect(options.length).toBeGreaterThanOrEqual(3);
    for (const o of options) expect(o).toMatchObject({ timeout: 0 });
  });
});
