/**
 * The chaos harness on a Redis Cluster: three shards with a replica each, the replication stream
 * held back by a lag (a loaded replica), worker processes running the fenced mutex workload, and
 * the failover faults — the lock's primary killed right after a grant (the replica promoted in
 * its place never saw it), a graceful failover, a worker killed. It counts what a failover costs:
 * double grants (a second holder while the first still believed it held, from the workers' own
 * clocks) and the stale writes the fencing token refused; a lost update is a violation. Run with
 * `replicas: 1` to measure what WAIT narrows.
 */
import { fileURLToPath } from 'node:url';
import { createCluster } from 'redis';
import { TestingRedisCluster } from '../../src/testing/index.js';
import { prng, spawnWorker, stopWorkers, type WorkerSlot } from './harness-kit.js';
import { checkFencedLog } from './run-chaos.js';
import { GuardedStore } from './store.js';

export const CLUSTER_FAULT_KINDS = ['kill-master-after-grant', 'failover', 'sigkill-worker'] as const;
export type ClusterFaultKind = (typeof CLUSTER_FAULT_KINDS)[number];

export interface ClusterChaosOptions {
  readonly durationS: number;
  readonly seed: number;
  /** RedisLock's `replicas`: 0 (asynchronous, Redis's default) or 1. */
  readonly replicas: number;
  readonly workers?: number;
  /** How far the replicas lag behind their primaries. @default 200 */
  readonly lagMs?: number;
  readonly log?: (line: string) => void;
}

export interface ClusterChaosReport {
  readonly backend: 'redis-cluster';
  readonly seed: number;
  readonly durationS: number;
  readonly replicas: number;
  readonly lagMs: number;
  readonly operations: { acquired: number; accepted: number; fenced: number; errors: number };
  /** Grants made while another worker still believed it held the lock, and the longest overlap. */
  readonly doubleGrants: { count: number; longestOverlapMs: number };
  /** Primaries killed within the lag of a grant on a free lock (the grant the replica never saw). */
  readonly killsAfterFreeGrant: number;
  /** Leases whose holder was told it lost them (`NOT_OWNER`: a renewal found the lock gone; `EXPIRED`). */
  readonly leasesLost: Record<string, number>;
  readonly faults: Record<ClusterFaultKind, number>;
  readonly finalValue: number;
  readonly leftovers: number;
  readonly violations: string[];
}

