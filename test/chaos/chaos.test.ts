/**
 * The short fixed-seed chaos run that is part of `npm test`: every fault kind at least once,
 * and any violation fails the suite. Longer runs: `npm run chaos -- --duration 600 --seed <n>`.
 */
import { describe, expect, it } from 'vitest';
import { faultsSkipReason } from '../support/zk.js';
import { BACKEND_FAULT_KINDS, formatBackendReport, runBackendChaos } from './run-backend-chaos.js';
import { FAULT_KINDS, formatReport, runChaos } from './run-chaos.js';
import { CACHE_FAULT_KINDS, formatCacheReport, runCacheChaos } from './run-cache-chaos.js';

describe.skipIf(faultsSkipReason)('chaos: mutex + fenced store under faults (3-server ensemble, 4 worker processes)', () => {
  it('no lost update, one increasing token sequence, no leaked node, no hang, every fault kind exercised', async () => {
    const report = await runChaos({ durationS: 70, seed: 20261127 });
    console.log(formatReport(report));
    expect(report.violations).toEqual([]);
    for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
    expect(report.operations.accepted).toBeGreaterThan(20);
    expect(report.finalValue).toBe(report.operations.accepted);
  }, 300_000);

  it('mutex over mutual TLS (the workers reach the ensemble through TLS proxies): same guarantees, every fault kind', async () => {
    const report = await runChaos({ durationS: 45, seed: 20261129, tls: true });
    console.log(formatReport(report));
    expect(report.violations).toEqual([]);
    for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
    expect(report.operations.accepted).toBeGreaterThan(20);
    expect(report.finalValue).toBe(report.operations.accepted);
  }, 300_000);

  it('leader election: accepted terms never interleave and no update is lost, under every fault kind', async () => {
    const report = await runChaos({ durationS: 40, seed: 5, recipe: 'leader' });
    console.log(formatReport(report));
    expect(report.violations).toEqual([]);
    for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
    expect(report.operations.accepted).toBeGreaterThan(20);
  }, 300_000);

  it("work partitioning (5 workers, 64 partitions): one owner per partition (per-partition fenced records), minimal moves, killed workers' partitions owned again in bound", async () => {
    const report = await runChaos({ durationS: 35, seed: 11, recipe: 'partition' });
    console.log(formatReport(report));
    expect(report.violations).toEqual([]);
    for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
    expect(report.operations.accepted).toBeGreaterThan(1000);
    expect(report.partition?.assignments).toBeGreaterThanOrEqual(2);
    expect(report.partition?.reownMs.length).toBeGreaterThan(0);
  }, 300_000);

  it('semaphore: never more than maxLeases live holders inside the resource, under every fault kind', async () => {
    const report = await runChaos({ durationS: 40, seed: 9, recipe: 'semaphore' });
    console.log(formatReport(report));
    expect(report.violations).toEqual([]);
    for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
    expect(report.operations.accepted).toBeGreaterThan(20);
  }, 300_000);
});

describe.skipIf(faultsSkipReason)('chaos: CuratorCache against writers on a 3-server ensemble, its link and session under faults', () => {
  it.each([
    ['persistent', 25, 20261203],
    ['one-shot', 25, 20261204],
  ] as const)(
    '%s watches: the cache converges to the server tree (paths, data, versions), each node in zxid order',
    async (watches, durationS, seed) => {
      const report = await runCacheChaos({ durationS, seed, watches });
      console.log(formatCacheReport(report));
      expect(report.violations).toEqual([]);
      for (const kind of CACHE_FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
      expect(report.writes).toBeGreaterThan(500);
      expect(report.rebuilds).toBeGreaterThanOrEqual(3);
    },
    300_000,
  );
});

describe('chaos: the same mutex workload and checker on the TTL backends (4 worker processes, each through a fault proxy)', () => {
  it.each([
    ['redis', 30, 20261202],
    ['redis-aof', 20, 20261203],
    ['postgres', 30, 20261204],
  ] as const)(
    '%s: no lost update, one increasing token sequence, nothing left, every fault kind',
    async (backend, durationS, seed) => {
      const report = await runBackendChaos({ backend, durationS, seed });
      console.log(formatBackendReport(report));
      expect(report.violations).toEqual([]);
      for (const kind of BACKEND_FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThanOrEqual(1);
      expect(report.operations.accepted).toBeGreaterThan(20);
      expect(report.finalValue).toBe(report.operations.accepted);
    },
    300_000,
  );
});
