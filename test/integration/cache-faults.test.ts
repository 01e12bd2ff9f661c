/**
 * CuratorCache when the connection or the session goes at the worst moments (dedicated server,
 * the cache's client through a fault proxy): a first load cut half-way or straddling a new
 * session still ends equal to the server, and changes made while the link was down show up as
 * exactly those differences after the rebuild — no spurious deletes and re-creates.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionState, CuratorCache, ZkClient } from '../../recipes/index.js';
import { expireSession, FaultProxy, TestingCluster, TestingServer } from '../../src/testing/index.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function rig(nodes: number) {
  const server = await TestingServer.start();
  cleanups.push(() => server.stop());
  const proxy = await FaultProxy.start(server.connectString);
  cleanups.push(() => proxy.close());
  const writer = new ZkClient({ connectString: server.connectString });
  cleanups.push(() => writer.close());
  await writer.start();
  await writer.mkdirp('/t');
  for (let i = 0; i < nodes; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, nodes - i) }, (_, k) => writer.create(`/t/n${i + k}`, Buffer.from(String(i + k)))),
    );
  }
  const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 2000, connectionTimeoutMs: 20_000 });
  cleanups.push(() => client.close());
  await client.start();
  return { server, proxy, writer, client };
}

async function expectEqualToServer(cache: CuratorCache<string>, writer: ZkClient): Promise<void> {
  const { children } = await writer.getChildren('/t');
  expect(cache.children('/t')).toEqual(children.sort());
  for (const name of children.slice(0, 50)) {
    const { data, stat } = await writer.getData(`/t/${name}`);
    expect(String(cache.get(`/t/${name}`)?.data)).toBe(data.toString());
    expect(cache.get(`/t/${name}`)?.stat.mzxid).toBe(stat.mzxid);
  }
}

describe.skipIf(faultsSkipReason)('CuratorCache under faults (dedicated server)', () => {
  for (const watches of ['persistent', 'one-shot'] as const) {
    it(`${watches}: a first load cut half-way, then one straddling a new session, both end equal to the server`, async () => {
      const { server, proxy, writer, client } = await rig(1500);
      // A node already loaded changes while the link is down: only a second walk can see it.
      const cut = new CuratorCache(client, '/t', { watches, decode: (b) => b.toString() });
      cleanups.push(() => cut.close());
      let first = '';
      let created = 0;
      let changedWhileCut: Promise<unknown> | undefined;
      cut.on('created', (node) => {
        if (node.path.startsWith('/t/n') && !first) first = node.path;
        if (++created === 200) {
          proxy.cut();
          changedWhileCut = writer.setData(first, Buffer.from('changed while cut'));
        }
      });
      await cut.start({ timeoutMs: 30_000 });
      await changedWhileCut;
      await cut.sync();
      await expectEqualToServer(cut, writer);
      expect(cut.get(first)?.data).toBe('changed while cut');
      await cut.close();

      // The session ends on the server while the link is paused mid-load: the reads in flight
      // fail with SESSION_EXPIRED, and the load walks again in the new session.
      const expiring = new CuratorCache(client, '/t', { watches, decode: (b) => b.toString() });
      cleanups.push(() => expiring.close());
      const sessionBefore = client.sessionId;
      let seen = 0;
      let loaded = '';
      let fault: Promise<void> | undefined;
      expiring.on('created', (node) => {
        if (node.path.startsWith('/t/n') && !loaded) loaded = node.path;
        if (++seen === 200) {
          proxy.pause();
          fault = (async () => {
            await expireSession(client, { connectString: server.connectString, waitForLost: false });
            await writer.setData(loaded, Buffer.from('changed while expired'));
            proxy.resume();
          })();
        }
      });
      await expiring.start({ timeoutMs: 30_000 });
      await fault;
      expect(client.sessionId).not.toBe(sessionBefore);
      await expiring.sync();
      await expectEqualToServer(expiring, writer);
      expect(expiring.get(loaded)?.data).toBe('changed while expired');
    }, 60_000);

    it(`${watches}: changes made while the link was down come back as exactly those events`, async () => {
      const { proxy, writer, client } = await rig(300);
      const cache = new CuratorCache(client, '/t', { watches, decode: (b) => b.toString() });
      cleanups.push(() => cache.close());
      await cache.start();
      const events: string[] = [];
      cache.on('created', (n) => events.push(`+${n.path}`));
      cache.on('changed', (n) => events.push(`~${n.path}`));
      cache.on('deleted', (n) => events.push(`-${n.path}`));
      let rebuilt = 0;
      cache.on('rebuilt', () => rebuilt++);
      const suspended = waitForState(client, ConnectionState.SUSPENDED);
      proxy.pause();
      await suspended;
      await writer.setData('/t/n1', Buffer.from('x'));
      await writer.delete('/t/n2');
      await writer.create('/t/new', null);
      const reconnected = waitForState(client, ConnectionState.RECONNECTED);
      proxy.resume();
      await reconnected;
      await cache.sync();
      expect(rebuilt).toBe(1);
      expect(events.sort()).toEqual(['+/t/new', '-/t/n2', '~/t/n1']);
      expect(cache.get('/t/n1')?.data).toBe('x');
      expect(cache.size).toBe(301);
    }, 60_000);
  }
});

describe.skipIf(faultsSkipReason)('read-your-writes across an ensemble (3 servers)', () => {
  it('a write through one server, the cache on another: after waitFor(stat.mzxid) the cache holds it, every time', async () => {
    const cluster = await TestingCluster.start({ size: 3 });
    cleanups.push(() => cluster.stop());
    const writer = new ZkClient({ connectString: cluster.connectStringOf(0) });
    const reader = new ZkClient({ connectString: cluster.connectStringOf(1) });
    cleanups.push(
      () => writer.close(),
      () => reader.close(),
    );
    await Promise.all([writer.start(), reader.start()]);
    await writer.create('/ryw', Buffer.from('0'));
    const cache = new CuratorCache(reader, '/ryw', { mode: 'node', decode: (b) => b.toString() });
    cleanups.push(() => cache.close());
    await cache.start();
    for (let i = 1; i <= 30; i++) {
      const stat = await writer.setData('/ryw', Buffer.from(String(i)));
      await cache.waitFor(stat.mzxid);
      expect(cache.get('/ryw')?.data).toBe(String(i));
      expect(cache.get('/ryw')?.stat.mzxid).toBe(stat.mzxid);
    }
  }, 60_000);
});
