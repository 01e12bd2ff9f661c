/**
 * The rate limiter part of `npm run bench` (workload L): every decider on every shape (1 or
 * 10,000 keys × 1 or 8 connections), rotating the order each rep, on one dedicated redis-server;
 * JSON lines, then a markdown table with our ratios to rate-limiter-flexible and to the bare script.
 */
import { TestingRedis } from '../src/testing/index.js';
import { LIMITER_IMPLS, type LimiterImpl, type LimiterRun, limiterWorkload } from './rate-limit-workloads.js';
import { median, round, summarize } from './stats.js';

/** 1 when every run admitted exactly what the limit allows, as a summary figure. */
const exactOf = (list: readonly Figures[]) => {
  const exact = list.every((r) => r.admitted === r.admittedExpected) ? 1 : 0;
  return { median: exact, min: exact, max: exact };
};
import type { Figures } from './workloads.js';

/** Sizes of the rate limiter runs. */
export interface LimiterSizes {
  readonly decisions: number;
  readonly warmup: number;
  readonly manyKeys: number;
}
export const LIMITER_FULL: LimiterSizes = { decisions: 20_000, warmup: 500, manyKeys: 10_000 };
export const LIMITER_QUICK: LimiterSizes = { decisions: 200, warmup: 5, manyKeys: 50 };

/** Runs workload L and prints its lines and table. */
export async function runLimiterBench(sizes: LimiterSizes, reps: number): Promise<void> {
  const shapes: LimiterRun[] = [];
  for (const keys of [1, sizes.manyKeys])
    for (const clients of [1, 8])
      shapes.push({ keys, clients, decisions: keys === 1 ? sizes.decisions : Math.max(sizes.decisions, keys * 2) });
  const server = await TestingRedis.start();
  const medians = new Map<string, Record<string, number>>();
  try {
    for (const shape of shapes) {
      const runs = new Map<LimiterImpl, Figures[]>(LIMITER_IMPLS.map((i) => [i, []]));
      for (let rep = 0; rep < reps; rep++) {
        const order = LIMITER_IMPLS.map((_, k) => LIMITER_IMPLS[(k + rep) % LIMITER_IMPLS.length] as LimiterImpl);
        for (const impl of order) runs.get(impl)?.push(await limiterWorkload(impl, server.url, shape, sizes.warmup));
      }
      const label = `L ${shape.keys} key${shape.keys > 1 ? 's' : ''} × ${shape.clients} client${shape.clients > 1 ? 's' : ''}`;
      for (const impl of LIMITER_IMPLS) {
        const list = runs.get(impl) ?? [];
        const figures = Object.fromEntries(Object.keys(list[0] ?? {}).map((k) => [k, round(median(list.map((r) => r[k] ?? Number.NaN)))]));
        medians.set(`${label}/${impl}`, figures);
        console.log(
          JSON.stringify({
            workload: label,
            impl,
            reps,
            figures: { ...summarize(list), exact: exactOf(list) },
          }),
        );
      }
    }
  } finally {
    await server.stop();
  }
  const rows = [
    '| shape | decider | decisions/s | client CPU µs / decision | admitted / allowed | vs rate-limiter-flexible | vs bare script |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const shape of shapes) {
    const label = `L ${shape.keys} key${shape.keys > 1 ? 's' : ''} × ${shape.clients} client${shape.clients > 1 ? 's' : ''}`;
    const rlf = medians.get(`${label}/rate-limiter-flexible`)?.decisionsPerSec;
    const bare = medians.get(`${label}/bare-script`)?.decisionsPerSec;
    for (const impl of LIMITER_IMPLS) {
      const f = medians.get(`${label}/${impl}`) ?? {};
      const rate = f.decisionsPerSec ?? Number.NaN;
      const ours = !['rate-limiter-flexible', 'bare-script'].includes(impl);
      rows.push(
        `| ${label.slice(2)} | ${ours ? `zk-recipes ${impl}` : impl} | ${rate} | ${f.clientCpuUsPerDecision} | ${f.admitted} / ${f.admittedExpected} | ${ours && rlf ? `${round(rate / rlf)}×` : '–'} | ${ours && bare ? `${round(rate / bare)}×` : '–'} |`,
      );
    }
  }
  console.log(`\n${rows.join('\n')}`);
}
