/**
 * RedisLock's `replicas: n` on real servers: a Redis Cluster whose replicas lag 150 ms behind
 * (the kit's replicationLagMs), its lock's primary killed right after a grant. Without the option
 * the promoted replica never saw the grant — the lock is free again while its holder works on;
 * with it the grant was acknowledged before it was handed out, and survives. Also: WAIT reaches
 * the lock's own shard through both clients (it waits out the lag), a primary without replicas
 * refuses the grant with what to do and keeps nothing, and bad settings are refused up front.
 */
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromIORedis, RedisLock, RedisUnavailableError } from '../../redis/index.js';
import { InvalidArgumentError } from '../../src/index.js';
import { TestingRedisCluster } from '../../src/testing/index.js';
import { lockName, useRedis } from '../support/redis.js';

const LAG_MS = 150;

describe('RedisLock replicas: n on a Redis Cluster whose replicas lag 150 ms', () => {
  let cluster: TestingRedisCluster;
  beforeAll(async () => {
    cluster = await TestingRedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000, replicationLagMs: LAG_MS });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const connect = async () => {
    const client = createCluster({
      rootNodes: cluster.urls.map((url) => ({ url })),
      defaults: { socket: { reconnectStrategy: () => 100 } },
    });
    client.on('error', () => undefined); // a killed primary is reported here
    await client.connect();
    return client;
  };

  /** Reads a key through the cluster, retrying while the client finds the new primary. */
  const ownerAfterFailover = async (client: Awaited<ReturnType<typeof connect>>, key: string) => {
    for (let tries = 0; ; tries++) {
      try {
        return await client.get(key);
      } catch (error) {
        if (tries > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  it.each([
    [0, 'lost: the promoted replica never saw it'],
    [1, 'kept: a replica had acknowledged it before it was handed out'],
  ] as const)(
    'replicas: %i — a grant followed at once by a crash of its primary is %s',
    async (replicas, _outcome) => {
      const client = await connect();
      try {
        const lock = new RedisLock(client, lockName('replicas'), { ttlMs: 30_000, replicas });
        const startedAt = Date.now();
        const lease = await lock.acquire({ timeoutMs: 5_000 });
        const grantMs = Date.now() - startedAt;
        const killed = await cluster.killMaster(lock.keys.owner); // looked up first, then killed: well within the lag
        expect(await ownerAfterFailover(client, lock.keys.owner)).toEqual(replicas === 0 ? null : expect.any(String));
        if (replicas === 1) expect(grantMs).toBeGreaterThanOrEqual(LAG_MS - 10); // WAIT waited out the lag
        await cluster.restart(killed);
        await lease.release().catch(() => undefined); // replicas 0: not ours any more (OwnershipLostError)
      } finally {
        await client.close();
      }
    },
    90_000,
  );

  it("WAIT goes to the lock's own shard on an ioredis Cluster too (it waits out the lag, so it ran where the grant was written)", async () => {
    const io = new Cluster(cluster.rootNodes, { shardedSubscribers: true });
    io.on('error', () => undefined);
    try {
      const lock = new RedisLock(fromIORedis(io as never), lockName('replicas-io'), { ttlMs: 10_000, replicas: 1 });
      for (let i = 0; i < 3; i++) {
        const startedAt = Date.now();
        const lease = await lock.acquire({ timeoutMs: 5_000 });
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(LAG_MS - 10);
        await lease.release();
      }
    } finally {
      io.disconnect();
    }
  }, 60_000);
});

describe('RedisLock replicas: n on one primary without replicas', () => {
  const redis = useRedis();

  it('a grant no replica acknowledges is refused with what to do, and nothing is left behind', async () => {
    const client = await redis.client();
    const lock = new RedisLock(client, lockName('no-replica'), { ttlMs: 3_000, replicas: 1, replicaWaitMs: 50 });
    const error = await lock.acquire({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(/only 0 of the 1 replicas .*INFO replication/);
    expect(await client.exists(lock.keys.owner)).toBe(0);
    // a waiting acquire keeps trying until its own deadline, then leaves its place
    await expect(lock.acquire({ timeoutMs: 300 })).rejects.toThrow(/Timed out/);
    expect(await client.exists([lock.keys.owner, lock.keys.queue])).toBe(0);
  });

  it('bad settings are refused before anything is sent', async () => {
    const client = await redis.client();
    for (const replicas of [-1, 1.5, '1', 65]) {
      expect(() => new RedisLock(client, 'x', { replicas: replicas as number })).toThrow(InvalidArgumentError);
    }
    expect(() => new RedisLock(client, 'x', { ttlMs: 3_000, replicas: 1, replicaWaitMs: 1_000 })).toThrow(/replicaWaitMs.*ttlMs\/3/);
    expect(() => new RedisLock(client, 'x', { replicaWaitMs: 0 })).toThrow(InvalidArgumentError);
  });
});
