/**
 * One chaos worker process: loops acquire → read the record → wait → write it back incremented
 * with the lease's fencing token → release. Reports JSON events on stdout. Usage:
 *   worker.ts <id> <connectString> <namespace> <storePort> <sessionTimeoutMs>
 */
import { InterProcessMutex, type Lease, ZkClient } from '../../recipes/index.js';

const [id = '?', connectString = '', namespace = '/chaos', storePort = '0', sessionTimeout = '2000'] = process.argv.slice(2);
const emit = (event: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ t: Date.now(), id, event, ...extra })}\n`);

process.on('unhandledRejection', (reason) => {
  emit('unhandled', { reason: String(reason) });
  process.exit(3);
});

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

const client = new ZkClient({
  connectString,
  namespace,
  sessionTimeoutMs: Number(sessionTimeout),
  connectionTimeoutMs: 5000,
  operationTimeoutMs: 3000,
});
client.on('state', (state) => {
  const c = client.sessionCredentials();
  emit('state', { state, session: client.sessionId, password: c?.password.toString('hex') });
});
const stopping = new AbortController();
process.on('SIGTERM', () => stopping.abort());

await client.start();
const mutex = new InterProcessMutex(client, '/lock');
while (!stopping.signal.aborted) {
  let lease: Lease | undefined;
  try {
    lease = await withDeadline('acquire', mutex.acquire({ timeoutMs: 10_000, signal: stopping.signal }));
    const token = await withDeadline('fencingToken', lease.fencingToken());
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
      await withDeadline('release', lease.release()).catch((error: unknown) =>
        emit('error', { error: `release: ${(error as Error).message.slice(0, 100)}` }),
      );
      emit('released');
    }
  }
}
await client.close();
emit('stopped');
