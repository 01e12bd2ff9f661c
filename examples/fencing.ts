/**
 * What a fencing token protects you from: `npx tsx examples/fencing.ts`
 * (starts its own ZooKeeper unless ZK_CONNECT_STRING is set).
 *
 * Worker A takes the lock, reads its fencing token, then stalls (a long GC pause, a frozen VM)
 * past its session timeout: the server expires its session and worker B gets the lock. When A
 * wakes and writes, the guarded store sees A's older token and refuses the write. No timeout can
 * do this; only a token that grows with every grant can.
 */
import { InterProcessMutex, ZkClient } from 'zk-recipes';
import { expireSession } from 'zk-recipes/testing';
import { withZooKeeper } from './with-zookeeper.js';

/** A resource that accepts a write only with the highest token it has seen. */
class GuardedStore {
  value = '';
  #highest = 0n;
  write(value: string, token: bigint): boolean {
    if (token < this.#highest) return false;
    this.#highest = token;
    this.value = value;
    return true;
  }
}

await withZooKeeper(async (connectString) => {
  const make = async () => {
    const c = new ZkClient({ connectString, namespace: '/examples', sessionTimeoutMs: 2000 });
    await c.start();
    return c;
  };
  const [a, b] = [await make(), await make()];
  const store = new GuardedStore();

  const leaseA = await new InterProcessMutex(a, '/report-lock').acquire();
  const tokenA = await leaseA.fencingToken();
  console.log(`A holds the lock with token ${tokenA}`);

  // A stalls; meanwhile the server expires its session (here forced, as a long pause would).
  await expireSession(a);
  console.log(`A's lease signal aborted: ${leaseA.signal.aborted} (${(leaseA.signal.reason as Error).message})`);

  await new InterProcessMutex(b, '/report-lock').using(async (leaseB) => {
    const tokenB = await leaseB.fencingToken();
    console.log(`B holds the lock with token ${tokenB}; write accepted: ${store.write('from B', tokenB)}`);
  });

  // A wakes up, unaware, and writes with its old token: fenced off.
  const accepted = store.write('from A (stale)', tokenA);
  console.log(`A's late write accepted: ${accepted}; store holds "${store.value}"`);
  await leaseA.release();
  await Promise.all([a.close(), b.close()]);
  if (accepted) process.exit(1);
});
