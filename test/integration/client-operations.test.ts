import { describe, expect, it } from 'vitest';
import { BadVersionError, ClientClosedError, CreateMode, NodeExistsError, NoNodeError, NotEmptyError, ZkClient } from '../../src/index.js';
import { sharedConnectString, useTestNamespace } from '../support/zk.js';

describe('ZkClient operations (real server)', () => {
  const ns = useTestNamespace();

  it('creates in all four modes, with data, and reads back', async () => {
    const client = await ns().client();
    expect(await client.create('/p', Buffer.from('persistent'))).toBe('/p');
    expect(await client.create('/e', Buffer.from('ephemeral'), { mode: CreateMode.EPHEMERAL })).toBe('/e');
    const ps = await client.create('/p/s-', null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect(ps).toMatch(/^\/p\/s-\d{10}$/);
    const es = await client.create('/p/e-', Buffer.from('x'), { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
    expect(es).toMatch(/^\/p\/e-\d{10}$/);
    const { data, stat } = await client.getData('/p');
    expect(data.toString()).toBe('persistent');
    expect(stat.ephemeralOwner).toBe('0x0');
    // one session-id format everywhere: as ZooKeeper's logs write it
    expect(client.sessionId).toMatch(/^0x[1-9a-f][0-9a-f]*$/);
    expect((await client.getData('/e')).stat.ephemeralOwner).toBe(client.sessionId);
    expect(typeof stat.czxid).toBe('bigint');
  });

  it('applies the namespace to every path and creates it on first use', async () => {
    const client = await ns().client();
    await client.create('/a', null);
    const root = new ZkClient({ connectString: sharedConnectString(), ...ns().clientDefaults });
    await root.start();
    try {
      expect(await root.exists(`${ns().namespace}/a`)).not.toBeNull();
    } finally {
      await root.close();
    }
  });

  it('creates parents on request, and mkdirp is idempotent', async () => {
    const client = await ns().client();
    await expect(client.create('/x/y/z', null)).rejects.toBeInstanceOf(NoNodeError);
    expect(await client.create('/x/y/z', Buffer.from('1'), { createParents: true })).toBe('/x/y/z');
    await client.mkdirp('/m/n/o');
    await client.mkdirp('/m/n/o');
    expect(await client.exists('/m/n/o')).not.toBeNull();
  });

  it('maps server errors to typed errors', async () => {
    const client = await ns().client();
    await client.create('/n', null);
    await expect(client.create('/n', null)).rejects.toBeInstanceOf(NodeExistsError);
    await expect(client.getData('/missing')).rejects.toBeInstanceOf(NoNodeError);
    await client.create('/n/child', null);
    await expect(client.delete('/n')).rejects.toBeInstanceOf(NotEmptyError);
    const e = await client.getData('/missing').catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'NO_NODE', zkCode: -101, path: '/missing' });
  });

  it('setData and delete honour versions (including version 0)', async () => {
    const client = await ns().client();
    await client.create('/v', Buffer.from('a'));
    const stat = await client.setData('/v', Buffer.from('b'), { version: 0 });
    expect(stat.version).toBe(1);
    await expect(client.setData('/v', Buffer.from('c'), { version: 0 })).rejects.toBeInstanceOf(BadVersionError);
    await expect(client.delete('/v', { version: 0 })).rejects.toBeInstanceOf(BadVersionError);
    await client.delete('/v', { version: 1 });
    expect(await client.exists('/v')).toBeNull();
  });

  it('setData with null data writes no bytes (the wire library alone threw on null)', async () => {
    const client = await ns().client();
    await client.create('/n', Buffer.from('a'));
    const stat = await client.setData('/n', null);
    expect(stat.dataLength).toBe(0);
    expect((await client.getData('/n')).data.length).toBe(0);
  });

  it('getChildren lists children with the parent stat', async () => {
    const client = await ns().client();
    await client.create('/c', null);
    await client.create('/c/a', null);
    await client.create('/c/b', null);
    const { children, stat } = await client.getChildren('/c');
    expect(children.sort()).toEqual(['a', 'b']);
    expect(stat.numChildren).toBe(2);
  });

  it('runs transactions atomically, with version checks (version 0 included)', async () => {
    const client = await ns().client();
    await client.create('/t', Buffer.from('0'));
    const results = await client.transaction([
      { type: 'check', path: '/t', version: 0 },
      { type: 'create', path: '/t/a', data: Buffer.from('a') },
      { type: 'setData', path: '/t', data: Buffer.from('1'), version: 0 },
    ]);
    expect(results.map((r) => r.type)).toEqual(['check', 'create', 'setData']);
    expect(results[1]).toEqual({ type: 'create', path: '/t/a' });
    await expect(
      client.transaction([
        { type: 'create', path: '/t/b', data: Buffer.from('b') },
        { type: 'check', path: '/t', version: 0 },
      ]),
    ).rejects.toBeInstanceOf(BadVersionError);
    expect(await client.exists('/t/b')).toBeNull();
    await client.transaction([
      { type: 'delete', path: '/t/a' },
      { type: 'delete', path: '/t', version: 1 },
    ]);
    expect(await client.exists('/t')).toBeNull();
  });

  it('data watches fire on change and deletion', async () => {
    const client = await ns().client();
    await client.create('/w', Buffer.from('1'));
    const watched = await client.watchData('/w');
    expect(watched.value.data.toString()).toBe('1');
    await client.setData('/w', Buffer.from('2'));
    expect(await watched.changed).toEqual({ type: 'NODE_DATA_CHANGED', path: '/w' });
    const again = await client.watchData('/w');
    await client.delete('/w');
    expect(await again.changed).toEqual({ type: 'NODE_DELETED', path: '/w' });
    expect(client.pendingWatchCount).toBe(0);
  });

  it('exists watches fire on creation; child watches on child changes', async () => {
    const client = await ns().client();
    const ex = await client.watchExists('/later');
    expect(ex.value).toBeNull();
    await client.create('/later', null);
    expect((await ex.changed).type).toBe('NODE_CREATED');
    const ch = await client.watchChildren('/later');
    expect(ch.value.children).toEqual([]);
    await client.create('/later/kid', null);
    expect(await ch.changed).toEqual({ type: 'NODE_CHILDREN_CHANGED', path: '/later' });
  });

  it('an aborted watch rejects with the reason and leaves no listener behind', async () => {
    const client = await ns().client();
    await client.create('/aw', null);
    const controller = new AbortController();
    const watched = await client.watchData('/aw', { signal: controller.signal });
    expect(client.pendingWatchCount).toBe(1);
    controller.abort(new Error('stop watching'));
    await expect(watched.changed).rejects.toThrow('stop watching');
    expect(client.pendingWatchCount).toBe(0);
    // The server-side watch still fires later; nothing must break when it does.
    await client.setData('/aw', Buffer.from('x'));
    const other = await client.watchData('/aw');
    await client.setData('/aw', Buffer.from('y'));
    expect((await other.changed).type).toBe('NODE_DATA_CHANGED');
  });

  it('many watchers of one node each get the event', async () => {
    const client = await ns().client();
    await client.create('/many', null);
    const watches = await Promise.all(Array.from({ length: 5 }, () => client.watchData('/many')));
    await client.delete('/many');
    const events = await Promise.all(watches.map((w) => w.changed));
    expect(events.every((e) => e.type === 'NODE_DELETED')).toBe(true);
  });

  it('an already-aborted signal rejects before anything is sent', async () => {
    const client = await ns().client();
    const controller = new AbortController();
    controller.abort(new Error('nope'));
    await expect(client.create('/never', null, { signal: controller.signal })).rejects.toThrow('nope');
    expect(await client.exists('/never')).toBeNull();
  });

  it('operations after close reject with ClientClosedError; pending watches settle', async () => {
    const client = await ns().client();
    await client.create('/cw', null);
    const watched = await client.watchData('/cw');
    await client.close();
    expect((await watched.changed).type).toBe('CLIENT_CLOSED');
    await expect(client.getData('/cw')).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.create('/x', null)).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.start()).rejects.toBeInstanceOf(ClientClosedError);
    await client.close(); // idempotent
  });

  it('closing ends the session: its ephemeral nodes vanish at once', async () => {
    const a = await ns().client();
    const b = await ns().client();
    await a.create('/eph', null, { mode: CreateMode.EPHEMERAL });
    await a.close();
    expect(await b.exists('/eph')).toBeNull();
  });
});
