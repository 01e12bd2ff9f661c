/**
 * PersistentWatcher on a real ZooKeeper 3.8 (addWatch): events as typed events and as an async
 * iterator, the watch kept through a cut connection and a new session (setWatches2) with a
 * `reset` each time, removed on the server by close(), and nothing left behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionState, InvalidArgumentError, PersistentWatcher, type WatchEvent, ZkClient } from '../../recipes/index.js';
import { expireSession, FaultProxy, TestingServer } from '../../src/testing/index.js';
import { eventually } from '../support/locks.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

describe('PersistentWatcher (shared server)', () => {
  const ns = useTestNamespace();

  it('a persistent watch reports its own node every time, child-list changes included; close() removes it on the server', async () => {
    const client = await ns().client();
    const writer = await ns().client();
    const watcher = new PersistentWatcher(client, '/cfg');
    const seen: string[] = [];
    watcher.on('event', (e) => seen.push(`${e.type} ${e.path}`));
    await watcher.start();
    expect(await client.hasServerWatch('/cfg')).toBe(true);
    await writer.create('/cfg', null);
    await writer.setData('/cfg', Buffer.from('1'));
    await writer.setData('/cfg', Buffer.from('2'));
    await writer.create('/cfg/child', null);
    await writer.create('/cfg/child/grandchild', null); // not ours: not recursive
    await writer.delete('/cfg/child/grandchild');
    await eventually(() => seen.length >= 4, 5000, 'events');
    await client.sync();
    expect(seen).toEqual(['NODE_CREATED /cfg', 'NODE_DATA_CHANGED /cfg', 'NODE_DATA_CHANGED /cfg', 'NODE_CHILDREN_CHANGED /cfg']);
    await watcher.close();
    expect(await client.hasServerWatch('/cfg')).toBe(false);
    expect(client.persistentWatchCount).toBe(0);
    await writer.setData('/cfg', Buffer.from('3'));
    await client.sync();
    expect(seen).toHaveLength(4);
  });

  it('recursive: every node below, no child-list events; the iterator yields them in order and ends on close', async () => {
    const client = await ns().client();
    const writer = await ns().client();
    await using watcher = new PersistentWatcher(client, '/tree', { recursive: true });
    await watcher.start();
    const items: string[] = [];
    const reading = (async () => {
      for await (const item of watcher) items.push(`${item.type} ${item.path}`);
    })();
    await writer.create('/tree/a/b', Buffer.from('x'), { createParents: true });
    await writer.setData('/tree/a/b', Buffer.from('y'));
    await writer.delete('/tree/a/b');
    await eventually(() => items.length === 5, 5000, 'five events');
    await watcher.close();
    await reading; // ended by close()
    expect(items).toEqual([
      'NODE_CREATED /tree',
      'NODE_CREATED /tree/a',
      'NODE_CREATED /tree/a/b',
      'NODE_DATA_CHANGED /tree/a/b',
      'NODE_DELETED /tree/a/b',
    ]);
  });

  it("an iterator's signal ends it with the signal's reason and leaves no listener", async () => {
    const client = await ns().client();
    await using watcher = new PersistentWatcher(client, '/sig');
    await watcher.start();
    const controller = new AbortController();
    const iterator = watcher.events({ signal: controller.signal });
    const next = iterator.next();
    controller.abort(new Error('stop'));
    await expect(next).rejects.toThrow('stop');
  });

  it('a listener that throws reaches `error`; the other listeners still get the event', async () => {
    const client = await ns().client();
    await using watcher = new PersistentWatcher(client, '/throws');
    const errors: unknown[] = [];
    const got: WatchEvent[] = [];
    watcher.on('error', (e) => errors.push(e));
    watcher.on('event', () => {
      throw new Error('listener bug');
    });
    watcher.on('event', (e) => got.push(e));
    await watcher.start();
    await client.create('/throws', null);
    await eventually(() => got.length === 1, 5000, 'event');
    expect(errors).toHaveLength(1);
  });

  it('bad input is refused before anything is sent', async () => {
    const client = await ns().client();
    expect(() => new PersistentWatcher(client, 'relative')).toThrow(/path/i);
    expect(() => new PersistentWatcher(client, '/x', { recursve: true } as never)).toThrow(/did you mean "recursive"/);
    expect(() => new PersistentWatcher(client, '/x', { recursive: 'yes' as never })).toThrow(InvalidArgumentError);
    const watcher = new PersistentWatcher(client, '/x');
    await expect(watcher.start({ timeoutMs: -1 })).rejects.toThrow(InvalidArgumentError);
    expect(client.persistentWatchCount).toBe(0);
    expect(await client.hasServerWatch('/x')).toBe(false);
  });
});

describe.skipIf(faultsSkipReason)('PersistentWatcher under faults (dedicated server)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('kept through a cut connection (setWatches2) and a new session, with `reset` after each', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 2000 });
    cleanups.push(() => client.close());
    await client.start();
    const writer = new ZkClient({ connectString: server.connectString });
    cleanups.push(() => writer.close());
    await writer.start();
    const watcher = new PersistentWatcher(client, '/kept', { recursive: true });
    cleanups.push(() => watcher.close());
    const seen: string[] = [];
    watcher.on('event', (e) => seen.push(`${e.type} ${e.path}`));
    watcher.on('reset', () => seen.push('reset'));
    await watcher.start();

    const reconnected = waitForState(client, ConnectionState.RECONNECTED);
    proxy.cut();
    await reconnected;
    // The watch is set again ahead of any request sent after RECONNECTED (not before the event,
    // as in Java): one round trip of ours and it is in place.
    await client.exists('/');
    await writer.create('/kept', null);
    await eventually(() => seen.includes('NODE_CREATED /kept'), 5000, 'event after the cut');
    expect(await client.hasServerWatch('/kept')).toBe(true);

    const sessionBefore = client.sessionId;
    await expireSession(client);
    await waitForState(client, ConnectionState.RECONNECTED);
    expect(client.sessionId).not.toBe(sessionBefore);
    await client.exists('/');
    await writer.create('/kept/child', null);
    await eventually(() => seen.includes('NODE_CREATED /kept/child'), 5000, 'event in the new session');
    // expireSession may see the client win its old session back once first: a reset per reconnection
    expect(seen.filter((e) => e !== 'reset')).toEqual(['NODE_CREATED /kept', 'NODE_CREATED /kept/child']);
    expect(seen[0]).toBe('reset');
    expect(seen.indexOf('reset', 2)).toBeGreaterThan(seen.indexOf('NODE_CREATED /kept'));
    expect(seen.indexOf('reset', 2)).toBeLessThan(seen.indexOf('NODE_CREATED /kept/child'));
    await watcher.close();
    expect(await client.hasServerWatch('/kept')).toBe(false);
    expect(client.persistentWatchCount).toBe(0);
  });

  it('close() while the link is down resolves at once, and the next connection does not set the watch again', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 4000, connectionTimeoutMs: 120_000 });
    cleanups.push(() => client.close());
    await client.start();
    const watcher = new PersistentWatcher(client, '/down', { recursive: true });
    await watcher.start();
    const suspended = waitForState(client, ConnectionState.SUSPENDED);
    proxy.pause();
    await suspended;
    // the link comes back only after close() resolved: a close waiting for a connection never would
    await watcher.close();
    const reconnected = waitForState(client, ConnectionState.RECONNECTED);
    proxy.resume();
    await reconnected;
    expect(await client.hasServerWatch('/down')).toBe(false);
    expect(client.persistentWatchCount).toBe(0);
  }, 30_000);
});
