import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionState, CreateMode, ZkClient } from '../../src/index.js';
import { createClient } from 'redis';
import pg from 'pg';
import {
  closeSessionFromOutside,
  FaultProxy,
  fourLetterWord,
  TestingPostgres,
  TestingRedis,
  TestingServer,
} from '../../src/testing/index.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason, sharedConnectString } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

function tsx(file: string, args: string[] = []) {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe.skipIf(faultsSkipReason)('testing kit', () => {
  it('TestingServer answers ruok, and stop() removes the process', async () => {
    const server = await TestingServer.start();
    const pid = server.pid!;
    expect(await fourLetterWord(server.host, server.port, 'ruok')).toBe('imok');
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    await server.stop(); // idempotent
  });

  it('no Java process outlives its parent, even one killed with SIGKILL', async () => {
    const child = tsx('test/fixtures/start-server-and-hang.ts');
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { pid } = JSON.parse(line.toString()) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await until(() => !isAlive(pid), 10_000)).toBe(true);
  });

  it('a client exits by itself after close(): no leaked timer, socket or listener', async () => {
    const child = tsx('test/fixtures/client-lifecycle.ts', [sharedConnectString()]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect(signal).toBeNull(); // it was not killed by the guard timer: it exited on its own
    expect(code).toBe(0);
    expect(out).toContain('closed');
    const admin = new ZkClient({ connectString: sharedConnectString() });
    await admin.start();
    await admin.delete('/lifecycle/n').catch(() => undefined);
    await admin.delete('/lifecycle').catch(() => undefined);
    await admin.close();
  });

  it('closeSessionFromOutside has ended the session when it resolves, though the owner reconnects at once', async () => {
    // The owner reconnects within milliseconds of being bounced by the attach; a close that lost
    // that race used to resolve anyway. Ten rounds give the race room to happen.
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const observer = new ZkClient({ connectString: server.connectString });
    cleanups.push(() => observer.close());
    await observer.start();
    for (let round = 0; round < 10; round++) {
      const owner = new ZkClient({ connectString: server.connectString, sessionTimeoutMs: 4000 });
      await owner.start();
      await owner.create(`/mine-${round}`, null, { mode: CreateMode.EPHEMERAL });
      await closeSessionFromOutside(server.connectString, owner.sessionCredentials()!, owner.sessionTimeoutMs, 10_000);
      expect(await observer.exists(`/mine-${round}`)).toBeNull();
      await owner.close();
    }
  });

  it('FaultProxy.cut() drops the connection: SUSPENDED, then RECONNECTED with the same session', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 4000 });
    cleanups.push(() => client.close());
    await client.start();
    const session = client.sessionId;
    const suspended = waitForState(client, ConnectionState.SUSPENDED);
    const reconnected = waitForState(client, ConnectionState.RECONNECTED);
    proxy.cut();
    await suspended;
    await reconnected;
    expect(client.sessionId).toBe(session);
  });

  it('TestingRedis: answers, restarts on its port losing keys without persistence and keeping them with an AOF, freezes, stops', async () => {
    for (const persistence of ['none', 'aof'] as const) {
      const redis = await TestingRedis.start({ persistence });
      cleanups.push(() => redis.stop());
      const c = createClient({ url: redis.url });
      c.on('error', () => undefined);
      cleanups.push(async () => c.destroy());
      await c.connect();
      await c.set('k', 'v');
      const port = redis.port;
      await redis.restart();
      expect(redis.port).toBe(port);
      await new Promise((r) => setTimeout(r, 200)); // node-redis reconnects by itself
      expect(await c.get('k')).toBe(persistence === 'aof' ? 'v' : null);
      redis.freeze();
      const frozen = await Promise.race([c.ping(), new Promise((r) => setTimeout(() => r('no answer'), 300))]);
      expect(frozen).toBe('no answer');
      redis.thaw();
      expect(await c.ping()).toBe('PONG');
      const pid = redis.pid as number;
      c.destroy();
      await redis.stop();
      expect(isAlive(pid)).toBe(false);
    }
  });

  it('no redis-server outlives its parent, even one killed with SIGKILL', async () => {
    const child = tsx('test/fixtures/start-server-and-hang.ts', ['redis']);
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { pid } = JSON.parse(line.toString()) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await until(() => !isAlive(pid), 10_000)).toBe(true);
  });

  it('a RedisLock user exits by itself after a contended wait and close(): no leaked timer, socket or subscriber', async () => {
    const redis = await TestingRedis.start();
    cleanups.push(() => redis.stop());
    const child = tsx('test/fixtures/redis-lifecycle.ts', [redis.url]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const started = Date.now();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(out).toContain('closed');
    expect(Date.now() - started).toBeLessThan(4500); // well before the 5 s idle close of the subscriber
  });

  it('TestingPostgres: accepts connections, keeps committed rows across a crash restart on its port, freezes, stops every process', async () => {
    const server = await TestingPostgres.start();
    cleanups.push(() => server.stop());
    const query = async (text: string) => {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        return (await c.query(text)).rows;
      } finally {
        await c.end();
      }
    };
    await query('CREATE TABLE t (v int); INSERT INTO t VALUES (7)');
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    expect(await query('SELECT v FROM t')).toEqual([{ v: 7 }]);
    const c = new pg.Client({ connectionString: server.url });
    c.on('error', () => undefined);
    await c.connect();
    server.freeze();
    const frozen = await Promise.race([c.query('SELECT 1'), new Promise((r) => setTimeout(() => r('no answer'), 300))]);
    expect(frozen).toBe('no answer');
    server.thaw();
    await c.end();
    const pid = server.pid as number;
    await server.stop();
    expect(isAlive(pid)).toBe(false);
  });

  it('no postgres outlives its parent, even one killed with SIGKILL', async () => {
    const child = tsx('test/fixtures/start-server-and-hang.ts', ['postgres']);
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { pid } = JSON.parse(line.toString()) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await until(() => !isAlive(pid), 10_000)).toBe(true);
  });
});
