/**
 * Semaphore-limited jobs: `npx tsx examples/semaphore-jobs.ts`
 * (starts its own ZooKeeper unless ZK_CONNECT_STRING is set).
 *
 * Six workers (separate sessions) run 3 jobs each, but at most 2 jobs run at any moment
 * across all of them: an expensive encoder licensed for two seats.
 */
import { InterProcessSemaphoreV2, ZkClient } from 'zk-recipes';
import { withZooKeeper } from './with-zookeeper.js';

await withZooKeeper(async (connectString) => {
  let running = 0;
  let peak = 0;
  const workers = await Promise.all(
    Array.from({ length: 6 }, async (_, w) => {
      const client = new ZkClient({ connectString, namespace: '/examples' });
      await client.start();
      const seats = new InterProcessSemaphoreV2(client, '/encoder-seats', { maxLeases: 2 });
      for (let job = 0; job < 3; job++) {
        await seats.using(
          async ([lease]) => {
            running++;
            peak = Math.max(peak, running);
            console.log(`worker ${w + 1} job ${job + 1} running (${running}/2 seats) on ${lease?.nodePath.split('/').pop()}`);
            await new Promise((r) => setTimeout(r, 50));
            running--;
          },
          { timeoutMs: 30_000 },
        );
      }
      return client;
    }),
  );
  await Promise.all(workers.map((c) => c.close()));
  console.log(`peak concurrency = ${peak} (limit 2)`);
  if (peak > 2) process.exit(1);
});
