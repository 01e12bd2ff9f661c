/**
 * The Redis part of `npm run bench`: R1–R3 with zk-recipes' RedisLock, redlock and
 * redis-semaphore on one dedicated redis-server, alternating the order every rep; one JSON line
 * per workload and library, then a markdown table with each peer's figure and our ratio to it.
 */
import { createClient } from 'redis';
import { TestingRedis } from '../src/testing/index.js';
import type { LockSizes } from './lock-workloads.js';
import { REDIS_IMPLS, REDIS_WORKLOADS, type RedisImpl, type RedisWorkloadName } from './redis-workloads.js';
import { LIBRARY_BUILD } from './library.js';
import { cell as cellOf, round, type Summary, summarize } from './stats.js';
import type { Figures } from './workloads.js';

export const REDIS_FULL: LockSizes = { warmup: 200, cycles: 3000, clients: 8, contendedMs: 3000, waiters: 100 };
export const REDIS_QUICK: LockSizes = { warmup: 10, cycles: 50, clients: 3, contendedMs: 300, waiters: 5 };

/** Runs the Redis workloads (those in `only`, if given) and prints their lines and table. */
export async function runRedisBench(sizes: LockSizes, reps: number, only?: readonly string[]): Promise<void> {
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
  const cell = (x: Summary[string] | undefined) => cellOf(x, reps);
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
  console.log(`\n(zk-recipes loaded from its ${LIBRARY_BUILD})\n${rows.join('\n')}`);
}
