/**
 * The Redis Cluster failover run that is part of `npm test` (its own file, so it runs beside the
 * longer chaos suite): the lock's primary killed right after grants on a cluster whose replicas
 * lag 200 ms. Lost updates are violations either way; double grants are counted — and with
 * `replicas: 1` there must be none, since every grant a worker was told of had reached the replica
 * that took over. Longer runs: `npm run chaos -- --backend redis-cluster --replicas 0|1 --duration 300`.
 */
import { describe, expect, it } from 'vitest';
import { CLUSTER_FAULT_KINDS, formatClusterReport, runClusterChaos } from './run-cluster-chaos.js';

describe('chaos: RedisLock on a Redis Cluster under failovers (3 shards × 1 lagging replica, 2 worker processes)', () => {
  it.each([
    [0, 50, 20261205],
    [1, 50, 20261206],
  ] as const)(
    'replicas: %i — no lost update, tokens in order, nothing left held, every fault kind',
    async (replicas, durationS, seed) => {
      const report = await runClusterChaos({ replicas, durationS, seed });
      console.log(formatClusterReport(report));
      expect(report.violations).toEqual([]);
      for (const kind of CLUSTER_FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
      expect(report.operations.accepted).toBeGreaterThan(5);
      expect(report.finalValue).toBe(report.operations.accepted);
      if (replicas === 1) expect(report.doubleGrants.count).toBe(0);
    },
    300_000,
  );
});
