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
import { fromIORedis, RedisLock } from '../redis/index.js';
import { RespCommandCounter } from './resp-counter.js';
import { percentile, round } from './stats.js';
import type { Figures } from './workloads.js';

/** The libraries compared. */
export type RedisImpl = 'zk-recipes' | 'zk-recipes-ioredis' | 'redlock' | 'redis-semaphore';
/** zk-recipes on node-redis (its documented client) and on ioredis (the peers' client, through fromIORedis). */
export const REDIS_IMPLS: readonly RedisImpl[] = ['zk-recipes', 'zk-recipes-ioredis', 'redlock', 'redis-semaphore'];

/** Sizes of the Redis workloads. */
export interface RedisSizes {
  readonly warmup: number;
  readonly r1Cycles: number;
  readonly r2Clients: number;
  readonly r2Ms: number;
  readonly r3Waiters: number;
}

/** One connection's lock: acquire resolves to a release function. */
interface Contender {
  acquire(): Promise<() => Promise<unknown>>;
  close(): Promise<void>;
}

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

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

async function withContenders<T>(impl: RedisImpl, url: string, n: number, run: (cs: Contender[], name: string) => Promise<T>): Promise<T> {
  const name = `bench-${randomUUID().slice(0, 8)}`;
  const cs = await Promise.all(Array.from({ length: n }, () => contender(impl, url, name)));
  try {
    return await run(cs, name);
  } finally {
    await Promise.all(cs.map((c) => c.close()));
  }
}

async function cycles(c: Contender, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await (await c.acquire())();
}

async function r1(impl: RedisImpl, url: string, sizes: RedisSizes): Promise<Figures> {
  return withContenders(impl, url, 1, async ([c]) => {
    const one = c as Contender;
    await cycles(one, sizes.warmup);
    const requests = countRequests(url);
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await cycles(one, sizes.r1Cycles);
    const elapsed = ms(t0);
    const d = process.cpuUsage(cpu);
    const sent = requests.stop();
    return {
      cyclesPerSec: round((sizes.r1Cycles / elapsed) * 1000),
      requestsPerCycle: round(sent / sizes.r1Cycles),
      clientCpuUsPerCycle: round((d.user + d.system) / sizes.r1Cycles),
    };
  });
}

async function r2(impl: RedisImpl, url: string, sizes: RedisSizes): Promise<Figures> {
  return withContenders(impl, url, sizes.r2Clients, async (cs) => {
    await Promise.all(cs.map((c) => cycles(c, Math.max(1, Math.round(sizes.warmup / cs.length)))));
    let inside = 0;
    let violations = 0;
    let grants = 0;
    let ownerChanges = 0;
    let outOfOrder = 0;
    let lastOwner = -1;
    let arrivals = 0;
    const pending = new Set<number>(); // arrival numbers of waits not yet granted
    const waits: number[] = [];
    const stopAt = Date.now() + sizes.r2Ms;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      cs.map(async (c, who) => {
        while (Date.now() < stopAt) {
          const arrival = arrivals++;
          pending.add(arrival);
          const asked = process.hrtime.bigint();
          const release = await c.acquire();
          waits.push(ms(asked));
          pending.delete(arrival);
          // out of order: someone who asked earlier is still waiting
          for (const p of pending) {
            if (p < arrival) {
              outOfOrder++;
              break;
            }
          }
          grants++;
          if (who !== lastOwner) ownerChanges++;
          lastOwner = who;
          inside++;
          if (inside > 1) violations++;
          await yieldNow();
          inside--;
          await release();
        }
      }),
    );
    const seconds = ms(t0) / 1000;
    return {
      grantsPerSec: round(grants / seconds),
      ownerChangesPerSec: round(ownerChanges / seconds),
      waitP50Ms: round(percentile(waits, 50)),
      waitP99Ms: round(percentile(waits, 99)),
      outOfOrderPct: round((outOfOrder / Math.max(1, grants)) * 100),
      violations,
    };
  });
}

async function r3(impl: RedisImpl, url: string, sizes: RedisSizes): Promise<Figures> {
  return withContenders(impl, url, sizes.r3Waiters + 1, async ([holder, ...waiters]) => {
    await cycles(holder as Contender, Math.min(sizes.warmup, 50));
    const release = await (holder as Contender).acquire();
    const done = waiters.map(async (w) => (await w.acquire())());
    await new Promise((resolve) => setTimeout(resolve, 300)); // every waiter asked (and polls, for pollers)
    const requests = countRequests(url);
    const t0 = process.hrtime.bigint();
    await release();
    await Promise.all(done);
    const elapsed = ms(t0);
    const sent = requests.stop();
    return {
      handoffMs: round(elapsed / waiters.length),
      requestsPerHandoff: round(sent / waiters.length),
    };
  });
}

/** The Redis workloads by name. */
export const REDIS_WORKLOADS = { R1: r1, R2: r2, R3: r3 } as const;

/** A workload's name. */
export type RedisWorkloadName = keyof typeof REDIS_WORKLOADS;
