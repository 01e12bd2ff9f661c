/**
 * R4, the price of `replicas: 1`: uncontended acquire/release cycles of one RedisLock on a Redis
 * Cluster of three shards with a replica each (loopback, no added lag), with and without the
 * WAIT for one replica, alternating every rep. Part of `npm run bench` (`--only R4`).
 */
import { randomUUID } from 'node:crypto';
import { createCluster } from 'redis';
import { TestingRedisCluster } from '../src/testing/index.js';
import { redisLibrary } from './library.js';

const { RedisLock } = redisLibrary;
import { type LockSizes, uncontended } from './lock-workloads.js';
import { cell, round, type Summary, summarize } from './stats.js';
import type { Figures } from './workloads.js';

const VARIANTS = [0, 1] as const;

async function run(urls: readonly string[], replicas: number, sizes: LockSizes): Promise<Figures> {
  const name = `bench-${randomUUID().slice(0, 8)}`;
  return uncontended(
    async () => {
      const cluster = createCluster({ rootNodes: urls.map((url) => ({ url })) });
      cluster.on('error', () => undefined);
      await cluster.connect();
      const lock = new RedisLock(cluster, name, { ttlMs: 10_000, replicas });
      return [
        {
          acquire: async () => {
            const lease = await lock.acquire();
            return () => lease.release();
          },
          close: async () => cluster.destroy(),
        },
      ];
    },
    sizes,
    () => ({ stop: () => Number.NaN }), // the cluster's requests are not counted here: the figure is time
  );
}

/** Runs R4 and prints one JSON line per variant and a table with the ratio. */
export async function runReplicaCostBench(sizes: LockSizes, reps: number): Promise<void> {
  const cluster = await TestingRedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  const results = new Map<number, Summary>();
  try {
    const runs = new Map<number, Figures[]>(VARIANTS.map((v) => [v, []]));
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const replicas of order) runs.get(replicas)?.push(await run(cluster.urls, replicas, sizes));
    }
    for (const replicas of VARIANTS) {
      const summary = summarize(runs.get(replicas) ?? []);
      delete summary.requestsPerCycle;
      results.set(replicas, summary);
      console.log(JSON.stringify({ workload: 'R4', impl: `zk-recipes replicas:${replicas}`, reps, figures: summary }));
    }
  } finally {
    await cluster.stop();
  }
  const [off, on] = [results.get(0) ?? {}, results.get(1) ?? {}];
  const rows = ['| workload | figure | replicas: 0 | replicas: 1 | ratio (1 / 0) |', '|---|---|---|---|---|'];
  for (const key of Object.keys(off)) {
    const [a, b] = [off[key]?.median, on[key]?.median];
    rows.push(`| R4 | ${key} | ${cell(off[key], reps)} | ${cell(on[key], reps)} | ${a && b ? `${round(b / a)}×` : '–'} |`);
  }
  console.log(`\n${rows.join('\n')}`);
}
