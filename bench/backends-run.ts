/**
 * `npm run bench -- --backends`: the same three questions asked of every backend's lock in one
 * run on one machine — uncontended cycles/s, contended hand-offs/s with 8 sessions, and a herd of
 * 100 waiters draining (hand-off time, requests and wake-ups per hand-off) — zk-recipes only,
 * each on a dedicated server (ZooKeeper 3.8, Redis, PostgreSQL with fsync on).
 */
import { TestingPostgres, TestingRedis, TestingServer } from '../src/testing/index.js';
import type { LockSizes } from './lock-workloads.js';
import { PG_WORKLOADS } from './postgres-workloads.js';
import { REDIS_WORKLOADS } from './redis-workloads.js';
import { cell, type Summary, summarize } from './stats.js';
import { type Figures, type Sizes, WORKLOADS } from './workloads.js';

type Row = { backend: string; uncontended: Summary; contended: Summary; herd: Summary };

async function reps(n: number, run: () => Promise<Figures>): Promise<Summary> {
  const runs: Figures[] = [];
  for (let i = 0; i < n; i++) runs.push(await run());
  return summarize(runs);
}

/** Runs every backend's three workloads `n` times and prints JSON lines and one table. */
export async function runBackendsBench(zkSizes: Sizes, lockSizes: LockSizes, n: number): Promise<void> {
  const rows: Row[] = [];
  const zk = await TestingServer.start({ tickTimeMs: 200 });
  try {
    const ns = () => `/bench-${Math.random().toString(16).slice(2, 10)}`;
    rows.push({
      backend: 'ZooKeeper (InterProcessMutex)',
      uncontended: await reps(n, () => WORKLOADS.W1(zk, zkSizes, ns())),
      contended: await reps(n, () => WORKLOADS.W2(zk, zkSizes, ns())),
      herd: await reps(n, () => WORKLOADS.W3(zk, zkSizes, ns())),
    });
  } finally {
    await zk.stop();
  }
  const redis = await TestingRedis.start();
  try {
    rows.push({
      backend: 'Redis (RedisLock, node-redis)',
      uncontended: await reps(n, () => REDIS_WORKLOADS.R1('zk-recipes', redis.url, lockSizes)),
      contended: await reps(n, () => REDIS_WORKLOADS.R2('zk-recipes', redis.url, lockSizes)),
      herd: await reps(n, () => REDIS_WORKLOADS.R3('zk-recipes', redis.url, lockSizes)),
    });
  } finally {
    await redis.stop();
  }
  const postgres = await TestingPostgres.start();
  try {
    rows.push({
      backend: 'PostgreSQL (PostgresLock)',
      uncontended: await reps(n, () => PG_WORKLOADS.P1('zk-recipes', postgres.url, lockSizes)),
      contended: await reps(n, () => PG_WORKLOADS.P2('zk-recipes', postgres.url, lockSizes)),
      herd: await reps(n, () => PG_WORKLOADS.P3('zk-recipes', postgres.url, lockSizes)),
    });
  } finally {
    await postgres.stop();
  }
  for (const row of rows) console.log(JSON.stringify({ workload: 'backends', impl: row.backend, reps: n, figures: row }));
  const c = (x: Summary[string] | undefined) => cell(x, n);
  const table = [
    `| backend | uncontended cycles/s | contended hand-offs/s (${lockSizes.clients} sessions) | herd hand-off ms (${lockSizes.waiters} waiters) | requests per herd hand-off | wake-ups per hand-off |`,
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const handoffs = r.contended.handoffsPerSec ?? r.contended.ownerChangesPerSec;
      const herdMs = r.herd.handoffMeanMs ?? r.herd.handoffMs;
      const wakeups = r.herd.watchNotificationsPerHandoff ? c(r.herd.watchNotificationsPerHandoff) : '1 (tested: one message per hand-off)';
      return `| ${r.backend} | ${c(r.uncontended.cyclesPerSec)} | ${c(handoffs)} | ${c(herdMs)} | ${r.herd.requestsPerHandoff ? c(r.herd.requestsPerHandoff) : '–'} | ${wakeups} |`;
    }),
  ];
  console.log(`\n${table.join('\n')}`);
}
