/**
 * The Redis lock: `npx tsx examples/redis-lock.ts` (starts its own redis-server unless REDIS_URL
 * is set).
 *
 * Three workers, each with its own Redis connection, add to a counter under one RedisLock; the
 * lock is fair (FIFO) and each grant carries a fencing token. Then worker A's link to Redis goes
 * silent while it holds the lock: its lease's signal aborts before the TTL can run out, Redis
 * lets the key expire, B gets the lock with a higher token — and when A, which ignored its
 * signal, writes late, the guarded store refuses it.
 */
import { createClient } from 'redis';
import { RedisLock } from 'zk-recipes/redis';
import { FaultProxy, TestingRedis } from 'zk-recipes/testing';

/** A resource that accepts a write only with the highest token it has seen. */
class GuardedStore {
  value = 0;
  #highest = 0n;
  write(value: number, token: bigint): boolean {
    if (token < this.#highest) return false;
    this.#highest = token;
    this.value = value;
    return true;
  }
}

const server = process.env.REDIS_URL ? undefined : await TestingRedis.start();
const url = process.env.REDIS_URL ?? (server as TestingRedis).url;
const connect = async (to = url) => {
  const client = createClient({ url: to });
  client.on('error', () => undefined); // node-redis reconnects by itself
  await client.connect();
  return client;
};
const name = `example-${process.pid}`;
const store = new GuardedStore();

// 1. Mutual exclusion and fencing across three connections.
const workers = await Promise.all([1, 2, 3].map(() => connect()));
await Promise.all(
  workers.map(async (redis) => {
    const lock = new RedisLock(redis, name, { ttlMs: 5000 });
    for (let i = 0; i < 10; i++) {
      await using lease = await lock.acquire({ timeoutMs: 10_000 });
      const seen = store.value;
      await new Promise((resolve) => setTimeout(resolve, 1)); // work under the lock
      store.write(seen + 1, await lease.fencingToken());
    }
  }),
);
console.log(`counter = ${store.value} (expected 30)`);

// 2. A holder whose link goes silent. Its signal tells it; the token stops it if it ignores that.
const host = new URL(url);
const proxy = await FaultProxy.start(`${host.hostname}:${host.port}`);
const a = await connect(`redis://${proxy.connectString}`);
const lockA = new RedisLock(a, name, { ttlMs: 600, operationTimeoutMs: 200 });
const leaseA = await lockA.acquire();
const tokenA = await leaseA.fencingToken();
proxy.pause();
await new Promise((resolve) => leaseA.signal.addEventListener('abort', resolve, { once: true }));
console.log(`A's signal aborted: ${(leaseA.signal.reason as Error).name}`);
const lockB = new RedisLock(workers[0] as Awaited<ReturnType<typeof connect>>, name);
const leaseB = await lockB.acquire({ timeoutMs: 5000 }); // granted once Redis expired A's key
const tokenB = await leaseB.fencingToken();
console.log(`B's token ${tokenB} > A's token ${tokenA}: ${tokenB > tokenA}`);
console.log(`B's write accepted: ${store.write(store.value + 1, tokenB)}`);
console.log(`A's late write accepted: ${store.write(store.value + 100, tokenA)}`);
await leaseB.release();
proxy.resume();
await leaseA.release().catch((error: Error) => console.log(`A's release: ${error.name} (it no longer held the lock)`));

a.destroy();
await proxy.close();
for (const w of workers) w.destroy();
await server?.stop();
