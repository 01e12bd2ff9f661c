/**
 * Redis Cluster on real servers (3 primaries, 1 replica each, from the testing kit): the kit's
 * topology and faults, RedisRateLimiter on node-redis's createCluster() and ioredis's Cluster
 * (keys spread over the shards, limits kept through a graceful failover and a killed primary),
 * RedisLock on createCluster() with its wake-ups over sharded pub/sub (the lock contract suite
 * runs on a cluster too), and an ioredis Cluster refused by the lock with what to do.
 */
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromIORedis, RedisLock, RedisMultiRateLimiter, RedisRateLimiter } from '../../redis/index.js';
import { InvalidArgumentError } from '../../src/index.js';
import { TestingRedisCluster } from '../../src/testing/index.js';
import { keySlot } from '../../src/testing/redis-cluster.js';

describe('Redis Cluster (3 primaries × 1 replica, real servers)', () => {
  let cluster: TestingRedisCluster;
  beforeAll(async () => {
    cluster = await TestingRedisCluster.start({ masters: 3, replicasPerMaster: 1 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const nodeRedisCluster = async () => {
    const client = createCluster({ rootNodes: cluster.urls.map((url) => ({ url })) });
    client.on('error', () => undefined); // a killed primary is reported here; commands still answer
    await client.connect();
    return client;
  };
  const ioredisCluster = () => {
    const io = new Cluster(cluster.rootNodes);
    io.on('error', () => undefined);
    return io;
  };

  it('the kit: six nodes, slots as CLUSTER KEYSLOT computes them, the primary of a key holds it', async () => {
    expect(cluster.nodes).toHaveLength(6);
    const probe = new Redis(cluster.nodes[0]!.port, cluster.nodes[0]!.host);
    const client = await nodeRedisCluster();
    try {
      for (const key of ['a', 'user:42', 'zk-recipes:rate:{+15550100}:fw:3:1000', '{}x', 'x{}y', '{a}{b}']) {
        expect(keySlot(key), key).toBe(await probe.cluster('KEYSLOT', key));
      }
      await client.set('kit-probe', 'here');
      const master = await cluster.masterOf('kit-probe');
      const direct = new Redis(master.port, master.host);
      try {
        expect(await direct.get('kit-probe')).toBe('here'); // no MOVED: it is that key's primary
      } finally {
        direct.disconnect();
      }
    } finally {
      probe.disconnect();
      await client.close();
    }
  });

  it('RedisRateLimiter on createCluster(): keys on every shard, each limited exactly', async () => {
    const client = await nodeRedisCluster();
    try {
      const limiter = new RedisRateLimiter(client, { algorithm: 'fixed-window', limit: 3, windowMs: 60_000, name: 'spread' });
      const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
      const shards = new Set(await Promise.all(keys.map(async (k) => (await cluster.masterOf(limiter.keyOf(k))).port)));
      expect(shards.size).toBe(3);
      for (const key of keys) {
        const results = [];
        for (let i = 0; i < 4; i++) results.push((await limiter.limit(key)).allowed);
        expect(results, key).toEqual([true, true, true, false]);
      }
      await limiter.reset('user-0'); // get and reset are routed by the key too
      expect(await limiter.get('user-0')).toMatchObject({ allowed: true, remaining: 3 });
      // several limits on one key: their keys share the key's slot, so one script decides them all
      const both = new RedisMultiRateLimiter(client, {
        limits: [
          { limit: 1, windowMs: 60_000 },
          { limit: 5, windowMs: 60_000 },
        ],
      });
      expect(new Set(both.keysOf('user-1').map(keySlot)).size).toBe(1);
      expect((await both.limit('user-1')).allowed).toBe(true);
      expect(await both.limit('user-1')).toMatchObject({ allowed: false, refusedBy: 0 });
    } finally {
      await client.close();
    }
  });

  it('sliding window and token bucket on an ioredis Cluster (through fromIORedis) decide as on one server', async () => {
    const io = ioredisCluster();
    try {
      const sliding = new RedisRateLimiter(fromIORedis(io as never), { limit: 2, windowMs: 60_000, name: 'io-sw' });
      const bucket = new RedisRateLimiter(fromIORedis(io as never), {
        algorithm: 'token-bucket',
        limit: 2,
        windowMs: 60_000,
        name: 'io-tb',
      });
      for (const limiter of [sliding, bucket]) {
        const decisions = [];
        for (let i = 0; i < 3; i++) decisions.push((await limiter.limit('phone-1')).allowed);
        expect(decisions).toEqual([true, true, false]);
      }
    } finally {
      io.disconnect();
    }
  });

  it('a graceful failover of the key’s shard keeps the count (the client follows MOVED)', async () => {
    const client = await nodeRedisCluster();
    try {
      const limiter = new RedisRateLimiter(client, { algorithm: 'fixed-window', limit: 5, windowMs: 60_000, name: 'failover' });
      for (let i = 0; i < 3; i++) expect((await limiter.limit('acct-7')).allowed).toBe(true);
      const before = await cluster.masterOf(limiter.keyOf('acct-7'));
      const promoted = await cluster.failover(limiter.keyOf('acct-7'));
      expect(promoted.port).not.toBe(before.port);
      expect((await cluster.masterOf(limiter.keyOf('acct-7'))).port).toBe(promoted.port);
      const after = await limiter.limit('acct-7');
      expect(after).toMatchObject({ allowed: true, remaining: 1, checked: true }); // 4th of 5: nothing was lost
    } finally {
      await client.close();
    }
  }, 60_000);

  it('a killed primary: its replica takes over and the limiter answers again (a count it had not received may be lost)', async () => {
    const client = await nodeRedisCluster();
    try {
      const limiter = new RedisRateLimiter(client, {
        algorithm: 'fixed-window',
        limit: 5,
        windowMs: 60_000,
        name: 'crash',
        operationTimeoutMs: 3000,
      });
      expect((await limiter.limit('acct-9')).allowed).toBe(true);
      const killed = await cluster.killMaster(limiter.keyOf('acct-9'));
      let answered: Awaited<ReturnType<typeof limiter.limit>> | undefined;
      const deadline = Date.now() + 20_000;
      while (!answered && Date.now() < deadline) {
        answered = await limiter.limit('acct-9').catch(() => undefined); // the client refreshes its slot map
      }
      expect(answered?.checked).toBe(true);
      expect(answered?.remaining).toBeLessThanOrEqual(4);
      await cluster.restart(killed); // back as a replica of the shard that replaced it
    } finally {
      await client.close();
    }
  }, 90_000);

  it('a slot moved key by key under load (ASK, TRYAGAIN): the lock keeps exclusion and the limiter its count', async () => {
    const [a, b] = [await nodeRedisCluster(), await nodeRedisCluster()];
    try {
      const locks = [a, b].map((c) => new RedisLock(c, 'moving', { ttlMs: 5000 }));
      const limiter = new RedisRateLimiter(a, { algorithm: 'fixed-window', limit: 100_000, windowMs: 600_000, name: 'moving' });
      expect(keySlot(limiter.keyOf('moving'))).toBe(keySlot(locks[0]!.keys.owner)); // one slot for both
      let stop = false;
      let inside = 0;
      let most = 0;
      let cycles = 0;
      let counted = 0;
      const errors: string[] = [];
      const lockLoop = async (lock: RedisLock) => {
        while (!stop) {
          await lock
            .using(
              async () => {
                most = Math.max(most, ++inside);
                await new Promise((r) => setTimeout(r, 2));
                inside--;
                cycles++;
              },
              { timeoutMs: 10_000 },
            )
            .catch((error: unknown) => errors.push(String(error)));
        }
      };
      const limitLoop = async () => {
        while (!stop) {
          const r = await limiter.limit('moving').catch((error: unknown) => errors.push(String(error)));
          if (typeof r === 'object' && r.allowed) counted++;
        }
      };
      const loops = [...locks.map(lockLoop), lockLoop(locks[0]!), limitLoop()];
      await new Promise((r) => setTimeout(r, 300));
      const before = await cluster.masterOf('{moving}');
      const after = await cluster.moveSlot('{moving}', { holdMs: 500 });
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await Promise.all(loops);
      expect(after.port).not.toBe(before.port);
      expect((await cluster.masterOf('{moving}')).port).toBe(after.port);
      expect(errors).toEqual([]);
      expect(most).toBe(1);
      expect(cycles).toBeGreaterThan(20);
      expect((await limiter.limit('moving')).remaining).toBe(100_000 - counted - 1); // no count lost in the move
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 90_000);

  it('the kit refuses bad settings before starting anything', async () => {
    await expect(TestingRedisCluster.start({ masters: 2 })).rejects.toThrow(/a cluster needs three/);
    await expect(TestingRedisCluster.start({ replicasPerMaster: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(TestingRedisCluster.start({ master: 3 } as never)).rejects.toThrow(/did you mean "masters"/);
    await expect(TestingRedisCluster.start({ replicationLagMs: -5 })).rejects.toThrow(/replicationLagMs must be an integer/);
    await expect(cluster.masterOf(16384)).rejects.toThrow(/0 to 16383/);
  });

  it("RedisLock on createCluster(): a release wakes the next waiter over sharded pub/sub, on the lock's own shard", async () => {
    const [a, b] = [await nodeRedisCluster(), await nodeRedisCluster()];
    const observer = await nodeRedisCluster();
    try {
      // recheckMs 10 s: a hand-off faster than that came through the wake-up, not the re-check
      const [lockA, lockB] = [a, b].map((c) => new RedisLock(c, 'orders', { recheckMs: 10_000 }));
      const heard: string[] = [];
      const holder = await lockA!.acquire({ timeoutMs: 5000 });
      const waiting = lockB!.acquire({ timeoutMs: 8000 });
      await new Promise((r) => setTimeout(r, 300)); // B is in line and subscribed
      // B listens on the lock's shard channel, on the node serving the lock's slot
      const shard = await cluster.masterOf(lockA!.keys.owner);
      const direct = new Redis(shard.port, shard.host);
      const channels = (await direct
        .call('PUBSUB', 'SHARDCHANNELS', 'zk-recipes:wake:{orders}:*')
        .finally(() => direct.disconnect())) as string[];
      expect(channels.length).toBeGreaterThanOrEqual(1); // one per client's hub of this lock (A's may still be open)
      expect(channels.every((c) => c.startsWith('zk-recipes:wake:{orders}:'))).toBe(true);
      for (const channel of channels) await observer.sSubscribe(channel, (message) => heard.push(message));
      const released = Date.now();
      await holder.release();
      const next = await waiting;
      expect(Date.now() - released).toBeLessThan(2000);
      expect(heard).toHaveLength(1); // the one SPUBLISH of the hand-off, on the lock's shard channel
      expect(await next.fencingToken()).toBeGreaterThan(await holder.fencingToken());
      await next.release();
    } finally {
      await Promise.all([a.close(), b.close(), observer.close()]);
    }
  });

  it('RedisLock on an ioredis Cluster with shardedSubscribers: hands over by wake-up; without the option it is refused with what to do', async () => {
    const sharded = [0, 1].map(() => {
      const io = new Cluster(cluster.rootNodes, { shardedSubscribers: true });
      io.on('error', () => undefined);
      return io;
    });
    const plain = ioredisCluster();
    try {
      const [lockA, lockB] = sharded.map((io) => new RedisLock(fromIORedis(io as never), 'io-orders', { recheckMs: 10_000 }));
      let inside = 0;
      let most = 0;
      const started = Date.now();
      await Promise.all(
        [lockA!, lockB!].flatMap((lock) =>
          Array.from({ length: 5 }, () =>
            lock.using(
              async () => {
                most = Math.max(most, ++inside);
                await new Promise((r) => setTimeout(r, 5));
                inside--;
              },
              { timeoutMs: 8000 },
            ),
          ),
        ),
      );
      expect(most).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000); // 10 hand-offs, none waiting out a 10-s re-check
      expect(() => new RedisLock(fromIORedis(plain as never), 'x')).toThrow(/shardedSubscribers: true/);
      expect(() => new RedisLock(fromIORedis(plain as never), 'x')).toThrow(InvalidArgumentError);
      const keys = Object.values(new RedisLock(createClient(), 'orders').keys);
      expect(new Set(keys.map(keySlot)).size).toBe(1); // one lock lives on one shard
    } finally {
      for (const io of [...sharded, plain]) io.disconnect();
    }
  });
});
