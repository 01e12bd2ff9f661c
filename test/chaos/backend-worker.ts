/**
 * One chaos worker on a TTL backend (Redis or PostgreSQL): loops acquire → read the record →
 * wait → write it back incremented with the lease's fencing token → release, and reports JSON
 * events on stdout — the same loop and events as the ZooKeeper worker.
 *   backend-worker.ts <id> <redis|postgres> <url> <storePort> <ttlMs>
 */
import pg from 'pg';
import { createClient } from 'redis';
import { PostgresLock } from '../../postgres/index.js';
import type { Lease } from '../../recipes/index.js';
import { RedisLock } from '../../redis/index.js';
import { emitter, reportUnhandled, storeCall, withDeadline as withStepDeadline } from './worker-kit.js';

const [id = '?', backend = 'redis', url = '', storePort = '0', ttl = '1000'] = process.argv.slice(2);
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
    const startedAt = Date.now();
    const { value } = (await store(`/read?token=${token}`)) as { value: number };
    await new Promise((r) => setTimeout(r, Math.random() * 30));
    const { accepted } = await store('/write', { worker: id, token: String(token), value: value + 1, readValue: value, startedAt });
    emit(accepted ? 'wrote' : 'fenced', { token: String(token) });
  } catch (error) {
    if (!stopping.signal.aborted) emit('error', { error: (error as Error).message.slice(0, 120) });
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    if (lease) {
      // A lease lost to a fault rejects its release with OwnershipLostError: that is reported, not fatal.
      await withDeadline('release', lease.release()).catch((error: unknown) =>
        emit('error', { error: `release: ${(error as Error).message.slice(0, 100)}` }),
      );
      emit('released');
    }
  }
}
await close();
emit('stopped');
process.exit(0);
