/**
 * The benchmark workloads, run with zk-recipes. Each uses a fresh path on one dedicated server and
 * returns its figures; `bench/run.ts` prints and compares them.
 */
import { InterProcessMutex, InterProcessSemaphoreV2, LeaderLatch, type LockOptions, ZkClient } from '../recipes/index.js';
import { mean, percentile, round } from './stats.js';
import { counters, type Figures, type Server, type Sizes } from './zk-kit.js';

export { counters, type Figures, type Server, type Sizes } from './zk-kit.js';

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

/** Client CPU (user + system, µs) of this process since `from`: the Node side's cost per operation. */
const cpuUs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return d.user + d.system;
};

/** An await inside the critical section, so the exclusion check can fail. */
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

async function clients(server: Server, n: number, ns: string): Promise<ZkClient[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = new ZkClient({ connectString: server.connectString, namespace: ns, sessionTimeoutMs: 10_000, operationTimeoutMs: 30_000 });
      await c.start();
      return c;
    }),
  );
}

const closeAll = (list: ZkClient[]) => Promise.all(list.map((c) => c.close()));

/** W1 uncontended: one session, acquire/release cycles of one mutex (default options). */
export function w1(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  return uncontended(server, sizes, ns, {});
}

/** W1 with `removeEmptyParent: true`: the lock parent deleted and re-created every cycle (what a 3.4 server costs). */
export function w1lazy(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  return uncontended(server, sizes, ns, { removeEmptyParent: true });
}

async function uncontended(server: Server, sizes: Sizes, ns: string, options: LockOptions): Promise<Figures> {
  const [client] = await clients(server, 1, ns);
  const mutex = new InterProcessMutex(client!, '/w1', options);
  for (let i = 0; i < sizes.warmup; i++) await (await mutex.acquire()).release();
  const acquire: number[] = [];
  const release: number[] = [];
  const before = await counters(server);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < sizes.w1Cycles; i++) {
    const t0 = process.hrtime.bigint();
    const lease = await mutex.acquire();
    const t1 = process.hrtime.bigint();
    await lease.release();
    acquire.push(Number(t1 - t0) / 1e6);
    release.push(ms(t1));
  }
  const total = ms(start);
  const cpu = cpuUs(cpu0);
  const after = await counters(server);
  await closeAll([client!]);
  return {
    cyclesPerSec: round((sizes.w1Cycles / total) * 1000),
    clientCpuUsPerCycle: round(cpu / sizes.w1Cycles),
    writesPerCycle: round((after.writes - before.writes) / sizes.w1Cycles),
    acquireP50Ms: round(percentile(acquire, 50)),
    acquireP99Ms: round(percentile(acquire, 99)),
    releaseP50Ms: round(percentile(release, 50)),
    releaseP99Ms: round(percentile(release, 99)),
    requestsPerCycle: round((after.packets - before.packets) / sizes.w1Cycles),
  };
}

/** W2 contended: sessions × cycles on one mutex, hold 0 ms, with a mutual-exclusion check. */
export async function w2(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  const list = await clients(server, sizes.w2Sessions, ns);
  let inside = 0;
  let violations = 0;
  const waits: number[] = [];
  const contend = (cycles: number, record: boolean) =>
    Promise.all(
      list.map(async (client) => {
        const mutex = new InterProcessMutex(client, '/w2');
        for (let i = 0; i < cycles; i++) {
          const t0 = process.hrtime.bigint();
          const lease = await mutex.acquire();
          if (record) waits.push(ms(t0));
          if (++inside > 1) violations++;
          await yieldNow();
          inside--;
          await lease.release();
        }
      }),
    );
  await contend(Math.max(1, Math.round(sizes.warmup / sizes.w2Sessions)), false); // warm-up, same code path
  const before = await counters(server);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await contend(sizes.w2Cycles, true);
  const total = ms(start);
  const cpu = cpuUs(cpu0);
  const after = await counters(server);
  await closeAll(list);
  const acquisitions = sizes.w2Sessions * sizes.w2Cycles;
  return {
    handoffsPerSec: round((acquisitions / total) * 1000),
    clientCpuUsPerHandoff: round(cpu / acquisitions),
    writesPerHandoff: round((after.writes - before.writes) / acquisitions),
    waitP50Ms: round(percentile(waits, 50)),
    waitP99Ms: round(percentile(waits, 99)),
    violations,
    requestsPerAcquisition: round((after.packets - before.packets) / acquisitions),
  };
}

