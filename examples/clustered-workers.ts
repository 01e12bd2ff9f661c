/**
 * Leader election among clustered workers: `npx tsx examples/clustered-workers.ts`
 * (starts its own ZooKeeper unless ZK_CONNECT_STRING is set).
 *
 * Three workers join a LeaderLatch; the leader "runs the scheduler". Midway the leader's process
 * dies (its client closes), and leadership passes to the next worker in join order.
 */
import { LeaderLatch, ZkClient } from 'zk-recipes';
import { withZooKeeper } from './with-zookeeper.js';

await withZooKeeper(async (connectString) => {
  const workers: { id: string; client: ZkClient; latch: LeaderLatch }[] = [];
  for (const id of ['worker-1', 'worker-2', 'worker-3']) {
    // One after the other: leadership follows join order.
    const client = new ZkClient({ connectString, namespace: '/examples', sessionTimeoutMs: 4000 });
    await client.start();
    const latch = new LeaderLatch(client, '/scheduler-election', { id });
    latch.on('isLeader', () => console.log(`${id}: I am the leader now`));
    latch.on('notLeader', () => console.log(`${id}: no longer the leader`));
    await latch.start();
    workers.push({ id, client, latch });
  }
  const first = workers[0]!;
  await first.latch.awaitLeadership({ timeoutMs: 10_000 });
  console.log(`leader according to worker-3: ${(await workers[2]!.latch.getLeader())?.id}`);

  console.log(`${first.id}: crashing`);
  await first.client.close(); // the session ends: its latch node vanishes at once
  await workers[1]!.latch.awaitLeadership({ timeoutMs: 10_000 });
  console.log(`leader according to worker-3: ${(await workers[2]!.latch.getLeader())?.id}`);

  for (const w of workers.slice(1)) {
    await w.latch.close();
    await w.client.close();
  }
});
