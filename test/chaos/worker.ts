/**
 * One chaos worker process. `mutex`: loops acquire → read the record → wait → write it back
 * incremented with the lease's fencing token → release. `leader`: joins a LeaderLatch and, while it
 * leads, does the same read/write cycles with its latch node's creation zxid as the token (one
 * token per term). Reports JSON events on stdout. Usage:
 * `semaphore`: holds a lease of a 2-lease semaphore while inside the guarded resource.
 * `partition`: a WorkPartitioner member of 64 partitions, doing read/write cycles on each owned
 *   partition's record with that partition's lease token until the lease ends.
 *   worker.ts <id> <connectString> <namespace> <storePort> <sessionTimeoutMs> [mutex|leader|semaphore|partition]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InterProcessMutex, InterProcessSemaphoreV2, LeaderLatch, type Lease, WorkPartitioner, ZkClient } from '../../recipes/index.js';
import { CHAOS_PARTITIONS } from './partition-store.js';
import { emitter, reportUnhandled, storeCall, withDeadline as withStepDeadline } from './worker-kit.js';

const [id = '?', connectString = '', namespace = '/chaos', storePort = '0', sessionTimeout = '2000', recipe = 'mutex'] =
  process.argv.slice(2);
const emit = emitter(id);
reportUnhandled(emit);
const withDeadline = <T>(what: string, work: Promise<T>) => withStepDeadline(emit, what, work);
const store = (path: string, body?: unknown) => storeCall(storePort, path, body);

// Under a TLS chaos run, the client certificate and CA come from files the harness wrote.
const tlsDir = process.env.ZK_CHAOS_TLS_DIR;
const tls = tlsDir
  ? {
      ca: readFileSync(join(tlsDir, 'ca.pem')),
      cert: readFileSync(join(tlsDir, 'cert.pem')),
      key: readFileSync(join(tlsDir, 'key.pem')),
    }
  : undefined;
const client = new ZkClient({
  connectString,
  namespace,
  tls,
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

// A worker may start while the ensemble has no quorum: keep waiting rather than crash.
await client.start().catch(() => client.blockUntilConnected({ timeoutMs: 120_000 }));

/** Read the record with our token, wait a little, write it back incremented. */
async function cycle(token: bigint): Promise<void> {
  const startedAt = Date.now();
  const { value } = (await store(`/read?token=${token}`)) as { value: number };
  await new Promise((r) => setTimeout(r, Math.random() * 30));
  const { accepted } = await store('/write', { worker: id, token: String(token), value: value + 1, readValue: value, startedAt });
  emit(accepted ? 'wrote' : 'fenced', { token: String(token) });
}

/** Loops: take a lease, run `work` with its fencing token, give the lease back; errors are reported and retried. */
async function leaseLoop(take: () => Promise<Lease | undefined>, work: (lease: Lease, token: bigint) => Promise<void>): Promise<void> {
  while (!stopping.signal.aborted) {
    let lease: Lease | undefined;
    try {
      lease = await withDeadline('acquire', take());
      if (!lease) continue;
      const token = await withDeadline('fencingToken', lease.fencingToken());
      emit('acquired', { token: String(token) });
      await work(lease, token);
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
}

function mutexLoop(): Promise<void> {
  const mutex = new InterProcessMutex(client, '/lock');
  return leaseLoop(
    () => mutex.acquire({ timeoutMs: 10_000, signal: stopping.signal }),
    (_, token) => cycle(token),
  );
}

function semaphoreLoop(): Promise<void> {
  const semaphore = new InterProcessSemaphoreV2(client, '/sem', { maxLeases: 2 });
  return leaseLoop(
    async () => (await semaphore.acquire({ timeoutMs: 10_000, signal: stopping.signal }))[0],
    async (lease, token) => {
      const hold = { worker: id, token: String(token), nodePath: `${namespace}${lease.nodePath}` };
      const { accepted: entered } = await store('/enter', hold);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
      const { accepted: exited } = await store('/exit', hold);
      emit(entered && exited ? 'wrote' : 'fenced', { token: String(token) });
    },
  );
}

async function leaderLoop(): Promise<void> {
  const latch = new LeaderLatch(client, '/election', { id });
  latch.on('error', (error) => emit('error', { error: String(error).slice(0, 120) }));
  await withDeadline('latch start', latch.start());
  while (!stopping.signal.aborted) {
    try {
      const nodePath = latch.nodePath;
      if (!latch.hasLeadership() || !nodePath) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const stat = await withDeadline('term token', client.exists(nodePath));
      if (!stat) continue;
      emit('acquired', { token: String(stat.czxid) });
      await cycle(stat.czxid);
      emit('released');
    } catch (error) {
      if (!stopping.signal.aborted) emit('error', { error: (error as Error).message.slice(0, 120) });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await withDeadline('latch close', latch.close());
}

async function partitionLoop(): Promise<void> {
  const partitioner = new WorkPartitioner(client, '/partition', { id, partitions: CHAOS_PARTITIONS });
  partitioner.on('error', (error) => emit('error', { error: String(error).slice(0, 120) }));
  partitioner.on('revoked', (partition, reason) => emit('revoked', { partition, reason }));
  const working = new Set<Promise<void>>();
  partitioner.on('assigned', (partition, lease) => {
    const work = partitionWork(partition, lease).catch((error: unknown) => {
      if (!stopping.signal.aborted) emit('error', { error: (error as Error).message.slice(0, 120) });
    });
    working.add(work);
    void work.finally(() => working.delete(work));
  });
  await withDeadline('partitioner start', partitioner.start());
  await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  await withDeadline('partitioner close', partitioner.close());
  await Promise.all(working);
}

/** Read/write cycles on one partition's record with its lease's token, while the lease lasts. */
async function partitionWork(partition: string, lease: Lease): Promise<void> {
  const token = await withDeadline('fencingToken', lease.fencingToken());
  emit('assigned', { partition, token: String(token) });
  while (!lease.signal.aborted && !stopping.signal.aborted) {
    const { value } = (await store(`/read?partition=${partition}&token=${token}`)) as { value: number };
    await new Promise((r) => setTimeout(r, Math.random() * 30));
    const query = `partition=${partition}&token=${token}&worker=${id}&value=${value + 1}&readValue=${value}`;
    const { accepted } = await store(`/write?${query}`);
    emit(accepted ? 'wrote' : 'fenced', { token: String(token), partition });
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
  }
}

if (recipe === 'leader') await leaderLoop();
else if (recipe === 'partition') await partitionLoop();
else if (recipe === 'semaphore') await semaphoreLoop();
else await mutexLoop();
await client.close();
emit('stopped');
