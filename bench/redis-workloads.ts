/**
 * The Redis lock workloads, each run with zk-recipes' RedisLock and with the Node locks users
 * pick today — redlock 5 (single instance) and redis-semaphore's Mutex, both on ioredis, as
 * their docs set them up — on one dedicated redis-server. `bench/redis-run.ts` alternates and
 * compares them.
 *   R1  one client, acquire/release cycles of one lock
 *   R2  8 clients contending for one lock for a fixed time, an await inside the hold, exclusion
 *       checked: grants/s, owner changes/s, wait p50/p99, share of grants out of arrival order
 *   R3  100 waiters (a client each) queued behind a holder, then the queue drains: hand-off ms
 *       and Redis requests per hand-off (polls included)
 */
import { randomUUID } from 'node:crypto';
import { Redis as IORedis } from 'ioredis';
import { createClient } from 'redis';
import { Mutex } from 'redis-semaphore';
import Redlock from 'redlock';
import { redisLibrary } from './library.js';

const { fromIORedis, RedisLock } = redisLibrary;
import { RespCommandCounter } from './resp-counter.js';
import { type Contender, contended, herd, type LockSizes, uncontended } from './lock-workloads.js';

/** The libraries compared. */
export type RedisImpl = 'zk-recipes' | 'zk-recipes-ioredis' | 'redlock' | 'redis-semaphore';
/** zk-recipes on node-redis (its documented client) and on ioredis (the peers' client, through fromIORedis). */
export const REDIS_IMPLS: readonly RedisImpl[] = ['zk-recipes', 'zk-recipes-ioredis', 'redlock', 'redis-semaphore'];

const TTL_MS = 10_000;

async function contender(impl: RedisImpl, url: string, name: string): Promise<Contender> {
  if (impl === 'zk-recipes') {
    const client = createClient({ url });
    client.on('error', () => undefined);
    await client.connect();
    const lock = new RedisLock(client, name, { ttlMs: TTL_MS });
    return {
      acquire: async () => {
        const lease = await lock.acquire();
        return () => lease.release();
      },
      close: async () => client.destroy(),
    };
  }
  const io = new IORedis(url, { lazyConnect: true });
  io.on('error', () => undefined);
  await io.connect();
  if (impl === 'zk-recipes-ioredis') {
    const lock = new RedisLock(fromIORedis(io), name, { ttlMs: TTL_MS });
    return {
      acquire: async () => {
        const lease = await lock.acquire();
        return () => lease.release();
      },
      close: async () => void io.disconnect(),
    };
  }
  if (impl === 'redlock') {
    // Polling every 10 ms without limit: redlock's fastest usual setting (its default is 200 ms, 10 tries).
    const redlock = new Redlock([io], { retryCount: -1, retryDelay: 10, retryJitter: 0 });
    redlock.on('error', () => undefined);
    return {
      acquire: async () => {
        const lock = await redlock.acquire([name], TTL_MS);
        return () => lock.release();
      },
      close: async () => void io.disconnect(),
    };
  }
  const mutex = new Mutex(io, name, { lockTimeout: TTL_MS, acquireTimeout: 120_000, retryInterval: 10, onLockLost: () => undefined });
  return {
    acquire: async () => {
      await mutex.acquire();
      return () => mutex.release();
    },
    close: async () => void io.disconnect(),
  };
}

/** `n` contenders of `impl` for one fresh lock. */
function contenders(impl: RedisImpl, url: string): (n: number) => Promise<Contender[]> {
  return (n) => {
    const name = `bench-${randomUUID().slice(0, 8)}`;
    return Promise.all(Array.from({ length: n }, () => contender(impl, url, name)));
  };
}

/** Commands sent to the server by this process from now on (the contenders' only). */
function countRequests(url: string): { stop: () => number } {
  const counter = new RespCommandCounter();
  const uninstall = counter.install(Number(new URL(url).port));
  return {
    stop: () => {
      uninstall();
      return counter.count;
    },
  };
}

/** The Redis workloads by name. */
export const REDIS_WORKLOADS = {
  R1: (impl: RedisImpl, url: string, sizes: LockSizes) => uncontended(contenders(impl, url), sizes, () => countRequests(url)),
  R2: (impl: RedisImpl, url: string, sizes: LockSizes) => contended(contenders(impl, url), sizes),
  R3: (impl: RedisImpl, url: string, sizes: LockSizes) => herd(contenders(impl, url), sizes, () => countRequests(url)),
} as const;

/** A workload's name. */
export type RedisWorkloadName = keyof typeof REDIS_WORKLOADS;
