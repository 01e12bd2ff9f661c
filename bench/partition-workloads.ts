/**
 * G1, the WorkPartitioner's rebalance time: 5 workers (each its own session) split 64
 * partitions; then one worker leaves, twice — gracefully (its client closes: the session ends at
 * once) and by "crashing" (its link goes dead through a fault proxy: the server expires the
 * session after the session timeout). Measured: from the event to every partition owned again,
 * next to the session timeout, and how many partitions moved (the leaver's share is the minimum).
 */
import { WorkPartitioner, ZkClient } from '../recipes/index.js';
import { FaultProxy } from '../src/testing/index.js';
import type { Figures, Server } from './zk-kit.js';

const WORKERS = 5;
const PARTITIONS = 64;
const SESSION_TIMEOUT_MS = 2000;

interface Worker {
  readonly client: ZkClient;
  readonly partitioner: WorkPartitioner;
  readonly proxy: FaultProxy;
}

async function startWorker(server: Server, ns: string, id: string): Promise<Worker> {
  const proxy = await FaultProxy.start(server.connectString);
  const client = new ZkClient({ connectString: proxy.connectString, namespace: ns, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  await client.start();
  const partitioner = new WorkPartitioner(client, '/g1', { id, partitions: PARTITIONS });
  await partitioner.start({ timeoutMs: 10_000 });
  return { client, partitioner, proxy };
}

/** Waits until the live workers own every partition between them, balanced; returns when (epoch ms). */
async function allOwned(workers: readonly Worker[]): Promise<number> {
  for (;;) {
    const owned = workers.reduce((n, w) => n + w.partitioner.owned().size, 0);
    if (owned === PARTITIONS && workers.every((w) => w.partitioner.state === 'acquired')) return Date.now();
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ownersOf = (workers: readonly Worker[]) =>
  new Map(workers.flatMap((w) => [...w.partitioner.owned().keys()].map((p) => [p, w.partitioner.id])));

async function leave(workers: Worker[], how: 'graceful' | 'crash'): Promise<{ ms: number; moved: number; share: number }> {
  const before = ownersOf(workers);
  const leaver = workers.pop() as Worker;
  const share = leaver.partitioner.owned().size;
  const started = Date.now();
  if (how === 'graceful') await leaver.client.close();
  else leaver.proxy.pause(); // a dead link: nothing reaches the server until the session expires
  const ms = (await allOwned(workers)) - started;
  const after = ownersOf(workers);
  const moved = [...after].filter(([p, owner]) => before.get(p) !== owner).length;
  if (how === 'crash') await leaver.client.close();
  await leaver.proxy.close();
  return { ms, moved, share };
}

export async function g1(server: Server, _sizes: unknown, ns: string): Promise<Figures> {
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(server, ns, `w${i}`));
    await allOwned(workers);
    const graceful = await leave(workers, 'graceful');
    workers.push(await startWorker(server, ns, 'w9'));
    await allOwned(workers);
    const crash = await leave(workers, 'crash');
    return {
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      gracefulRebalanceMs: graceful.ms,
      crashRebalanceMs: crash.ms,
      crashMinusSessionTimeoutMs: crash.ms - SESSION_TIMEOUT_MS,
      movedPerLeave: Math.max(graceful.moved, crash.moved),
      leaverShare: Math.max(graceful.share, crash.share),
    };
  } finally {
    for (const w of workers) {
      await w.partitioner.close().catch(() => undefined);
      await w.client.close();
      await w.proxy.close();
    }
  }
}
