/**
 * Locks under faults, each on servers of its own: lease signals on SUSPENDED and LOST, waiters
 * across a server restart, and a create whose reply is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionState,
  InterProcessMutex,
  InterProcessReadWriteLock,
  OwnershipLostError,
  ZkClient,
  type ZkClientOptions,
} from '../../recipes/index.js';
import { expireSession, FaultProxy, TestingServer } from '../../src/testing/index.js';
import { eventually, expectReaped } from '../support/locks.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function setup(withProxy = false) {
  const server = await TestingServer.start({ tickTimeMs: 200, systemProperties: { 'znode.container.checkIntervalMs': '100' } });
  cleanups.push(() => server.stop());
  const proxy = withProxy ? await FaultProxy.start(server.connectString) : undefined;
  if (proxy) cleanups.push(() => proxy.close());
  const client = async (options: Partial<ZkClientOptions> = {}, viaProxy = false) => {
    const c = new ZkClient({
      connectString: viaProxy && proxy ? proxy.connectString : server.connectString,
      sessionTimeoutMs: 2000,
      namespace: '/faults',
      ...options,
    });
    cleanups.push(() => c.close());
    await c.start();
    return c;
  };
  return { server, proxy, client };
}

describe.skipIf(faultsSkipReason)('locks under faults (dedicated servers)', () => {
  it("standard policy: a holder's lease signal aborts on SUSPENDED (link paused)", async () => {
    const { proxy, client } = await setup(true);
    const holder = await client({}, true);
    const lease = await new InterProcessMutex(holder, '/lock').acquire();
    expect(lease.signal.aborted).toBe(false);
    proxy!.pause();
    await waitForState(holder, ConnectionState.SUSPENDED);
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toBeInstanceOf(OwnershipLostError);
    expect((lease.signal.reason as OwnershipLostError).state).toBe(ConnectionState.SUSPENDED);
    proxy!.resume();
    await waitForState(holder, ConnectionState.RECONNECTED);
    await lease.release();
  });

  it('session policy: SUSPENDED keeps the lease, LOST (real expiry) aborts it and frees the lock for a waiter', async () => {
    const { proxy, client } = await setup(true);
    const holder = await client({ errorPolicy: 'session' }, true);
    const waiterClient = await client();
    const lease = await new InterProcessMutex(holder, '/lock').acquire();
    proxy!.cut();
    await waitForState(holder, ConnectionState.RECONNECTED);
    expect(lease.signal.aborted).toBe(false); // a blip is not a loss under the session policy
    const waiter = new InterProcessMutex(waiterClient, '/lock').acquire();
    await expireSession(holder);
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as OwnershipLostError).state).toBe(ConnectionState.LOST);
    const next = await waiter;
    expect(next.nodePath).not.toBe(lease.nodePath);
    await next.release();
    await lease.release(); // the node died with the session; releasing is still clean
  });

  it('waiters survive a server restart and still get the lock in queue order', async () => {
    const { server, client } = await setup();
    const clients = await Promise.all([
      client({ sessionTimeoutMs: 4000 }),
      client({ sessionTimeoutMs: 4000 }),
      client({ sessionTimeoutMs: 4000 }),
    ]);
    const [a, b, c] = clients.map((cl) => new InterProcessMutex(cl, '/lock')) as [InterProcessMutex, InterProcessMutex, InterProcessMutex];
    const held = await a.acquire();
    const order: string[] = [];
    const bWait = b.using(() => void order.push('b'));
    await eventually(async () => (await a.getParticipantNodes()).length === 2, 10_000, 'b queued');
    const cWait = c.using(() => void order.push('c'));
    await eventually(async () => (await a.getParticipantNodes()).length === 3, 10_000, 'c queued');
    await server.kill();
    await Promise.all(clients.map((cl) => waitForState(cl, ConnectionState.SUSPENDED)));
    await server.restart();
    await Promise.all(clients.map((cl) => waitForState(cl, ConnectionState.RECONNECTED)));
    expect(order).toEqual([]);
    await held.release();
    await Promise.all([bWait, cWait]);
    expect(order).toEqual(['b', 'c']);
  });

  it('a lost reply to the create leaves no orphan and the client does not wait behind itself', async () => {
    const { proxy, client } = await setup(true);
    const contender = await client({ sessionTimeoutMs: 4000 }, true);
    const observer = await client();
    const mutex = new InterProcessMutex(contender, '/lock');
    // Make sure the parent exists so the next request of the contender is the lock node's create.
    await observer.mkdirp('/lock', { container: true });
    await contender.exists('/lock'); // namespace set up: the next request is the create
    proxy!.dropNextReply();
    const lease = await mutex.acquire({ timeoutMs: 10_000 });
    const participants = await new InterProcessMutex(observer, '/lock').getParticipantNodes();
    expect(participants).toEqual([lease.nodePath]);
    await lease.release();
    await expectReaped(observer, '/lock');
  });

  it('a waiting read lock survives SUSPENDED and gets the lock once the writer leaves', async () => {
    const { proxy, client } = await setup(true);
    const writerClient = await client();
    const readerClient = await client({ sessionTimeoutMs: 4000 }, true);
    const writer = await new InterProcessReadWriteLock(writerClient, '/rw').writeLock().acquire();
    const reader = new InterProcessReadWriteLock(readerClient, '/rw').readLock().acquire();
    await eventually(async () => (await new InterProcessReadWriteLock(writerClient, '/rw').readLock().getParticipantNodes()).length === 1);
    proxy!.cut();
    await waitForState(readerClient, ConnectionState.RECONNECTED);
    await writer.release();
    const lease = await reader;
    await lease.release();
  });
});
