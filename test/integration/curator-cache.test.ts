/**
 * CuratorCache on a real ZooKeeper 3.8, under persistent watches and under the one-shot fallback
 * (what an older server gets): the three modes, events, read-your-writes, bounds, bad input, and
 * nothing left behind.
 */
import { describe, expect, it } from 'vitest';
import {
  CacheFullError,
  CuratorCache,
  InvalidArgumentError,
  PersistentWatcher,
  RecipeClosedError,
  type Stat,
  UnsupportedByServerError,
  type ZkClient,
  ZooKeeperError,
} from '../../recipes/index.js';
import { errorFromZkCode } from '../../src/core/errors.js';
import { eventually } from '../support/locks.js';
import { useTestNamespace } from '../support/zk.js';

type Log = string[];
function record<T>(cache: CuratorCache<T>): Log {
  const log: Log = [];
  cache.on('created', (n) => log.push(`+${n.path}`));
  cache.on('changed', (n) => log.push(`~${n.path}`));
  cache.on('deleted', (n) => log.push(`-${n.path}`));
  return log;
}

async function expectNothingLeft(client: ZkClient): Promise<void> {
  expect(client.persistentWatchCount).toBe(0);
  expect(client.pendingWatchCount).toBe(0);
}

for (const watches of ['persistent', 'one-shot'] as const) {
  describe(`CuratorCache with ${watches} watches (shared server)`, () => {
    const ns = useTestNamespace();

    it('tree: loads the subtree (created events, then initialized), follows every change, close() leaves nothing', async () => {
      const writer = await ns().client();
      const client = await ns().client();
      await writer.create('/cfg/a/x', Buffer.from('1'), { createParents: true });
      await writer.create('/cfg/b', Buffer.from('2'));
      const cache = new CuratorCache(client, '/cfg', { watches, decode: (b) => b.toString() });
      const log = record(cache);
      let initializedAfter = -1;
      cache.on('initialized', () => (initializedAfter = log.length));
      await cache.start();
      expect(cache.watchMode).toBe(watches);
      expect(initializedAfter).toBe(4);
      expect(log.sort()).toEqual(['+/cfg', '+/cfg/a', '+/cfg/a/x', '+/cfg/b']);
      expect(cache.size).toBe(4);
      expect(cache.children('/cfg')).toEqual(['a', 'b']);
      expect(cache.get('/cfg/a/x')?.data).toBe('1');
      log.length = 0;

      await writer.setData('/cfg/a/x', Buffer.from('changed'));
      await writer.create('/cfg/a/y/z', Buffer.from('deep'), { createParents: true });
      await writer.delete('/cfg/b');
      const last = await writer.setData('/cfg/a/y/z', Buffer.from('deeper'));
      await cache.waitFor(last.mzxid);
      // A node's events keep the server's order; a read may already see a later write (the create
      // then carries 'deeper' and its change event has nothing left to report).
      expect(log.filter((e) => e !== '~/cfg/a/y/z').sort()).toEqual(['+/cfg/a/y', '+/cfg/a/y/z', '-/cfg/b', '~/cfg/a/x']);
      expect(log.indexOf('+/cfg/a/y')).toBeLessThan(log.indexOf('+/cfg/a/y/z'));
      expect(cache.get('/cfg/a/y/z')?.data).toBe('deeper');
      expect(cache.get('/cfg/a/y/z')?.stat.version).toBe(1);
      expect(cache.children('/cfg')).toEqual(['a']);
      expect(
        cache
          .entries()
          .map(([p]) => p)
          .sort(),
      ).toEqual(['/cfg', '/cfg/a', '/cfg/a/x', '/cfg/a/y', '/cfg/a/y/z']);
      await cache.close();
      expect(cache.size).toBe(0);
      await expectNothingLeft(client);
      if (watches === 'persistent') expect(await client.hasServerWatch('/cfg')).toBe(false);
    });

    it('children: the node and its children only; node: the node alone (absent, created, deleted)', async () => {
      const writer = await ns().client();
      const client = await ns().client();
      await writer.create('/svc/one/deep', null, { createParents: true });
      await using children = new CuratorCache(client, '/svc', { watches, mode: 'children' });
      await using node = new CuratorCache(client, '/flag', { watches, mode: 'node', decode: (b) => b.toString() });
      await children.start();
      await node.start();
      const nodeLog = record(node);
      const childLog = record(children);
      expect(
        children
          .entries()
          .map(([p]) => p)
          .sort(),
      ).toEqual(['/svc', '/svc/one']);
      expect(node.size).toBe(0);
      await writer.create('/svc/two', null);
      await writer.create('/svc/one/deeper', null);
      await writer.create('/flag', Buffer.from('on'));
      await writer.create('/flag/child', null);
      const stat = await writer.setData('/flag', Buffer.from('off'));
      await children.waitFor(stat.mzxid);
      await node.waitFor(stat.mzxid);
      expect(childLog).toEqual(['+/svc/two']);
      expect(nodeLog).toEqual(['+/flag', '~/flag']);
      expect(node.get('/flag')?.data).toBe('off');
      await writer.delete('/flag/child');
      await writer.delete('/flag');
      await node.sync();
      expect(nodeLog).toEqual(['+/flag', '~/flag', '-/flag']);
      expect(node.size).toBe(0);
    });

    it('read-your-writes: after waitFor(stat.mzxid) the cache holds what this process just wrote, every time', async () => {
      const client = await ns().client();
      await client.create('/rw', Buffer.from('0'));
      await using cache = new CuratorCache(client, '/rw', { watches, mode: 'node', decode: (b) => b.toString() });
      await cache.start();
      for (let i = 1; i <= 40; i++) {
        const stat: Stat = await client.setData('/rw', Buffer.from(String(i)));
        await cache.waitFor(stat.mzxid);
        expect(cache.get('/rw')?.data).toBe(String(i));
      }
    });

    it('maxNodes: start() rejects with CacheFullError and leaves no watch; past start, the node is left out with an error event', async () => {
      const client = await ns().client();
      for (let i = 0; i < 5; i++) await client.create(`/big/n${i}`, null, { createParents: true });
      const tooSmall = new CuratorCache(client, '/big', { watches, maxNodes: 3 });
      await expect(tooSmall.start()).rejects.toBeInstanceOf(CacheFullError);
      await expectNothingLeft(client);
      if (watches === 'persistent') expect(await client.hasServerWatch('/big')).toBe(false);

      await using cache = new CuratorCache(client, '/big', { watches, maxNodes: 6 });
      const errors: unknown[] = [];
      cache.on('error', (e) => errors.push(e));
      await cache.start();
      await client.create('/big/n5', null);
      const last = await client.setData('/big/n0', Buffer.from('x'));
      await cache.waitFor(last.mzxid);
      expect(cache.size).toBe(6);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(CacheFullError);
      expect((errors[0] as CacheFullError).path).toBe('/big/n5');
    });

    it('filter prunes subtrees; a decode that throws leaves that node out and reports it', async () => {
      const client = await ns().client();
      await client.create('/f/keep/a', Buffer.from('{"v":1}'), { createParents: true });
      await client.create('/f/skip/b', Buffer.from('{"v":2}'), { createParents: true });
      await client.create('/f/bad', Buffer.from('not json'));
      await using cache = new CuratorCache(client, '/f', {
        watches,
        filter: (path) => !path.startsWith('/f/skip'),
        decode: (b) => JSON.parse(b.length ? b.toString() : 'null') as unknown,
      });
      const errors: unknown[] = [];
      cache.on('error', (e) => errors.push(e));
      await cache.start();
      expect(
        cache
          .entries()
          .map(([p]) => p)
          .sort(),
      ).toEqual(['/f', '/f/keep', '/f/keep/a']);
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['CACHE_DECODE_FAILED']);
      const stat = await client.create('/f/skip/c', null).then(() => client.setData('/f/keep/a', Buffer.from('{"v":3}')));
      await cache.waitFor(stat.mzxid);
      expect(cache.get('/f/keep/a')?.data).toEqual({ v: 3 });
      expect(cache.get('/f/skip/c')).toBeUndefined();
    });
  });
}

