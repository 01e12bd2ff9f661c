/**
 * `npm run chaos -- --duration <s> --seed <n> [--workers <n>] [--recipe mutex|leader|semaphore|partition|cache|cache-one-shot] [--tls]
 *   [--backend zookeeper|redis|redis-aof|postgres|redis-cluster [--replicas 0|1] [--lag <ms>]]`: a chaos run for people; prints the summary
 * table and writes chaos-report.json. Exits 1 on any violation. Redis and PostgreSQL run the mutex
 * workload with the faults that apply to a TTL lock.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ChaosBackend, formatBackendReport, runBackendChaos } from './run-backend-chaos.js';
import { formatReport, runChaos } from './run-chaos.js';
import { formatCacheReport, runCacheChaos } from './run-cache-chaos.js';
import { formatClusterReport, runClusterChaos } from './run-cluster-chaos.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    seed: { type: 'string' },
    workers: { type: 'string' },
    recipe: { type: 'string' },
    tls: { type: 'boolean' },
    backend: { type: 'string' },
    replicas: { type: 'string' },
    lag: { type: 'string' },
  },
});
const backend = values.backend ?? 'zookeeper';
if (!['zookeeper', 'redis', 'redis-aof', 'postgres', 'redis-cluster'].includes(backend)) {
  console.error(`--backend must be zookeeper, redis, redis-aof, postgres or redis-cluster, got ${backend}`);
  process.exit(2);
}
if (backend === 'redis-cluster') {
  const report = await runClusterChaos({
    durationS: Number(values.duration ?? 60),
    seed: Number(values.seed ?? Date.now() % 100000),
    replicas: Number(values.replicas ?? 0),
    lagMs: values.lag ? Number(values.lag) : undefined,
    workers: values.workers ? Number(values.workers) : undefined,
    log: (line) => console.log(line),
  });
  console.log(`\n${formatClusterReport(report)}`);
  writeFileSync('chaos-report.json', `${JSON.stringify(report, null, 2)}\n`);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
if (backend !== 'zookeeper') {
  const report = await runBackendChaos({
    backend: backend as ChaosBackend,
    durationS: Number(values.duration ?? 60),
    seed: Number(values.seed ?? Date.now() % 100000),
    workers: values.workers ? Number(values.workers) : undefined,
    log: (line) => console.log(line),
  });
  console.log(`\n${formatBackendReport(report)}`);
  writeFileSync('chaos-report.json', `${JSON.stringify(report, null, 2)}\n`);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
if (values.recipe === 'cache' || values.recipe === 'cache-one-shot') {
  const report = await runCacheChaos({
    durationS: Number(values.duration ?? 60),
    seed: Number(values.seed ?? Date.now() % 100000),
    writers: values.workers ? Number(values.workers) : undefined,
    watches: values.recipe === 'cache' ? 'persistent' : 'one-shot',
    log: (line) => console.log(line),
  });
  console.log(`\n${formatCacheReport(report)}`);
  writeFileSync('chaos-report.json', `${JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2)}\n`);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
const recipe = values.recipe === 'leader' || values.recipe === 'semaphore' || values.recipe === 'partition' ? values.recipe : 'mutex';
const report = await runChaos({
  durationS: Number(values.duration ?? 60),
  recipe,
  seed: Number(values.seed ?? Date.now() % 100000),
  workers: values.workers ? Number(values.workers) : undefined,
  tls: values.tls === true,
  log: (line) => console.log(line),
});
console.log(`\n${formatReport(report)}`);
writeFileSync('chaos-report.json', `${JSON.stringify(report, null, 2)}\n`);
console.log('\nJSON: chaos-report.json');
process.exitCode = report.violations.length === 0 ? 0 : 1;
