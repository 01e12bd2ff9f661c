/**
 * The chaos harness on the TTL backends: one Redis or PostgreSQL server, worker processes (each
 * through a fault proxy of its own) running the mutex workload against the same fenced store, a
 * seeded fault scheduler with the faults that apply to a TTL lock, and the same checker as the
 * ZooKeeper runs. Its report counts the writes the fencing check refused: each is a moment when two
 * processes believed they held the lock, which without fencing would have been a lost update.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClient } from 'redis';
import { FaultProxy, TestingPostgres, TestingRedis } from '../../src/testing/index.js';
import { checkFencedLog } from './run-chaos.js';
import { prng, spawnWorker, stopWorkers, type WorkerSlot } from './harness-kit.js';
import { GuardedStore } from './store.js';

export const BACKEND_FAULT_KINDS = ['restart-server', 'cut-link', 'pause-link', 'sigstop-holder', 'sigkill-worker'] as const;
export type BackendFaultKind = (typeof BACKEND_FAULT_KINDS)[number];
/** `redis` runs without persistence (a restart loses every key), `redis-aof` with appendfsync everysec. */
export type ChaosBackend = 'redis' | 'redis-aof' | 'postgres';

export interface BackendChaosOptions {
  readonly backend: ChaosBackend;
  readonly durationS: number;
  readonly seed: number;
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

export interface BackendChaosReport {
  readonly backend: ChaosBackend;
  readonly seed: number;
  readonly durationS: number;
  readonly operations: { acquired: number; accepted: number; fenced: number; errors: number };
  readonly faults: Record<BackendFaultKind, number>;
  readonly finalValue: number;
  /** Lock state left on the server after the workers stopped and one TTL passed (keys or rows). */
  readonly leftovers: number;
  readonly violations: string[];
}

const TTL_MS = 1000;
const workerFile = fileURLToPath(new URL('./backend-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Slot extends WorkerSlot {
  proxy: FaultProxy;
  holding: boolean;
}

export async function runBackendChaos(options: BackendChaosOptions): Promise<BackendChaosReport> {
  const say = options.log ?? (() => {});
  const random = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const violations: string[] = [];
  const ops = { acquired: 0, accepted: 0, fenced: 0, errors: 0 };
  const faults = Object.fromEntries(BACKEND_FAULT_KINDS.map((k) => [k, 0])) as Record<BackendFaultKind, number>;
  const t0 = Date.now();
  const server =
    options.backend === 'postgres'
      ? await TestingPostgres.start()
      : await TestingRedis.start({ persistence: options.backend === 'redis-aof' ? 'aof-everysec' : 'none' });
  const target = `${server.host}:${server.port}`;
  const urlVia = (proxy: FaultProxy) =>
    options.backend === 'postgres' ? `postgres://postgres@${proxy.connectString}/postgres` : `redis://${proxy.connectString}`;
  if (options.backend === 'postgres') {
    // The table is made once here, so that workers started in a fault do not race to make it.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const { lockDdl } = await import('../../postgres/index.js');
    await admin.query(lockDdl());
    await admin.end();
  }
  const store = new GuardedStore();
  await store.start();
  const slots: Slot[] = [];
  let generation = 0;

  const startWorker = async (index: number, reuse?: FaultProxy): Promise<void> => {
    const proxy = reuse ?? (await FaultProxy.start(target));
    const id = `w${index}.${generation++}`;
    const kind = options.backend === 'postgres' ? 'postgres' : 'redis';
    const args = [workerFile, id, kind, urlVia(proxy), String(store.port), String(TTL_MS)];
    const slot: Slot = Object.assign(
      spawnWorker(id, args, violations, (e) => {
        if (e.event === 'acquired') {
          ops.acquired++;
          slot.holding = true;
        }
        if (e.event === 'released') slot.holding = false;
        if (e.event === 'error') ops.errors++;
      }),
      { proxy, holding: false },
    );
    slots[index] = slot;
  };

  for (let i = 0; i < (options.workers ?? 4); i++) await startWorker(i);

  const apply = async (kind: BackendFaultKind): Promise<string> => {
    const slot = pick(slots);
    switch (kind) {
      case 'restart-server':
        await server.kill();
        await sleep(500 + random() * 1500);
        await server.restart();
        return options.backend;
      case 'cut-link':
        slot.proxy.cut();
        return slot.id;
      case 'pause-link':
        slot.proxy.pause();
        await sleep(TTL_MS * 1.5);
        slot.proxy.resume();
        return slot.id;
      case 'sigstop-holder': {
        const holder = slots.find((s) => s.holding) ?? slot;
        holder.child.kill('SIGSTOP');
        await sleep(TTL_MS * 1.5 + 500); // a "GC pause" past the TTL
        holder.child.kill('SIGCONT');
        return holder.id;
      }
      case 'sigkill-worker': {
        const index = slots.indexOf(slot);
        slot.killedByUs = true;
        slot.child.kill('SIGKILL');
        await startWorker(index, slot.proxy);
        return slot.id;
      }
    }
  };

  const order = [...BACKEND_FAULT_KINDS].sort(() => random() - 0.5);
  const deadline = t0 + options.durationS * 1000;
  while (Date.now() < deadline) {
    await sleep(800 + random() * 1200);
    const kind = order.shift() ?? pick(BACKEND_FAULT_KINDS);
    const on = await apply(kind);
    faults[kind]++;
    say(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] fault ${kind} → ${on}`);
  }

  for (const s of slots) s.proxy.resume();
  await stopWorkers(slots, violations);
  await sleep(TTL_MS * 2 + 500);

  // What a lock left on the server once every worker is gone and its leases ran out.
  let leftovers = 0;
  if (options.backend === 'postgres') {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const { rows } = await admin.query(
      "SELECT (SELECT count(*) FROM zk_recipes_locks WHERE lease_until > clock_timestamp() AND holder <> '') + (SELECT count(*) FROM zk_recipes_locks_queue WHERE alive_until > clock_timestamp()) AS n",
    );
    leftovers = Number(rows[0]?.n);
    await admin.end();
  } else {
    const admin = createClient({ url: server.url });
    await admin.connect();
    leftovers = (await admin.keys('zk-recipes:lock:*')).filter(
      (k) => !k.endsWith(':fence') && !k.endsWith(':queue') && !k.endsWith(':waiters'),
    ).length;
    admin.destroy();
  }
  for (const s of slots) await s.proxy.close();
  await store.stop();
  await server.stop();

  const acceptedCount = checkFencedLog(store, true, violations);
  if (leftovers > 0)
    violations.push(`${leftovers} live lock entr${leftovers === 1 ? 'y' : 'ies'} left after every worker stopped and one TTL passed`);
  return {
    backend: options.backend,
    seed: options.seed,
    durationS: options.durationS,
    operations: { ...ops, accepted: acceptedCount, fenced: store.log.length - acceptedCount },
    faults,
    finalValue: store.value,
    leftovers,
    violations,
  };
}

/** The summary table printed after a run. */
export function formatBackendReport(r: BackendChaosReport): string {
  const rows = [
    `chaos run: mutex on ${r.backend}, seed ${r.seed}, ${r.durationS} s`,
    '| measure | value |',
    '|---|---|',
    `| locks acquired | ${r.operations.acquired} |`,
    `| writes accepted | ${r.operations.accepted} |`,
    `| writes fenced off (two processes believed they held the lock) | ${r.operations.fenced} |`,
    `| worker errors (retried) | ${r.operations.errors} |`,
    `| final value | ${r.finalValue} |`,
    ...BACKEND_FAULT_KINDS.map((k) => `| fault: ${k} | ${r.faults[k]} |`),
    `| live lock entries left | ${r.leftovers} |`,
    `| violations | ${r.violations.length} |`,
  ];
  if (r.violations.length > 0) rows.push('', ...r.violations.map((v) => `VIOLATION: ${v}`));
  return rows.join('\n');
}
