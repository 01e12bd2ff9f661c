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

const [id = '?', backend = 'redis', url = '', storePort = '0', ttl = '1000'] = process.argv.slice(2);
const emit = (event: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ t: Date.now(), id, event, ...extra })}\n`);
process.on('unhandledRejection', (reason) => {
  emit('unhandled', { reason: String(reason) });
  process.exit(3);
});
const stopping = new AbortController();
process.on('SIGTERM', () => stopping.abort());

const OP_DEADLINE_MS = 60_000; // no single step may take this long, whatever the faults
async function withDeadline<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      emit('hung', { what });
      reject(new Error(`${what} hung`));
    }, OP_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function store(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${storePort}${path}`, {
    method: body ? 'POST' : 'GET',
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as Record<string, unknown>;
}

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
