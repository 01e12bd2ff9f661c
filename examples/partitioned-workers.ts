/**
 * Work partitioning among clustered workers: `npx tsx examples/partitioned-workers.ts`
 * (starts its own ZooKeeper unless ZK_CONNECT_STRING is set).
 *
 * Three workers split 12 shards with a WorkPartitioner: four each. Each owned shard comes with a
 * Lease: its signal stops the work, its fencing token guards the shard's store. Midway one worker's
 * process dies (its client closes): only its four shards move, and the store refuses a late write
 * carrying the dead owner's token.
 */
import { type Lease, WorkPartitioner, ZkClient } from 'zk-recipes';
import { withZooKeeper } from './with-zookeeper.js';

/** A store that keeps, per shard, the highest fencing token it has accepted. */
const highestToken = new Map<string, bigint>();
function write(shard: string, token: bigint): boolean {
  if (token < (highestToken.get(shard) ?? -1n)) return false;
  highestToken.set(shard, token);
  return true;
}

await withZooKeeper(async (connectString) => {
  const workers: { client: ZkClient; partitioner: WorkPartitioner }[] = [];
  for (const id of ['worker-1', 'worker-2', 'worker-3']) {
    const client = new ZkClient({ connectString, namespace: '/examples', sessionTimeoutMs: 4000 });
    await client.start();
    const partitioner = new WorkPartitioner(client, '/shards', { id, partitions: 12 });
    partitioner.on('assigned', (shard: string, lease: Lease) => {
      void lease.fencingToken().then((token) => write(shard, token)); // "work": one fenced write
    });
    await partitioner.start({ timeoutMs: 10_000 });
    workers.push({ client, partitioner });
  }
  const settled = () => Promise.all(workers.map((w) => w.partitioner.waitUntilAcquired({ timeoutMs: 15_000 })));
  await settled();
  const show = () =>
    workers.map((w) => `${w.partitioner.id}: [${[...w.partitioner.owned().keys()].sort((a, b) => Number(a) - Number(b))}]`);
  console.log(show().join('\n'));

  const [dead, ...alive] = workers as [(typeof workers)[0], ...typeof workers];
  const deadShards = [...dead.partitioner.owned().keys()];
  const deadTokens = await Promise.all([...dead.partitioner.owned().values()].map((lease) => lease.fencingToken()));
  console.log(`${dead.partitioner.id}: crashing`);
  await dead.client.close(); // the session ends: its member node and shard locks vanish at once
  workers.splice(0, 1);
  await settled();
  console.log(show().join('\n'));
  const moved = deadShards.every((shard) => alive.some((w) => w.partitioner.owned().has(shard)));
  console.log(`only the dead worker's shards moved, and each has an owner again: ${moved}`);
  await new Promise((r) => setTimeout(r, 100)); // the new owners' first writes
  console.log(`the dead owner's late write accepted: ${write(deadShards[0]!, deadTokens[0]!)}`);

  for (const w of workers) {
    await w.partitioner.close();
    await w.client.close();
  }
});
