/**
 * One demo worker process. Usage: worker.ts <role> <connectString> <namespace> <id> [args]
 * Prints one JSON event per line on stdout for the demo's timeline.
 */
import { InterProcessMutex, InterProcessSemaphoreV2, LeaderLatch, WorkPartitioner, ZkClient } from 'zk-recipes';

const [role, connectString, namespace, id, ...rest] = process.argv.slice(2);
const emit = (event: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ t: Date.now(), id, event, ...extra })}\n`);

const client = new ZkClient({ connectString: connectString ?? '', namespace, sessionTimeoutMs: 2000 });
await client.start();
const stopping = new AbortController();
process.on('SIGTERM', () => stopping.abort());

async function leader(): Promise<void> {
  const latch = new LeaderLatch(client, '/election', { id });
  latch.on('isLeader', () => emit('leader'));
  latch.on('notLeader', () => emit('follower'));
  await latch.start();
  emit('joined');
  while (!stopping.signal.aborted) {
    if (latch.hasLeadership()) emit('work');
    await new Promise((r) => setTimeout(r, 400));
  }
  await latch.close();
}

async function counter(rounds: number): Promise<void> {
  const mutex = new InterProcessMutex(client, '/counter-lock');
  await client.create('/counter', Buffer.from('0')).catch(() => undefined);
  // Re-enters the mutex: called only from inside mutex.using(), so it costs no round trip.
  const incrementUnderLock = () =>
    mutex.using(async () => {
      const { data } = await client.getData('/counter');
      await client.setData('/counter', Buffer.from(String(Number(data.toString()) + 1)));
    });
  for (let i = 1; i <= rounds; i++) {
    await mutex.using(async () => {
      await incrementUnderLock();
    });
    if (i % 5 === 0) emit('progress', { done: i, of: rounds });
  }
}

async function jobs(count: number): Promise<void> {
  const seats = new InterProcessSemaphoreV2(client, '/encoder-seats', { maxLeases: 2 });
  for (let job = 1; job <= count; job++) {
    await seats.using(async () => {
      emit('job-start', { job });
      await new Promise((r) => setTimeout(r, 120 + Math.random() * 120));
      emit('job-end', { job });
    });
  }
}

async function partition(): Promise<void> {
  const partitioner = new WorkPartitioner(client, '/shards', { id: id ?? '?', partitions: 12 });
  partitioner.on('assigned', (shard) => emit('assigned', { partition: shard }));
  partitioner.on('revoked', (shard, reason) => emit('revoked', { partition: shard, reason }));
  partitioner.on('state', (state) => {
    if (state === 'acquired') emit('settled', { owned: [...partitioner.owned().keys()].sort((a, b) => Number(a) - Number(b)).join(',') });
  });
  await partitioner.start();
  await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
  await partitioner.close();
}

try {
  if (role === 'leader') await leader();
  else if (role === 'partition') await partition();
  else if (role === 'counter') await counter(Number(rest[0] ?? 25));
  else if (role === 'jobs') await jobs(Number(rest[0] ?? 4));
  emit('done');
} finally {
  await client.close();
}
