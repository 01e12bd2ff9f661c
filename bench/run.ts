/**
 * `npm run bench [-- --quick] [--reps 3] [--vs-curator] [--scale] [--only W1,W2,C1,G1,R1] [--backends]`
 * Runs the ZooKeeper workloads on one dedicated real server; prints one JSON line per workload and
 * a markdown table. With --vs-curator each workload also runs on Curator 5.4 (bench/CuratorBench.java)
 * against the same server, alternating, and the table shows zk-recipes/Curator ratios. Then the
 * Redis lock workloads (R1–R3, bench/redis-run.ts) next to redlock and redis-semaphore, and the rate
 * limiters (L, bench/rate-limit-run.ts) next to rate-limiter-flexible and a bare script, and the
 * PostgreSQL lock (P1–P4, bench/postgres-run.ts) next to a polled lease table and pg_advisory_lock.
 * Benchmarks report; they never fail on a time.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { TestingServer } from '../src/testing/index.js';
import { runBackendsBench } from './backends-run.js';
import { runCurator } from './curator.js';
import { PG_FULL, PG_QUICK, runPostgresBench } from './postgres-run.js';
import { LIMITER_FULL, LIMITER_QUICK, runLimiterBench } from './rate-limit-run.js';
import { REDIS_FULL, REDIS_QUICK, runRedisBench } from './redis-run.js';
import { runReplicaCostBench } from './replica-cost.js';
import { round, summarize } from './stats.js';
import { CURATOR_EQUIVALENT, type Figures, type Sizes, WORKLOADS, type WorkloadName } from './workloads.js';
import { cleanupAfter, prepareFor } from './cache-workloads.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    reps: { type: 'string' },
    'vs-curator': { type: 'boolean' },
    scale: { type: 'boolean' },
    only: { type: 'string' },
    backends: { type: 'boolean' },
  },
});

const FULL: Sizes = {
  warmup: 500,
  w1Cycles: 2000,
  w2Sessions: 8,
  w2Cycles: 250,
  w3Waiters: 100,
  w4Sessions: 10,
  w4Cycles: 100,
  w5Rounds: 20,
  w6Flows: 8,
  w6Cycles: 250,
  c1Nodes: 10_000,
  c2Writes: 5000,
};
const QUICK: Sizes = {
  warmup: 10,
  w1Cycles: 50,
  w2Sessions: 3,
  w2Cycles: 10,
  w3Waiters: 5,
  w4Sessions: 3,
  w4Cycles: 3,
  w5Rounds: 2,
  w6Flows: 2,
  w6Cycles: 10,
  c1Nodes: 500,
  c2Writes: 200,
};
const sizes = values.quick ? QUICK : FULL;
const reps = Number(values.reps ?? 1);
if (values.backends) {
  // One table, every backend's lock, the same questions (bench/backends-run.ts).
  await runBackendsBench(sizes, values.quick ? REDIS_QUICK : { ...REDIS_FULL, waiters: 100, clients: 8 }, reps);
  process.exit(0);
}
const vsCurator = values['vs-curator'] === true;

type Impl = 'zk-recipes' | 'curator';
interface Result {
  workload: string;
  impl: Impl;
  runs: Figures[];
}

const server = await TestingServer.start({ tickTimeMs: 200 });
const results: Result[] = [];
try {
  const plan: { name: string; workload: WorkloadName; sizes: Sizes }[] = [];
  const only = values.only?.split(',').map((s) => s.trim().toUpperCase());
  const zkOnly = only?.filter((n) => n.startsWith('W') || n.startsWith('C') || n.startsWith('G'));
  for (const name of Object.keys(WORKLOADS) as WorkloadName[]) {
    if (!only || zkOnly?.includes(name)) plan.push({ name, workload: name, sizes });
  }
  if (values.scale || only?.includes('C1@100K')) plan.push({ name: 'C1@100k', workload: 'C1', sizes: { ...sizes, c1Nodes: 100_000 } });
  if (values.scale) {
    for (const n of [10, 100, 1000]) {
      plan.push({ name: `W2@${n}`, workload: 'W2', sizes: { ...sizes, w2Sessions: n, w2Cycles: Math.max(2, Math.round(2000 / n)) } });
      plan.push({ name: `W3@${n}`, workload: 'W3', sizes: { ...sizes, w3Waiters: n } });
    }
  }
  for (const item of plan) {
    const ours: Result = { workload: item.name, impl: 'zk-recipes', runs: [] };
    const theirs: Result = { workload: item.name, impl: 'curator', runs: [] };
    for (let rep = 0; rep < reps; rep++) {
      // Alternate which goes first, so drift on a noisy machine does not favour one side.
      const peer = vsCurator && CURATOR_EQUIVALENT[item.workload] !== '';
      const order: Impl[] = peer ? (rep % 2 === 0 ? ['zk-recipes', 'curator'] : ['curator', 'zk-recipes']) : ['zk-recipes'];
      for (const impl of order) {
        const ns = `/bench-${randomUUID().slice(0, 8)}`;
        if (impl === 'zk-recipes') await prepareFor(item.workload, server, item.sizes, ns);
        if (impl === 'zk-recipes') ours.runs.push(await WORKLOADS[item.workload](server, item.sizes, ns));
        else theirs.runs.push(await runCurator(server, item.workload, item.sizes, ns));
        await cleanupAfter(item.workload, server, ns);
      }
    }
    for (const r of theirs.runs.length > 0 ? [ours, theirs] : [ours]) {
      results.push(r);
      console.log(JSON.stringify({ workload: r.workload, impl: r.impl, reps: r.runs.length, figures: summarize(r.runs) }));
    }
  }
} finally {
  await server.stop();
}

// Markdown table.
const rows: string[] = [];
if (results.length > 0) {
  rows.push(vsCurator ? '| workload | figure | zk-recipes | Curator 5.4 | ratio |' : '| workload | figure | zk-recipes |');
  rows.push(vsCurator ? '|---|---|---|---|---|' : '|---|---|---|');
  for (const ours of results.filter((r) => r.impl === 'zk-recipes')) {
    const theirs = results.find((r) => r.impl === 'curator' && r.workload === ours.workload);
    const a = summarize(ours.runs);
    const b = theirs ? summarize(theirs.runs) : undefined;
    for (const [key, v] of Object.entries(a)) {
      const cell = (x: { median: number; min: number; max: number }) => (reps > 1 ? `${x.median} (${x.min}–${x.max})` : `${x.median}`);
      if (!b) rows.push(`| ${ours.workload} | ${key} | ${cell(v)} |`);
      else {
        const other = b[key];
        const ratio = other && other.median !== 0 ? round(v.median / other.median) : Number.NaN;
        rows.push(
          `| ${ours.workload} | ${key} | ${cell(v)} | ${other ? cell(other) : '–'} | ${Number.isFinite(ratio) ? `${ratio}×` : '–'} |`,
        );
      }
    }
  }
  console.log(`\n${rows.join('\n')}`);
}

const redisOnly = values.only?.split(',').map((s) => s.trim().toUpperCase());
await runRedisBench(values.quick ? REDIS_QUICK : REDIS_FULL, reps, redisOnly);
if (!redisOnly || redisOnly.includes('R4')) await runReplicaCostBench(values.quick ? REDIS_QUICK : REDIS_FULL, reps);
if (!redisOnly || redisOnly.includes('L')) await runLimiterBench(values.quick ? LIMITER_QUICK : LIMITER_FULL, reps);
await runPostgresBench(values.quick ? PG_QUICK : PG_FULL, reps, redisOnly);
