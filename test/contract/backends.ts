/**
 * The lock backends the contract suite runs against, each on a real server: ZooKeeper (the shared
 * test server; InterProcessMutex), Redis (a TestingRedis; RedisLock) and PostgreSQL (a
 * TestingPostgres; PostgresLock). Each says how to make a participant (a client or pool of its
 * own, as another process would have), what it leaves on the server, and how to take a held lock
 * away from under its holder.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createClient, createCluster } from 'redis';
import { PostgresLock } from '../../postgres/index.js';
import { InterProcessMutex, type Lease, NoNodeError, ZkClient } from '../../recipes/index.js';
import { RedisLock } from '../../redis/index.js';
import { expireSession, TestingPostgres, TestingRedis, TestingRedisCluster } from '../../src/testing/index.js';

/** What the contract needs of a lock. */
export interface ContractLock {
  acquire(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Lease>;
  tryAcquire(): Promise<Lease | null>;
  using<T>(fn: (lease: Lease) => Promise<T> | T, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  release(): Promise<void>;
  isOwnedByCurrentScope(): boolean;
  isAcquiredInThisProcess(): boolean;
}

/** One backend, started for a test file. */
export interface Backend {
  readonly name: 'zookeeper' | 'redis' | 'redis-cluster' | 'postgres';
  /** What a worker process needs to reach the server. */
  readonly connection: string;
  /** A lock `name` of a new participant (its own client or pool). */
  participant(name: string): Promise<ContractLock>;
  /** Server-side waiting entries of lock `name` (queue nodes, list entries, rows) besides a held lock. */
  waitingEntries(name: string): Promise<number>;
  /** Takes the held lock away from under `lease`'s holder (a session expiry, an overwritten key or row). */
  takeAway(name: string, lease: Lease): Promise<void>;
  /** Closes every participant (after each test). */
  closeParticipants(): Promise<void>;
  stop(): Promise<void>;
}

async function zookeeper(connectString: string): Promise<Backend> {
  const namespace = `/contract-${randomUUID().slice(0, 8)}`;
  const clients = new Map<string, ZkClient[]>();
  const admin = new ZkClient({ connectString, namespace });
  await admin.start();
  return {
    name: 'zookeeper',
    connection: `${connectString}|${namespace}`,
    participant: async (name) => {
      const client = new ZkClient({ connectString, namespace, sessionTimeoutMs: 4000 });
      await client.start();
      clients.set(name, [...(clients.get(name) ?? []), client]);
      return new InterProcessMutex(client, `/${name}`);
    },
    waitingEntries: async (name) => {
      // the server reaps an emptied container at any moment, between any two calls
      const listed = await admin.getChildren(`/${name}`).catch((error: unknown) => {
        if (error instanceof NoNodeError) return { children: [] };
        throw error;
      });
      return listed.children.length;
    },
    takeAway: async (name, lease) => {
      // the holder's session, found by its node's owner
      const stat = await admin.exists(lease.nodePath);
      const owner = (clients.get(name) ?? []).find((c) => stat !== null && c.sessionId === stat.ephemeralOwner);
      if (!owner) throw new Error('holder not found');
      await expireSession(owner);
    },
    closeParticipants: async () => {
      for (const list of clients.values()) for (const c of list) await c.close();
      clients.clear();
    },
    stop: () => admin.close(),
  };
}

async function redis(): Promise<Backend> {
  const server = await TestingRedis.start();
  const admin = createClient({ url: server.url });
  await admin.connect();
  const clients: { destroy(): void }[] = [];
  return {
    name: 'redis',
    connection: server.url,
    participant: async (name) => {
      const client = createClient({ url: server.url });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return new RedisLock(client, name, { ttlMs: 2000 });
    },
    waitingEntries: async (name) =>
      (await admin.lLen(`zk-recipes:lock:{${name}}:queue`)) + (await admin.zCard(`zk-recipes:lock:{${name}}:waiters`)),
    takeAway: async (name) => {
      await admin.set(`zk-recipes:lock:{${name}}:owner`, 'someone-else', { PX: 10_000 });
    },
    closeParticipants: async () => {
      for (const c of clients.splice(0)) c.destroy();
    },
    stop: async () => {
      admin.destroy();
      await server.stop();
    },
  };
}

/** RedisLock on node-redis's createCluster() over a 3-primary TestingRedisCluster (sharded wake-ups). */
async function redisCluster(): Promise<Backend> {
  const server = await TestingRedisCluster.start({ masters: 3 });
  const connect = async () => {
    const cluster = createCluster({ rootNodes: server.urls.map((url) => ({ url })) });
    cluster.on('error', () => undefined);
    await cluster.connect();
    return cluster;
  };
  const admin = await connect();
  const clients: { close(): Promise<unknown> }[] = [];
  return {
    name: 'redis-cluster',
    connection: server.urls.join(','),
    participant: async (name) => {
      const cluster = await connect();
      clients.push(cluster);
      return new RedisLock(cluster, name, { ttlMs: 2000 });
    },
    waitingEntries: async (name) =>
      (await admin.lLen(`zk-recipes:lock:{${name}}:queue`)) + (await admin.zCard(`zk-recipes:lock:{${name}}:waiters`)),
    takeAway: async (name) => {
      await admin.set(`zk-recipes:lock:{${name}}:owner`, 'someone-else', { PX: 10_000 });
    },
    closeParticipants: async () => {
      for (const c of clients.splice(0)) await c.close();
    },
    stop: async () => {
      await admin.close();
      await server.stop();
    },
  };
}

async function postgres(): Promise<Backend> {
  const server = await TestingPostgres.start();
  const admin = new pg.Pool({ connectionString: server.url, max: 2 });
  const pools: pg.Pool[] = [];
  return {
    name: 'postgres',
    connection: server.url,
    participant: async (name) => {
      const pool = new pg.Pool({ connectionString: server.url, max: 3 });
      pool.on('error', () => undefined);
      pools.push(pool);
      return new PostgresLock(pool, name, { ttlMs: 2000 });
    },
    waitingEntries: async (name) => {
      const { rows } = await admin
        .query('SELECT count(*) AS n FROM zk_recipes_locks_queue WHERE name = $1', [name])
        .catch(() => ({ rows: [{ n: 0 }] }));
      return Number(rows[0]?.n);
    },
    takeAway: async (name) => {
      await admin.query("UPDATE zk_recipes_locks SET holder = 'someone-else' WHERE name = $1", [name]);
    },
    closeParticipants: async () => {
      for (const p of pools.splice(0)) {
        PostgresLock.closeListener(p);
        await p.end();
      }
    },
    stop: async () => {
      await admin.end();
      await server.stop();
    },
  };
}

/** Starts the backend called `name`. */
export function startBackend(name: Backend['name'], zkConnectString: string): Promise<Backend> {
  if (name === 'zookeeper') return zookeeper(zkConnectString);
  if (name === 'redis') return redis();
  return name === 'redis-cluster' ? redisCluster() : postgres();
}
