/**
 * A tiny run of `npm run bench` so the benchmark code cannot rot. It asserts that every workload
 * reports and that the correctness figures hold — never a time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { interopUnavailableReason } from '../interop/curator-peer.js';
import { faultsSkipReason } from '../support/zk.js';

async function bench(
  ...args: string[]
): Promise<{ code: number | null; lines: { workload: string; impl: string; figures: Record<string, { median: number }> }[]; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_SOURCE: '1' }, // the sources under test, not whatever dist/ was built last
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  return { code, lines, out };
}

// The bench starts a server of its own, which an external ensemble setup cannot.
describe.skipIf(faultsSkipReason)('benchmark smoke run', () => {
  it('every workload reports, with no exclusion violation and the semaphore limit kept', async () => {
    const { code, lines, out } = await bench();
    expect(code, out).toBe(0);
    const zk = lines.filter((l) => l.workload.startsWith('W'));
    expect(zk.map((l) => l.workload)).toEqual(['W1', 'W1L', 'W2', 'W3', 'W4', 'W5', 'W6']);
    const get = (w: string, k: string, impl = 'zk-recipes') => lines.find((l) => l.workload === w && l.impl === impl)?.figures[k]?.median;
    expect(get('W2', 'violations')).toBe(0);
    expect(get('W6', 'violations')).toBe(0);
    expect(get('W4', 'maxConcurrentHolders')).toBeLessThanOrEqual(3);
    expect(get('W3', 'watchNotificationsPerHandoff')).toBe(1);
    expect(out).toContain('| workload | figure | zk-recipes |');
    // The Redis lock next to redlock and redis-semaphore: every workload, every library.
    const redis = lines.filter((l) => l.workload.startsWith('R')).map((l) => `${l.workload}/${l.impl}`);
    const impls = ['zk-recipes', 'zk-recipes-ioredis', 'redlock', 'redis-semaphore'];
    expect(redis).toEqual([
      ...['R1', 'R2', 'R3'].flatMap((w) => impls.map((i) => `${w}/${i}`)),
      'R4/zk-recipes replicas:0',
      'R4/zk-recipes replicas:1',
    ]);
    for (const impl of impls) expect(get('R2', 'violations', impl)).toBe(0);
    expect(get('R1', 'requestsPerCycle')).toBe(2);
    expect(get('R2', 'ownerChangesPerSec')).toBeGreaterThan(0);
    expect(out).toContain('| ratio vs redlock (node-redis / ioredis) |');
    // Rate limiters: every decider on every shape, admissions exact (the token bucket refills, by design).
    const limiters = lines.filter((l) => l.workload.startsWith('L '));
    expect(limiters.length).toBe(4 * 5);
    for (const l of limiters.filter((l) => l.impl !== 'token-bucket')) expect(l.figures.exact?.median, `${l.workload} ${l.impl}`).toBe(1);
    // PostgreSQL: the lock and both baselines, exclusion kept, blocked waiters nearly free for us.
    const pg = lines.filter((l) => l.workload.startsWith('P')).map((l) => `${l.workload}/${l.impl}`);
    expect(pg).toEqual(['P1', 'P2', 'P3', 'P4'].flatMap((w) => ['zk-recipes', 'lease-table', 'advisory-lock'].map((i) => `${w}/${i}`)));
    for (const impl of ['zk-recipes', 'lease-table', 'advisory-lock']) expect(get('P2', 'violations', impl)).toBe(0);
    expect(get('P4', 'statementsPerSecPerWaiter')).toBeLessThanOrEqual(1);
  }, 180_000);

  it.skipIf(interopUnavailableReason() !== undefined && !process.env.CI)(
    '--vs-curator runs the Curator side too',
    async () => {
      const { code, lines, out } = await bench('--only', 'W1', '--vs-curator');
      expect(code, out).toBe(0);
      expect(lines.map((l) => l.impl)).toEqual(['zk-recipes', 'curator']);
      expect(out).toContain('| ratio |');
    },
    180_000,
  );
});
