/**
 * The Redis part of `npm run bench`: R1–R3 with zk-recipes' RedisLock, redlock and
 * redis-semaphore on one dedicated redis-server, alternating the order every rep; one JSON line
 * per workload and library, then a markdown table with each peer's figure and our ratio to it.
 */
import { createClient } from 'redis';
import { TestingRedis } from '../src/testing/index.js';
import { REDIS_IMPLS, REDIS_WORKLOADS, type RedisImpl, type RedisSizes, type RedisWorkloadName } from './redis-workloads.js';
import { median, round } from './stats.js';
import type { Figures } from './workloads.js';

export const REDIS_FULL: RedisSizes = { warmup: 200, r1Cycles: 3000, r2Clients: 8, r2Ms: 3000, r3Waiters: 100 };
export const REDIS_QUICK: RedisSizes = { warmup: 10, r1Cycles: 50, r2Clients: 3, r2Ms: 300, r3Waiters: 5 };

type Summary = Record<string, { median: number; min: number; max: number }>;

function summarize(runs: Figures[]): Summary {
  const keys = Object.keys(runs[0] ?? {});
  return Object.fromEntries(
    keys.map((k) => {
      const xs = runs.map((r) => r[k] ?? Number.NaN);
      return [k, { median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) }];
    }),
  );
}

/** Runs the Redis workloads (those in `only`, if given) and prints their lines and table. */
export async function runRedisBench(sizes: RedisSizes, reps: number, only?: readonly string[]): Promise<void> {
  const names = (Object.keys(REDIS_WORKLOADS) as RedisWorkloadName[]).filter((n) => !only || only.includes(n));
  if (names.length === 0) return;
  const server = await TestingRedis.start();
  const admin = createClient({ url: server.url });
  admin.on('error', () => undefined);
  await admin.connect();
  const results = new Map<string, Summary>();
  try {
    for (const name of names) {
      const runs = new Map<RedisImpl, Figures[]>(REDIS_IMPLS.map((i) => [i, []]));
      for (let rep = 0; rep < reps; rep++) {
        // Rotate who goes first, so drift on a noisy machine favours nobody.
        const order = REDIS_IMPLS.map((_, k) => REDIS_IMPLS[(k + rep) % REDIS_IMPLS.length] as RedisImpl);
        for (const impl of order) {
          runs.get(impl)?.push(await REDIS_WORKLOADS[name](impl, server.url, sizes));
          await admin.flushAll();
        }
      }
      for (const impl of REDIS_IMPLS) {
        const summary = summarize(runs.get(impl) ?? []);
        results.set(`${name}/${impl}`, summary);
        console.log(JSON.stringify({ workload: name, impl, reps, figures: summary }));
      }
    }
  } finally {
    admin.destroy();
    await server.stop();
  }
  const cell = (x: { median: number; min: number; max: number } | undefined) =>
    x === undefined ? '–' : reps > 1 ? `${x.median} (${x.min}–${x.max})` : `${x.median}`;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? '–' : `${round(a / b)}×`;
  const rows = [
    '| workload | figure | zk-recipes (node-redis) | zk-recipes (ioredis) | redlock 5 | redis-semaphore 5 | ratio vs redlock (node-redis / ioredis) | ratio vs redis-semaphore (node-redis / ioredis) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const name of names) {
    const get = (impl: RedisImpl) => results.get(`${name}/${impl}`) ?? {};
    const [ours, oursIo, rl, rs] = [get('zk-recipes'), get('zk-recipes-ioredis'), get('redlock'), get('redis-semaphore')];
    for (const key of Object.keys(ours)) {
      const o = ours[key]?.median;
      const oi = oursIo[key]?.median;
      rows.push(
        `| ${name} | ${key} | ${cell(ours[key])} | ${cell(oursIo[key])} | ${cell(rl[key])} | ${cell(rs[key])} | ${ratio(o, rl[key]?.median)} / ${ratio(oi, rl[key]?.median)} | ${ratio(o, rs[key]?.median)} / ${ratio(oi, rs[key]?.median)} |`,
      );
    }
  }
  console.log(`\n${rows.join('\n')}`);
}
