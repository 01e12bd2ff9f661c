/**
 * RedisLock on a real Redis: the lock contract (exclusion across processes, re-entrancy, FIFO,
 * timeouts and aborts that leave nothing behind, renewal, typed errors for bad input).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { RedisLock } from '../../redis/index.js';
import {
  AlreadyReleasedError,
  ClientClosedError,
  InvalidArgumentError,
  LockTimeoutError,
  NotOwnerError,
  OwnershipLostError,
} from '../../src/index.js';
import { commandCalls, lockKeysPresent, lockName, useRedis } from '../support/redis.js';

const worker = fileURLToPath(new URL('../fixtures/redis-lock-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisLock', () => {
  const { server, client } = useRedis();

  it('excludes across processes: 4 workers × 40 read-modify-write cycles lose no update', async () => {
    const name = lockName();
    const children = [0, 1, 2, 3].map(() =>
      spawn(process.execPath, ['--import', 'tsx', worker, server().url, name, 'count', '40'], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    const codes = await Promise.all(children.map(async (c) => (await once(c, 'exit'))[0]));
    expect(codes).toEqual([0, 0, 0, 0]);
    const redis = await client();
    expect(await redis.get(`${name}:counter`)).toBe('160');
    expect(await lockKeysPresent(redis, name)).toEqual(['fence']);
  });

  it('re-enters inside its owner scope without a round trip; another flow contends; releases are counted', async () => {
    const redis = await client();
    const lock = new RedisLock(redis, lockName(), { ttlMs: 2000 });
    let inScope!: () => void;
    const entered = new Promise<void>((resolve) => {
      inScope = resolve;
    });
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const flowA = lock.using(async (outer) => {
      const before = await commandCalls(redis);
      const inner = await lock.acquire();
      const viaTry = await lock.tryAcquire(); // inside the scope: re-entry too
      const after = await commandCalls(redis);
      expect(after.evalsha ?? 0).toBe(before.evalsha ?? 0); // re-entry sent no script
      expect(await inner.fencingToken()).toBe(await outer.fencingToken());
      expect(viaTry).not.toBeNull();
      await lock.release(); // the latest hold (viaTry)
      await inner.release();
      await expect(inner.release()).rejects.toBeInstanceOf(AlreadyReleasedError);
      expect(lock.isOwnedByCurrentScope()).toBe(true);
      inScope();
      await left;
    });
    await entered;
    // another async flow of the same process contends like another process
    expect(lock.isOwnedByCurrentScope()).toBe(false);
    expect(lock.isAcquiredInThisProcess()).toBe(true);
    expect(await lock.tryAcquire()).toBeNull();
    leave();
    await flowA;
    expect(lock.isAcquiredInThisProcess()).toBe(false);
    await expect(lock.release()).rejects.toBeInstanceOf(NotOwnerError);
    const again = await lock.tryAcquire();
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('`await using` releases; the fencing token rises with every grant', async () => {
    const redis = await client();
    const lock = new RedisLock(redis, lockName());
    const tokens: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      await using lease = await lock.acquire();
      tokens.push(await lease.fencingToken());
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as bigint);
    expect(await redis.exists(lock.keys.owner)).toBe(0);
  });

  it('grants in arrival order (FIFO), whatever process the releaser is in', async () => {
    const holderClient = await client();
    const name = lockName();
    const holder = new RedisLock(holderClient, name);
    const first = await holder.acquire();
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      const lock = new RedisLock(await client(), name);
      waits.push(
        lock.acquire({ timeoutMs: 10_000 }).then(async (lease) => {
          order.push(i);
          await sleep(5);
          await lease.release();
        }),
      );
      await sleep(30); // so that arrival order is known
    }
    // the releaser asks again at once: it queues behind everyone instead of taking the lock back
    await first.release();
    const back = holder.acquire({ timeoutMs: 10_000 }).then(async (lease) => {
      order.push(99);
      await lease.release();
    });
    await Promise.all([...waits, back]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 99]);
  });

  it('a timed-out or aborted waiter leaves nothing in Redis, and the wake-up subscriber closes when idle', async () => {
    const redis = await client();
    const name = lockName();
    const lease = await new RedisLock(redis, name).acquire();
    const waiterClient = await client();
    const connectionsBefore = (await redis.clientList()).length;
    const waiter = new RedisLock(waiterClient, name, { subscriberIdleMs: 100 });
    const started = Date.now();
    await expect(waiter.acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
    const controller = new AbortController();
    const aborted = waiter.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 100);
    await expect(aborted).rejects.toThrow('stop');
    expect(await lockKeysPresent(redis, name)).toEqual(['fence', 'owner']);
    expect(await redis.lLen(waiter.keys.queue)).toBe(0);
    await sleep(400);
    expect((await redis.clientList()).length).toBeLessThanOrEqual(connectionsBefore);
    await lease.release();
    expect(await lockKeysPresent(redis, name)).toEqual(['fence']);
  });

  it('a head of the queue that gives up while the lock is free hands the turn on at once', async () => {
    const name = lockName();
    const redis = await client();
    const holder = await new RedisLock(redis, name).acquire();
    const head = new RedisLock(await client(), name, { recheckMs: 5000 });
    const next = new RedisLock(await client(), name, { recheckMs: 5000 });
    const controller = new AbortController();
    const headWait = head.acquire({ signal: controller.signal });
    await sleep(50);
    const nextWait = next.acquire({ timeoutMs: 3000 });
    await sleep(50);
    await redis.del(head.keys.owner); // the holder's key is gone without a release (it expired): nobody is woken
    const t0 = Date.now();
    controller.abort(new Error('gave up'));
    await expect(headWait).rejects.toThrow('gave up');
    const nextLease = await nextWait; // woken by the head's leaving, not by its 5 s re-check
    expect(Date.now() - t0).toBeLessThan(1000);
    await nextLease.release();
    await expect(holder.release()).rejects.toBeInstanceOf(OwnershipLostError);
  });

  it('renewal keeps a long holder: 5 TTLs held, nobody else gets in, the signal stays live', async () => {
    const name = lockName();
    const lock = new RedisLock(await client(), name, { ttlMs: 300 });
    const lease = await lock.acquire();
    const other = new RedisLock(await client(), name);
    await expect(other.acquire({ timeoutMs: 1500 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
    expect(lease.signal.aborted).toBe(true);
  });

  it('a lease whose key was taken away aborts its signal (NOT_OWNER) and its release says it was lost', async () => {
    const redis = await client();
    const lock = new RedisLock(redis, lockName(), { ttlMs: 300 });
    const lease = await lock.acquire();
    const signal = lease.signal;
    await redis.set(lock.keys.owner, 'someone-else', { PX: 5000 });
    await once(signal, 'abort');
    expect(signal.reason).toBeInstanceOf(OwnershipLostError);
    expect((signal.reason as OwnershipLostError).state).toBe('NOT_OWNER');
    // re-entry on a lost hold is refused
    await expect(lease.run(() => lock.acquire())).rejects.toBeInstanceOf(OwnershipLostError);
    const release = lease.release();
    await expect(release).rejects.toBeInstanceOf(OwnershipLostError);
    expect(await redis.get(lock.keys.owner)).toBe('someone-else'); // compare-and-delete: not ours, not deleted
  });

  it('a process that was blocked past the TTL sees its signal aborted at once, before its timers run', async () => {
    const lock = new RedisLock(await client(), lockName(), { ttlMs: 100 });
    const lease = await lock.acquire();
    const until = Date.now() + 150;
    while (Date.now() < until) {
      // a synchronous stall (a long GC pause, a blocking call): no timer can run
    }
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as OwnershipLostError).state).toBe('EXPIRED');
    await expect(lease.release()).rejects.toBeInstanceOf(OwnershipLostError);
  });

  it('a wait that starts while the wake-up subscriber reconnects waits for it, instead of looking again and again', async () => {
    const admin = await client();
    const name = lockName();
    const holder = await new RedisLock(await client(), name).acquire();
    const waiters = await client();
    const first = new RedisLock(waiters, name, { recheckMs: 30_000 }).acquire({ timeoutMs: 10_000 });
    await sleep(100); // queued and subscribed
    // Drop the subscriber and keep it out: no new connection is accepted for a while.
    const clients = await admin.clientList();
    await admin.configSet('maxclients', String(clients.filter((c) => !c.flags.includes('P')).length));
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    try {
      await sleep(50);
      const before = (await commandCalls(admin)).evalsha ?? 0;
      const second = new RedisLock(waiters, name, { recheckMs: 30_000 }).acquire({ timeoutMs: 10_000 });
      await sleep(600); // the subscriber is still down
      expect(((await commandCalls(admin)).evalsha ?? 0) - before).toBeLessThanOrEqual(3);
      await admin.configSet('maxclients', '10000');
      await holder.release(); // once the subscriber is back, the line goes on
      await (await first).release();
      await (await second).release();
    } finally {
      await admin.configSet('maxclients', '10000');
    }
  });

  it('bad input is a typed error before anything is sent', async () => {
    const redis = await client();
    const before = await commandCalls(redis);
    expect(() => new RedisLock(redis, '')).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'a{b}')).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'x'.repeat(2000))).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'x', { ttlMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'x', { ttlMs: -5 })).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'x', { ttlMs: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new RedisLock(redis, 'x', { ttlMs: 1000, driftMs: 900 })).toThrow(InvalidArgumentError);
    expect(() => new RedisLock({} as never, 'x')).toThrow(InvalidArgumentError);
    const lock = new RedisLock(redis, 'x');
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.acquire({ signal: 'no' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.using('no' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    const notConnected = createClient({ url: server().url });
    const offline = new RedisLock(notConnected as never, 'x');
    // not connected is not transient: a typed error at once, not a wait for a connection that never comes
    await expect(offline.acquire()).rejects.toBeInstanceOf(ClientClosedError);
    await expect(offline.tryAcquire()).rejects.toBeInstanceOf(ClientClosedError);
    const after = await commandCalls(redis);
    expect(after.evalsha ?? 0).toBe(before.evalsha ?? 0);
    expect(after.eval ?? 0).toBe(before.eval ?? 0);
  });
});
