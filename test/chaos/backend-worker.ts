/**
 * One chaos worker on a TTL backend (Redis or PostgreSQL): loops acquire → read the record →
 * wait → write it back incremented with the lease's fencing token → release, and reports JSON
 * events on stdout — the same loop and events as the ZooKeeper worker.
 *   backend-worker.ts <id> <redis|redis-cluster|postgres> <url[,url…]> <storePort> <ttlMs> [replicas]
 * Besides: `lost` when a lease's signal says it may be gone, `releasing` as a release starts (the
 * harness counts two holders at once from these); on a cluster it rests a little between turns,
 * so the lock is often free (a grant on a free lock is the one a failover can lose outright).
 */
import pg from 'pg';
import { createClient, createCluster } from 'redis';
import { PostgresLock } from '../../postgres/index.js';
import type { Lease } from '../../recipes/index.js';
import { RedisLock } from '../../redis/index.js';
import { emitter, reportUnhandled, storeCall, withDeadline as withStepDeadline } from './worker-kit.js';

const [id = '?', backend = 'redis', url = '', storePort = '0', ttl = '1000', replicas = '0'] = process.argv.slice(2);
const emit = emitter(id);
reportUnhandled(emit);
const stopping = new AbortController();
process.on('SIGTERM', () => stopping.abort());
const withDeadline = <T>(what: string, work: Promise<T>) => withStepDeadline(emit, what, work);
const store = (path: string, body?: unknown) => storeCall(storePort, path, body);

let lock: { acquire(o: { timeoutMs: number; signal: AbortSignal }): Promise<Lease> };
let close: () => Promise<void>;
const ttlMs = Number(ttl);
if (backend === 'redis') {
  const client = createClient({ url, socket: { reconnectStrategy: () => 200 } });
  client.on('error', () => undefined);
  for (;;) {
    try {
      await client.connect(); // the server may be down when we start
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  lock = new RedisLock(client, 'chaos', { ttlMs, operationTimeoutMs: 1000, recheckMs: 500 });
  close = async () => client.destroy();
} else if (backend === 'redis-cluster') {
  const cluster = createCluster({
    rootNodes: url.split(',').map((u) => ({ url: u })),
    defaults: { socket: { reconnectStrategy: () => 200, connectTimeout: 1000 } },
  });
  cluster.on('error', () => undefined);
  for (;;) {
    try {
      await cluster.connect();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  lock = new RedisLock(cluster, 'chaos', {
    ttlMs,
    operationTimeoutMs: 1000,
    recheckMs: 500,
    replicas: Number(replicas),
    replicaWaitMs: 800,
  });
  close = async () => cluster.destroy();
} else {
  const pool = new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 2000 });
  pool.on('error', () => undefined);
  lock = new PostgresLock(pool, 'chaos', { ttlMs, operationTimeoutMs: 1000, recheckMs: 500 });
  close = async () => {
    PostgresLock.closeListener(pool);
    await pool.end();
  };
}
emit('state', { state: 'STARTED' });

while (!stopping.signal.aborted) {
  let lease: Lease | undefined;
  try {
    lease = await withDeadline('acquire', lock.acquire({ timeoutMs: 10_000, signal: stopping.signal }));
    const token = await lease.fencingToken();
    emit('acquired', { token: String(token) });
    const signal = lease.signal;
    signal.addEventListener(
      'abort',
      () => {
        const state = (signal.reason as { state?: string } | undefined)?.state;
        if (state !== 'RELEASED') emit('lost', { token: String(token), state });
      },
      { once: true },
    );
    const startedAt = Date.now();
    const { value } = (await store(`/read?token=${token}`)) as { value: number };
    // On a cluster the work takes a while, as the work a lock guards does: long enough to outlast a failover.
    await new Promise((r) => setTimeout(r, backend === 'redis-cluster' ? 2000 + Math.random() * 2000 : Math.random() * 30));
    const { accepted } = await store('/write', { worker: id, token: String(token), value: value + 1, readValue: value, startedAt });
    emit(accepted ? 'wrote' : 'fenced', { token: String(token) });
  } catch (error) {
    if (!stopping.signal.aborted) emit('error', { error: (error as Error).message.slice(0, 120) });
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    if (lease) {
      if (!lease.signal.aborted) emit('releasing');
      // A lease lost to a fault rejects its release with OwnershipLostError: that is reported, not fatal.
      await withDeadline('release', lease.release()).catch((error: unknown) =>
        emit('error', { error: `release: ${(error as Error).message.slice(0, 100)}` }),
      );
      emit('released');
      if (backend === 'redis-cluster') await new Promise((r) => setTimeout(r, 2000 + Math.random() * 4000));
    }
  }
}
await close();
emit('stopped');
process.exit(0);
