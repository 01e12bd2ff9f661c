/**
 * Locks in one program: `npx tsx examples/reentrant-mutex.ts`
 * (starts its own ZooKeeper unless ZK_CONNECT_STRING is set).
 *
 * Four "workers" (separate sessions) increment a shared counter under an InterProcessMutex,
 * re-entering the lock in a helper, and pass the fencing token the way a guarded store needs it.
 */
import { InterProcessMutex, InterProcessReadWriteLock, ZkClient } from 'zk-recipes';
import { withZooKeeper } from './with-zookeeper.js';

await withZooKeeper(async (connectString) => {
  const clients = await Promise.all(
    [1, 2, 3, 4].map(async () => {
      const client = new ZkClient({ connectString, namespace: '/examples' });
      await client.start();
      return client;
    }),
  );

  // A shared record and a store that rejects stale fencing tokens.
  const store = { value: 0, highestToken: 0n };
  const write = (value: number, token: bigint) => {
    if (token < store.highestToken) throw new Error(`fenced off: token ${token} < ${store.highestToken}`);
    store.highestToken = token;
    store.value = value;
  };

  await Promise.all(
    clients.map(async (client, worker) => {
      const mutex = new InterProcessMutex(client, '/counter-lock');
      const incrementUnderLock = () =>
        // Re-enters: we already hold the mutex in this async call tree, so no round trip.
        mutex.using(async (lease) => write(store.value + 1, await lease.fencingToken()));
      for (let i = 0; i < 5; i++) {
        await mutex.using(async (lease) => {
          if (lease.signal.aborted) return; // ownership lost: stop
          await incrementUnderLock();
        });
      }
      console.log(`worker ${worker + 1} done`);
    }),
  );
  console.log(`counter = ${store.value} (expected 20)`);

  // await using: released at the end of the block, even on throw.
  const rw = new InterProcessReadWriteLock(clients[0]!, '/catalog');
  {
    await using readLease = await rw.readLock().acquire({ timeoutMs: 5000 });
    console.log(`reading under ${readLease.nodePath}`);
  }
  await Promise.all(clients.map((c) => c.close()));
  if (store.value !== 20) process.exit(1);
});
