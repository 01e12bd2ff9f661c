import { afterEach, describe, expect, it } from 'vitest';
import { CreateMode, ConnectionState, ZkClient } from '../../src/index.js';
import { expireSession, FaultProxy, fourLetterWord, TestingCluster, TestingServer } from '../../src/testing/index.js';
import { recordStates, waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function server(): Promise<TestingServer> {
  const s = await TestingServer.start({ tickTimeMs: 200 });
  cleanups.push(() => s.stop());
  return s;
}

async function client(connectString: string, sessionTimeoutMs = 2000, extra: Partial<ConstructorParameters<typeof ZkClient>[0]> = {}) {
  const c = new ZkClient({ connectString, sessionTimeoutMs, connectionTimeoutMs: 10_000, operationTimeoutMs: 3000, ...extra });
  cleanups.push(() => c.close());
  await c.start();
  return c;
}

describe.skipIf(faultsSkipReason)('connection states (dedicated real servers)', () => {
  it('reports CONNECTED first, then CLOSED on close()', async () => {
    const s = await server();
    const c = new ZkClient({ connectString: s.connectString, sessionTimeoutMs: 2000 });
    const seen = recordStates(c);
    expect(c.state).toBe('LATENT');
    await c.start();
    expect(c.state).toBe(ConnectionState.CONNECTED);
    await c.close();
    expect(seen.states).toEqual([ConnectionState.CONNECTED, ConnectionState.CLOSED]);
    expect(c.state).toBe(ConnectionState.CLOSED);
  });

  it('server killed → SUSPENDED; restarted within the session timeout → RECONNECTED, same session', async () => {
    const s = await server();
    const c = await client(s.connectString, 4000);
    const sessionBefore = c.sessionId;
    const suspended = waitForState(c, ConnectionState.SUSPENDED);
    await s.kill();
    await suspended;
    const reconnected = waitForState(c, ConnectionState.RECONNECTED);
    await s.restart();
    await reconnected;
    expect(c.sessionId).toBe(sessionBefore);
    await c.create('/after-restart', null, { mode: CreateMode.EPHEMERAL });
  });

  it('proxy paused longer than the session timeout → LOST before the network heals, then a new session', async () => {
    const s = await server();
    const proxy = await FaultProxy.start(s.connectString);
    cleanups.push(() => proxy.close());
    const c = await client(proxy.connectString, 2000);
    const seen = recordStates(c);
    const sessionBefore = c.sessionId;
    const lost = waitForState(c, ConnectionState.LOST, 15_000);
    proxy.pause();
    await lost;
    expect(proxy.paused).toBe(true); // declared by the client, not heard from the server
    expect(seen.states.slice(0, 2)).toEqual([ConnectionState.SUSPENDED, ConnectionState.LOST]);
    // LOST comes no earlier than one session timeout after SUSPENDED.
    expect(seen.at.get(ConnectionState.LOST)! - seen.at.get(ConnectionState.SUSPENDED)!).toBeGreaterThanOrEqual(1900);
    const reconnected = waitForState(c, ConnectionState.RECONNECTED, 15_000);
    proxy.resume();
    await reconnected;
    expect(c.sessionId).not.toBe(sessionBefore);
    expect(await c.exists('/')).not.toBeNull();
  });

  it('a frozen server (SIGSTOP) → SUSPENDED by the read timeout; operations do not hang past their deadline', async () => {
    const s = await server();
    const c = await client(s.connectString, 3000, {
      operationTimeoutMs: 1000,
      connectionTimeoutMs: 1000,
      retry: { maxRetries: 1, baseSleepMs: 10, maxSleepMs: 10 },
    });
    const seen = recordStates(c);
    const suspended = waitForState(c, ConnectionState.SUSPENDED, 10_000);
    s.freeze();
    const frozenAt = Date.now();
    const failure = await c.getData('/').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeDefined();
    expect((failure as { code: string }).code).toMatch(/OPERATION_TIMEOUT|CONNECTION_LOSS/);
    await suspended;
    // read timeout = 2/3 of the session timeout; SUSPENDED must not wait for LOST.
    expect(seen.at.get(ConnectionState.SUSPENDED)! - frozenAt).toBeLessThan(3000);
    s.thaw();
    await new Promise<void>((resolve) => {
      const check = () => (c.state === ConnectionState.RECONNECTED ? resolve() : setTimeout(check, 50));
      check();
    });
    expect(seen.states).toContain(ConnectionState.SUSPENDED);
    expect(await c.exists('/')).not.toBeNull();
  });

  it('expireSession → LOST, then RECONNECTED with a new session id; ephemerals are gone', async () => {
    const s = await server();
    const c = await client(s.connectString, 2000);
    const observer = await client(s.connectString, 2000);
    await c.create('/mine', null, { mode: CreateMode.EPHEMERAL });
    const before = c.sessionId;
    const seen = recordStates(c);
    await expireSession(c); // resolves once the client reported LOST
    expect(seen.states).toContain(ConnectionState.LOST);
    await waitForState(c, ConnectionState.RECONNECTED);
    // The attach by another connection may bounce the old one first; what matters is LOST → RECONNECTED last.
    expect(seen.states.slice(-2)).toEqual([ConnectionState.LOST, ConnectionState.RECONNECTED]);
    expect(c.sessionId).not.toBe(before);
    expect(await observer.exists('/mine')).toBeNull();
    await c.create('/mine', null, { mode: CreateMode.EPHEMERAL });
  });

  it('an operation in flight while the server is down waits for the reconnect and succeeds', async () => {
    const s = await server();
    const c = await client(s.connectString, 4000, { connectionTimeoutMs: 15_000 });
    await s.kill();
    await waitForState(c, ConnectionState.SUSPENDED);
    const pending = c.create('/during-outage', Buffer.from('ok'));
    await s.restart();
    expect(await pending).toBe('/during-outage');
  });

  it('in a 3-server ensemble, killing the connected server moves the client to another, same session', async () => {
    const cluster = await TestingCluster.start({ size: 3 });
    cleanups.push(() => cluster.stop());
    const c = await client(cluster.connectString, 4000, { connectionTimeoutMs: 20_000 });
    await c.create('/eph', null, { mode: CreateMode.EPHEMERAL });
    const session = c.sessionId!;
    const owner = async () => {
      for (let i = 0; i < cluster.size; i++) {
        const cons = await fourLetterWord('127.0.0.1', cluster.portOf(i), 'cons');
        if (cons.includes(`sid=${session}`)) return i; // the id as the server writes it
      }
      return -1;
    };
    const first = await owner();
    expect(first).toBeGreaterThanOrEqual(0);
    const reconnected = waitForState(c, ConnectionState.RECONNECTED, 30_000);
    await cluster.kill(first);
    await reconnected;
    expect(c.sessionId).toBe(session);
    const second = await owner();
    expect(second).not.toBe(first);
    expect(second).toBeGreaterThanOrEqual(0);
    expect(await c.exists('/eph')).not.toBeNull();
  });
});