describe('CuratorCache: lifecycle and bad input (shared server)', () => {
  const ns = useTestNamespace();

  it('bad options are refused before anything is sent', async () => {
    const client = await ns().client();
    expect(() => new CuratorCache(client, '/x', { mode: 'all' as never })).toThrow(InvalidArgumentError);
    expect(() => new CuratorCache(client, '/x', { maxNode: 5 } as never)).toThrow(/did you mean "maxNodes"/);
    expect(() => new CuratorCache(client, '/x', { maxNodes: 0 })).toThrow(/positive integer/);
    expect(() => new CuratorCache(client, '/x', { decode: 'json' as never })).toThrow(/decode must be a function/);
    expect(() => new CuratorCache(client, 'x')).toThrow(/path/i);
    const cache = new CuratorCache(client, '/x');
    await expect(cache.waitFor(-1)).rejects.toThrow(InvalidArgumentError);
    await expect(cache.start({ timeoutMs: -1 })).rejects.toThrow(InvalidArgumentError);
    await expectNothingLeft(client);
  });

  it('start() that times out or is aborted closes the cache and leaves no watch', async () => {
    const client = await ns().client();
    for (let i = 0; i < 200; i++) await client.create(`/slow/n${i}`, null, { createParents: true });
    const controller = new AbortController();
    const cache = new CuratorCache(client, '/slow');
    const started = cache.start({ signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(started).rejects.toThrow('shutting down');
    await eventually(() => client.persistentWatchCount === 0, 5000, 'watch removed');
    expect(await client.hasServerWatch('/slow')).toBe(false);
    await expect(cache.sync()).rejects.toThrow(/closed/);
  });

  it('closing the client closes the cache', async () => {
    const client = await ns().client();
    const cache = new CuratorCache(client, '/closing');
    await cache.start();
    await client.close();
    await eventually(() => cache.size === 0, 5000, 'cache closed');
    await expect(cache.sync()).rejects.toThrow(/closed/);
  });
});

/** The client as a server before 3.6 shows it: addWatch answered UNIMPLEMENTED (-6); everything else real. */
function withoutAddWatch(client: ZkClient): ZkClient {
  return new Proxy(client, {
    get(target, key) {
      if (key === 'addPersistentWatch') return async (path: string) => Promise.reject(errorFromZkCode(-6, path));
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('CuratorCache and PersistentWatcher on a server without addWatch (shared server)', () => {
  const ns = useTestNamespace();

  it("'auto' falls back on one-shot watches and still follows every change", async () => {
    const real = await ns().client();
    const client = withoutAddWatch(real);
    await real.create('/old/a', Buffer.from('1'), { createParents: true });
    await using cache = new CuratorCache(client, '/old', { decode: (b) => b.toString() });
    await cache.start();
    expect(cache.watchMode).toBe('one-shot');
    const stat = await real.setData('/old/a', Buffer.from('2'));
    await cache.waitFor(stat.mzxid);
    expect(cache.get('/old/a')?.data).toBe('2');
  });

  it("'persistent' and PersistentWatcher refuse with UnsupportedByServerError naming the version, leaving nothing set", async () => {
    const client = withoutAddWatch(await ns().client());
    const cache = new CuratorCache(client, '/old', { watches: 'persistent' });
    const refused = await cache.start().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnsupportedByServerError);
    expect(String((refused as Error).message)).toMatch(/3\.6/);
    expect((refused as Error).cause).toBeInstanceOf(ZooKeeperError);
    await expect(new PersistentWatcher(client, '/old').start()).rejects.toBeInstanceOf(UnsupportedByServerError);
    await expectNothingLeft(client);
  });
});

describe('CuratorCache at the edges (shared server)', () => {
  const ns = useTestNamespace();

  it('a listener that throws reaches `error`; the view and the other listeners go on', async () => {
    const client = await ns().client();
    await using cache = new CuratorCache(client, '/edge');
    const errors: unknown[] = [];
    const seen: string[] = [];
    cache.on('error', (e) => errors.push(e));
    cache.on('created', () => {
      throw new Error('listener bug');
    });
    cache.on('created', (n) => seen.push(n.path));
    await cache.start();
    const stat = await client.create('/edge', null).then(() => client.setData('/edge', Buffer.from('x')));
    await cache.waitFor(stat.mzxid);
    expect(seen).toEqual(['/edge']);
    expect(errors).toHaveLength(1);
    expect(cache.get('/edge')?.stat.version).toBe(1);
  });

  it('a filter that throws leaves that node out with an `error` event; the rest loads', async () => {
    const client = await ns().client();
    await client.create('/fl/good', null, { createParents: true });
    await client.create('/fl/bad', null);
    await using cache = new CuratorCache(client, '/fl', {
      filter: (path) => {
        if (path.endsWith('bad')) throw new Error('filter bug');
        return true;
      },
    });
    const errors: unknown[] = [];
    cache.on('error', (e) => errors.push(e));
    await cache.start();
    expect(cache.children('/fl')).toEqual(['good']);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['CACHE_FILTER_FAILED']);
  });

  it('close() during sync() settles the sync with RecipeClosedError; nothing is left', async () => {
    const client = await ns().client();
    const cache = new CuratorCache(client, '/edge2');
    await cache.start();
    const syncing = expect(cache.sync()).rejects.toBeInstanceOf(RecipeClosedError);
    await cache.close();
    await syncing;
    await expectNothingLeft(client);
  });
});
