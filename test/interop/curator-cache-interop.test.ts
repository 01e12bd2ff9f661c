/**
 * CuratorCache interop with Apache Curator 5.4 (Debian's jars) on one real server: a Curator
 * writer's changes reach our cache, and our writes reach Curator's own CuratorCache.
 */
import { describe, expect, it } from 'vitest';
import { CuratorCache } from '../../recipes/index.js';
import { eventually } from '../support/locks.js';
import { interopUnavailableReason, useCuratorPeers } from './curator-peer.js';

const unavailable = interopUnavailableReason();
const skip = unavailable !== undefined && !process.env.CI;

describe.skipIf(skip)('CuratorCache interop with Curator 5.4 (real server)', () => {
  const { ns, peer } = useCuratorPeers();

  it("a Curator writer's creates, changes and deletes reach our cache", async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await java.request('w', 'write', '/config/db/url', 'postgres://a');
    await using cache = new CuratorCache(client, '/config', { decode: (b) => b.toString() });
    await cache.start();
    expect(cache.get('/config/db/url')?.data).toBe('postgres://a');
    await java.request('w', 'write', '/config/db/url', 'postgres://b');
    await java.request('w', 'write', '/config/flags/dark-mode', 'on');
    await java.request('w', 'delete', '/config/db/url');
    await cache.sync(); // after the writer's replies: our view holds every write
    expect(cache.get('/config/db/url')).toBeUndefined();
    expect(cache.get('/config/flags/dark-mode')?.data).toBe('on');
    expect(cache.children('/config')).toEqual(['db', 'flags']);
  });

  it("our writes reach Curator's CuratorCache", async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await client.create('/shared/a', Buffer.from('1'), { createParents: true });
    await java.request('c', 'cache-start', '/shared');
    expect((await java.request('c', 'cache-get', '/shared/a')).value).toBe('1');
    await client.setData('/shared/a', Buffer.from('2'));
    await client.create('/shared/b/c', Buffer.from('deep'), { createParents: true });
    await eventually(
      async () => (await java.request('c', 'cache-get', '/shared/b/c')).value === 'deep',
      10_000,
      'Curator sees /shared/b/c',
    );
    await eventually(async () => (await java.request('c', 'cache-get', '/shared/a')).value === '2', 10_000, 'Curator sees the change');
    await client.delete('/shared/a');
    await eventually(async () => (await java.request('c', 'cache-get', '/shared/a')).value === null, 10_000, 'Curator sees the delete');
    expect((await java.request('c', 'cache-size')).value).toBe(3); // /shared, /shared/b, /shared/b/c
    await java.request('c', 'cache-close');
  });
});