/** W3 herd: N sessions queue on one mutex (every watch set), then the queue drains. */
export async function w3(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  const list = await clients(server, sizes.w3Waiters + 1, ns);
  const [holderClient, ...waiters] = list;
  const holder = await new InterProcessMutex(holderClient!, '/w3').acquire();
  const granted: number[] = [];
  const done = waiters.map((client) =>
    new InterProcessMutex(client, '/w3').acquire().then(async (lease) => {
      granted.push(Number(process.hrtime.bigint() / 1000n) / 1000);
      await lease.release();
    }),
  );
  // Wait until every waiter has its watch set.
  for (;;) {
    if (waiters.every((w) => w.pendingWatchCount === 1)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  const before = await counters(server);
  const releasedAt = Number(process.hrtime.bigint() / 1000n) / 1000;
  const start = process.hrtime.bigint();
  await holder.release();
  await Promise.all(done);
  const total = ms(start);
  const after = await counters(server);
  await closeAll(list);
  const handoffs = [granted[0]! - releasedAt, ...granted.slice(1).map((t, i) => t - granted[i]!)];
  return {
    waiters: sizes.w3Waiters,
    drainMs: round(total),
    handoffMeanMs: round(mean(handoffs)),
    handoffP99Ms: round(percentile(handoffs, 99)),
    watchNotificationsPerHandoff: round((after.watches - before.watches) / sizes.w3Waiters),
  };
}

/** W4 semaphore: maxLeases 3, sessions × cycles, hold 5 ms. */
export async function w4(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  const list = await clients(server, sizes.w4Sessions, ns);
  let inside = 0;
  let maxInside = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    list.map(async (client) => {
      const semaphore = new InterProcessSemaphoreV2(client, '/w4', { maxLeases: 3 });
      for (let i = 0; i < sizes.w4Cycles; i++) {
        const [lease] = await semaphore.acquire();
        maxInside = Math.max(maxInside, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        await lease!.release();
      }
    }),
  );
  const total = ms(start);
  await closeAll(list);
  return { totalMs: round(total), maxConcurrentHolders: maxInside };
}

/** W5 leader failover: 5 latches; the leader's session closes; time until a new leader knows it. */
export async function w5(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  const failovers: number[] = [];
  const list = await clients(server, 5, ns);
  const latches = new Map<ZkClient, LeaderLatch>();
  for (const client of list) {
    const latch = new LeaderLatch(client, '/w5');
    await latch.start();
    latches.set(client, latch);
  }
  for (let round_ = 0; round_ < sizes.w5Rounds; round_++) {
    const entries = [...latches.entries()];
    await Promise.race(entries.map(([, l]) => l.awaitLeadership()));
    const leaderEntry = entries.find(([, l]) => l.hasLeadership());
    if (!leaderEntry) throw new Error('no leader');
    const [leaderClient, leaderLatch] = leaderEntry;
    const others = entries.filter(([c]) => c !== leaderClient).map(([, l]) => l);
    const t0 = process.hrtime.bigint();
    const next = Promise.race(others.map((l) => l.awaitLeadership()));
    latches.delete(leaderClient);
    await leaderClient.close(); // the session ends: its node goes at once
    await next;
    failovers.push(ms(t0));
    await leaderLatch.close();
    // Replace the participant so there are always 5.
    const [fresh] = await clients(server, 1, ns);
    const latch = new LeaderLatch(fresh!, '/w5');
    await latch.start();
    latches.set(fresh!, latch);
  }
  for (const [client, latch] of latches) {
    await latch.close();
    await client.close();
  }
  return { failoverP50Ms: round(percentile(failovers, 50)), failoverP90Ms: round(percentile(failovers, 90)) };
}

/** W6 in-process contention: one client, flows × cycles on one mutex object. */
export async function w6(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  const [client] = await clients(server, 1, ns);
  const mutex = new InterProcessMutex(client!, '/w6');
  let inside = 0;
  let violations = 0;
  const flows = (cycles: number) =>
    Promise.all(
      Array.from({ length: sizes.w6Flows }, async () => {
        for (let i = 0; i < cycles; i++) {
          const lease = await mutex.acquire();
          if (++inside > 1) violations++;
          await yieldNow();
          inside--;
          await lease.release();
        }
      }),
    );
  await flows(Math.max(1, Math.round(sizes.warmup / sizes.w6Flows))); // warm-up
  const before = await counters(server);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  await flows(sizes.w6Cycles);
  const total = ms(start);
  const cpu = cpuUs(cpu0);
  const after = await counters(server);
  await closeAll([client!]);
  const handoffs = sizes.w6Flows * sizes.w6Cycles;
  return {
    handoffsPerSec: round((handoffs / total) * 1000),
    clientCpuUsPerHandoff: round(cpu / handoffs),
    writesPerHandoff: round((after.writes - before.writes) / handoffs),
    violations,
  };
}

export const WORKLOADS = {
  W1: w1,
  W1L: w1lazy,
  W2: w2,
  W3: w3,
  W4: w4,
  W5: w5,
  W6: w6,
  C1: (server: Server, sizes: Sizes, ns: string) => import('./cache-workloads.js').then((m) => m.c1(server, sizes, ns)),
  C2: (server: Server, sizes: Sizes, ns: string) => import('./cache-workloads.js').then((m) => m.c2(server, sizes, ns)),
  G1: (server: Server, sizes: Sizes, ns: string) => import('./partition-workloads.js').then((m) => m.g1(server, sizes, ns)),
} as const;
/** The Curator workload each of ours is compared with. */
export const CURATOR_EQUIVALENT: Record<keyof typeof WORKLOADS, string> = {
  W1: 'W1',
  W1L: 'W1',
  W2: 'W2',
  W3: 'W3',
  W4: 'W4',
  W5: 'W5',
  W6: 'W6',
  C1: 'C1',
  C2: 'C2',
  G1: '', // Curator has no work partitioner: ours alone
};
export type WorkloadName = keyof typeof WORKLOADS;