const TTL_MS = 5000; // longer than a failover, so a holder still believes it holds when the replica takes over
const LOCK_KEY = 'zk-recipes:lock:{chaos}:owner';
const workerFile = fileURLToPath(new URL('./backend-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HoldEvent {
  readonly id: string;
  readonly event: 'acquired' | 'lost' | 'releasing' | 'killed';
  readonly t: number;
}

/** Holds from the workers' events; a grant that starts inside another worker's hold is a double grant. */
export function countDoubleGrants(events: readonly HoldEvent[], endedAt: number): { count: number; longestOverlapMs: number } {
  const holds: { id: string; from: number; to: number }[] = [];
  const open = new Map<string, { from: number }>();
  for (const e of [...events].sort((a, b) => a.t - b.t)) {
    const current = open.get(e.id);
    if (e.event === 'acquired') open.set(e.id, { from: e.t });
    else if (current) {
      holds.push({ id: e.id, from: current.from, to: e.t });
      open.delete(e.id);
    }
  }
  for (const [id, { from }] of open) holds.push({ id, from, to: endedAt });
  let count = 0;
  let longestOverlapMs = 0;
  for (const hold of holds) {
    const overlapped = holds.filter((other) => other.id !== hold.id && other.from < hold.from && hold.from < other.to);
    if (overlapped.length === 0) continue;
    count++;
    for (const other of overlapped) longestOverlapMs = Math.max(longestOverlapMs, Math.min(other.to, hold.to) - hold.from);
  }
  return { count, longestOverlapMs };
}

export async function runClusterChaos(options: ClusterChaosOptions): Promise<ClusterChaosReport> {
  const say = options.log ?? (() => {});
  const random = prng(options.seed);
  const lagMs = options.lagMs ?? 200;
  const violations: string[] = [];
  const ops = { acquired: 0, accepted: 0, fenced: 0, errors: 0 };
  const faults = Object.fromEntries(CLUSTER_FAULT_KINDS.map((k) => [k, 0])) as Record<ClusterFaultKind, number>;
  const holdEvents: HoldEvent[] = [];
  const leasesLost: Record<string, number> = {};
  let killsAfterFreeGrant = 0;
  const t0 = Date.now();
  const cluster = await TestingRedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000, replicationLagMs: lagMs });
  const store = new GuardedStore();
  await store.start();
  const slots: WorkerSlot[] = [];
  let generation = 0;
  let onGrant: ((t: number) => void) | undefined;

  const startWorker = (index: number): void => {
    const id = `w${index}.${generation++}`;
    const args = [workerFile, id, 'redis-cluster', cluster.urls.join(','), String(store.port), String(TTL_MS), String(options.replicas)];
    const slot = spawnWorker(id, args, violations, (e, line) => {
      if (e.event === 'acquired' || e.event === 'lost' || e.event === 'releasing') holdEvents.push({ id, event: e.event, t: e.t });
      if (e.event === 'acquired') {
        ops.acquired++;
        onGrant?.(e.t);
      }
      if (e.event === 'error') ops.errors++;
      if (e.event === 'lost') {
        const state = String(e.state);
        leasesLost[state] = (leasesLost[state] ?? 0) + 1;
      }
      if (process.env.CHAOS_TRACE) say(`${((e.t - t0) / 1000).toFixed(3)} ${id} ${line.slice(0, 160)}`);
    });
    slots[index] = slot;
  };

  // A grant on a lock that had been free for longer than the lag: the replica's copy says "free".
  const freeBefore = (t: number) => !holdEvents.some((e) => e.event !== 'acquired' && e.t > t - lagMs - 100 && e.t < t);
  const nextGrantOnFreeLock = (timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        onGrant = undefined;
        resolve(false);
      }, timeoutMs);
      onGrant = (t) => {
        if (!freeBefore(t)) return;
        clearTimeout(timer);
        onGrant = undefined;
        resolve(true);
      };
    });

  const apply = async (kind: ClusterFaultKind): Promise<string> => {
    switch (kind) {
      case 'kill-master-after-grant': {
        // Within the lag of a grant: the replica that takes over has not seen it.
        const afterGrant = nextGrantOnFreeLock(10_000);
        const killed = await cluster.killMaster(LOCK_KEY, 30_000, { after: afterGrant });
        if (await afterGrant) killsAfterFreeGrant++;
        await cluster.restart(killed); // back as the new primary's replica
        return `${killed.host}:${killed.port}`;
      }
      case 'failover': {
        const promoted = await cluster.failover(LOCK_KEY);
        return `${promoted.host}:${promoted.port}`;
      }
      case 'sigkill-worker': {
        const slot = slots[Math.floor(random() * slots.length)] as WorkerSlot;
        slot.killedByUs = true;
        slot.child.kill('SIGKILL');
        holdEvents.push({ id: slot.id, event: 'killed', t: Date.now() });
        startWorker(slots.indexOf(slot));
        return slot.id;
      }
    }
  };

  for (let i = 0; i < (options.workers ?? 2); i++) startWorker(i);
  await sleep(1500); // workers connected and cycling before the first fault
  const order = [...CLUSTER_FAULT_KINDS].sort(() => random() - 0.5);
  const deadline = t0 + options.durationS * 1000;
  while (Date.now() < deadline) {
    await sleep(1000 + random() * 1500);
    const kind = order.shift() ?? (random() < 0.6 ? 'kill-master-after-grant' : random() < 0.6 ? 'failover' : 'sigkill-worker');
    const on = await apply(kind);
    faults[kind]++;
    say(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] fault ${kind} → ${on}`);
  }

  const endedAt = Date.now();
  await stopWorkers(slots, violations);
  await sleep(TTL_MS + 1000);
  const admin = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
  admin.on('error', () => undefined);
  await admin.connect();
  const leftovers = (await admin.exists(LOCK_KEY)) as number;
  await admin.destroy();
  await store.stop();
  await cluster.stop();

  const acceptedCount = checkFencedLog(store, true, violations);
  if (leftovers > 0) violations.push('the lock was still held after every worker stopped and one TTL passed');
  return {
    backend: 'redis-cluster',
    seed: options.seed,
    durationS: options.durationS,
    replicas: options.replicas,
    lagMs,
    operations: { ...ops, accepted: acceptedCount, fenced: store.log.length - acceptedCount },
    doubleGrants: countDoubleGrants(holdEvents, endedAt),
    killsAfterFreeGrant,
    leasesLost,
    faults,
    finalValue: store.value,
    leftovers,
    violations,
  };
}

/** The summary table printed after a run. */
export function formatClusterReport(r: ClusterChaosReport): string {
  const rows = [
    `chaos run: mutex on a Redis Cluster (3 shards, 1 replica each, replication lag ${r.lagMs} ms), replicas: ${r.replicas}, seed ${r.seed}, ${r.durationS} s`,
    '| measure | value |',
    '|---|---|',
    `| locks acquired | ${r.operations.acquired} |`,
    `| double grants (a second holder while the first still believed it held) | ${r.doubleGrants.count} |`,
    `| longest overlap of two holders (ms) | ${r.doubleGrants.longestOverlapMs} |`,
    `| primaries killed within the lag of a grant on a free lock | ${r.killsAfterFreeGrant} |`,
    `| leases whose holder was told it lost them | ${
      Object.entries(r.leasesLost)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 0
    } |`,
    `| writes accepted | ${r.operations.accepted} |`,
    `| stale writes refused by the fencing token | ${r.operations.fenced} |`,
    `| worker errors (retried) | ${r.operations.errors} |`,
    ...CLUSTER_FAULT_KINDS.map((k) => `| fault: ${k} | ${r.faults[k]} |`),
    `| lock left held | ${r.leftovers} |`,
    `| violations (lost updates, tokens out of order, hangs) | ${r.violations.length} |`,
  ];
  if (r.violations.length > 0) rows.push('', ...r.violations.map((v) => `VIOLATION: ${v}`));
  return rows.join('\n');
}
