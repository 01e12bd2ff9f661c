/**
 * Redis for tests: a real server per test file (the testing kit's TestingRedis), clients that are
 * closed after each test, and the server emptied between tests.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { TestingRedis, type TestingRedisOptions } from '../../src/testing/index.js';

/** A connected node-redis client. */
export type Redis = RedisClientType;

/** Starts one server for the file; returns getters for it and a client factory (clients closed after each test). */
export function useRedis(options: TestingRedisOptions = {}) {
  let server: TestingRedis | undefined;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await TestingRedis.start(options);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) if (c.isOpen) c.destroy();
    if (server) {
      const admin = createClient({ url: server.url });
      admin.on('error', () => undefined);
      await admin.connect();
      await admin.flushAll();
      admin.destroy();
    }
  });
  afterAll(async () => {
    await server?.stop();
  });
  const get = () => {
    if (!server) throw new Error('useRedis(): only inside a test');
    return server;
  };
  /** A connected client of the file's server (closed after the test). */
  const client = async (): Promise<Redis> => {
    const c = createClient({ url: get().url }) as Redis;
    c.on('error', () => undefined); // reconnects are part of the fault tests
    clients.push(c);
    await c.connect();
    return c;
  };
  return { server: get, client };
}

/** A lock name of its own for a test. */
export const lockName = (what = 'lock') => `${what}-${randomUUID().slice(0, 8)}`;

/** Calls of each command so far (`INFO commandstats`), e.g. `{ evalsha: 12 }`. */
export async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const text = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1] as string] = Number(m[2]);
  return calls;
}

/** Keys of lock `name` that exist (default prefix). */
export async function lockKeysPresent(redis: Redis, name: string): Promise<string[]> {
  return (await redis.keys(`zk-recipes:lock:{${name}}:*`)).map((k) => k.slice(k.lastIndexOf(':') + 1)).sort();
}
