/**
 * The PostgreSQL part of `npm run bench`: P1–P4 with zk-recipes' PostgresLock, a polled lease
 * table and pg_advisory_lock on one dedicated server, rotating the order every rep; one JSON line
 * per workload and lock, then a markdown table with our ratios to each baseline.
 */
import pg from 'pg';
import { TestingPostgres } from '../src/testing/index.js';
import type { LockSizes } from './lock-workloads.js';
import { PG_IMPLS, PG_WORKLOADS, type PgImpl, type PgWorkloadName, prepare } from './postgres-workloads.js';
import { cell, round, type Summary, summarize } from './stats.js';
import type { Figures } from './workloads.js';

export const PG_FULL: LockSizes = { warmup: 100, cycles: 1000, clients: 8, contendedMs: 3000, waiters: 100 };
export const PG_QUICK: LockSizes = { warmup: 5, cycles: 30, clients: 3, contendedMs: 300, waiters: 5 };

/** Runs the PostgreSQL workloads (those in `only`, if given) and prints their lines and table. */
export async function runPostgresBench(sizes: LockSizes, reps: number, only?: readonly string[]): Promise<void> {
  const names = (Object.keys(PG_WORKLOADS) as PgWorkloadName[]).filter((n) => !only || only.includes(n));
  if (names.length === 0) return;
  const server = await TestingPostgres.start();
  const admin = new pg.Pool({ connectionString: server.url, max: 2 });
  admin.on('error', () => undefined);
  const results = new Map<string, Summary>();
  try {
    await prepare(admin);
    for (const name of names) {
      const runs = new Map<PgImpl, Figures[]>(PG_IMPLS.map((i) => [i, []]));
      for (let rep = 0; rep < reps; rep++) {
        const order = PG_IMPLS.map((_, k) => PG_IMPLS[(k + rep) % PG_IMPLS.length] as PgImpl);
        for (const impl of order) runs.get(impl)?.push(await PG_WORKLOADS[name](impl, server.url, sizes, admin));
      }
      for (const impl of PG_IMPLS) {
        const summary = summarize(runs.get(impl) ?? []);
        results.set(`${name}/${impl}`, summary);
        console.log(JSON.stringify({ workload: name, impl, reps, figures: summary }));
      }
    }
  } finally {
    await admin.end();
    await server.stop();
  }
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? '–' : `${round(a / b)}×`;
  const rows = [
    '| workload | figure | zk-recipes PostgresLock | lease table, polled 10 ms | pg_advisory_lock | ratio vs lease table | ratio vs advisory lock |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const name of names) {
    const [ours, table, advisory] = PG_IMPLS.map((impl) => results.get(`${name}/${impl}`) ?? {}) as [Summary, Summary, Summary];
    for (const key of Object.keys(ours)) {
      const o = ours[key]?.median;
      rows.push(
        `| ${name} | ${key} | ${cell(ours[key], reps)} | ${cell(table[key], reps)} | ${cell(advisory[key], reps)} | ${ratio(o, table[key]?.median)} | ${ratio(o, advisory[key]?.median)} |`,
      );
    }
  }
  console.log(`\n${rows.join('\n')}`);
}
