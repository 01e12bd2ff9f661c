/**
 * PersistentNode, PersistentTtlNode and GroupMember on a real ZooKeeper 3.8: the node exists
 * whenever the client has a session (repaired after an operator's delete and a session loss),
 * its data kept current; TTL nodes outlive the session but not the process; members see each other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionState,
  CreateMode,
  GroupMember,
  InvalidArgumentError,
  PersistentNode,
  PersistentTtlNode,
  WaitTimeoutError,
  ZkClient,
} from '../../recipes/index.js';
import { expireSession, FaultProxy, TestingServer } from '../../src/testing/index.js';
import { eventually, expectNothingLeft } from '../support/locks.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

describe('PersistentNode (shared server)', () => {
  const ns = useTestNamespace();

  it('an ephemeral node is made with its data, made again after an operator deletes it, and deleted by close()', async () => {
    const [client, operator] = [await ns().client(), await ns().client()];
    const node = new PersistentNode(client, '/services/api/host-1', Buffer.from('v1'));
    const made: string[] = [];
    node.on('created', (path) => made.push(path));
    node.start();
    expect(await node.waitForInitialCreate({ timeoutMs: 5000 })).toBe('/services/api/host-1');
    const first = await operator.getData('/services/api/host-1');
    expect(first.data.toString()).toBe('v1');
    expect(first.stat.ephemeralOwner).toBe(client.sessionId);
    await operator.delete('/services/api/host-1');
    await eventually(async () => (await operator.exists('/services/api/host-1')) !== null, 5000, 'made again');
    expect(made).toEqual(['/services/api/host-1', '/services/api/host-1']);
    await node.setData(Buffer.from('v2'));
    expect((await operator.getData('/services/api/host-1')).data.toString()).toBe('v2');
    await node.close();
    expect(await operator.exists('/services/api/host-1')).toBeNull();
    await expectNothingLeft(ns());
  });

  it('setData before the node exists is the data it is made with; an existing node is adopted and given our data', async () => {
    const [client, operator] = [await ns().client(), await ns().client()];
    await operator.create('/config/flags', Buffer.from('theirs'), { createParents: true });
    const node = new PersistentNode(client, '/config/flags', Buffer.from('ours-1'), { mode: 'persistent' });
    await node.setData(Buffer.from('ours-2'));
    const made: string[] = [];
    node.on('created', (path) => made.push(path));
    node.start();
    await node.waitForInitialCreate({ timeoutMs: 5000 });
    await eventually(async () => (await operator.getData('/config/flags')).data.toString() === 'ours-2', 5000, 'our data set');
    expect(made).toEqual([]); // adopted, not made
    await node.close();
    expect(await operator.exists('/config/flags')).toBeNull();
    await operator.delete('/config');
  });

  it("protected-ephemeral uses Curator's _c_<uuid>-<name> under the parent", async () => {
    const client = await ns().client();
    await using node = new PersistentNode(client, '/members/me', Buffer.from('x'), { mode: 'protected-ephemeral' });
    node.start();
    const path = await node.waitForInitialCreate({ timeoutMs: 5000 });
    expect(path).toMatch(/^\/members\/_c_[0-9a-f-]{36}-me$/);
    expect(node.actualPath).toBe(path);
    expect((await client.getChildren('/members')).children).toEqual([path.slice('/members/'.length)]);
  });

  it('bad input gets typed errors before anything is sent', async () => {
    const client = await ns().client();
    expect(() => new PersistentNode(client, 'no-slash', null)).toThrow(/path/i);
    expect(() => new PersistentNode(client, '/', null)).toThrow(InvalidArgumentError);
    expect(() => new PersistentNode(client, '/a', null, { mode: 'ephemeral-ish' as never })).toThrow(/mode must be one of/);
    expect(() => new PersistentNode(client, '/a', null, { mode: 'ttl' })).toThrow(/needs ttlMs/);
    expect(() => new PersistentNode(client, '/a', null, { ttlMs: 100 })).toThrow(/only for mode 'ttl'/);
    expect(() => new PersistentNode(client, '/a', 'text' as never)).toThrow(/Buffer or null/);
    expect(() => new PersistentNode(client, '/a', null, { tiemout: 1 } as never)).toThrow(InvalidArgumentError);
    const node = new PersistentNode(client, '/a', null);
    await expect(node.waitForInitialCreate()).rejects.toThrow(/not started/);
    expect(() => new PersistentTtlNode(client, '/a', 1)).toThrow(/at least 2 ms/);
    expect(() => new PersistentTtlNode(client, '/a', 1000, null, { childName: 'a/b' })).toThrow(/node name/);
    expect(() => new GroupMember(client, '/g', 'a/b')).toThrow(/member id/);
    expect(() => new GroupMember(client, '/g', '')).toThrow(/member id/);
    expect(await client.exists('/a')).toBeNull();
    await expectNothingLeft(ns());
  });
});

describe.skipIf(faultsSkipReason)('PersistentNode under faults (dedicated servers)', () => {
  it('made again in the new session after the old one expires; waitForInitialCreate times out while the link is down', async () => {
    const server = await TestingServer.start({ tickTimeMs: 200 });
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const client = new ZkClient({ connectString: server.connectString, sessionTimeoutMs: 2000 });
    const observer = new ZkClient({ connectString: server.connectString });
    cleanups.push(
      () => observer.close(),
      () => client.close(),
    );
    await Promise.all([client.start(), observer.start()]);
    const node = new PersistentNode(client, '/workers/w1', Buffer.from('w1'));
    cleanups.push(() => node.close());
    node.start();
    await node.waitForInitialCreate({ timeoutMs: 5000 });
    const before = client.sessionId;
    await expireSession(client);
    await waitForState(client, ConnectionState.RECONNECTED);
    expect(client.sessionId).not.toBe(before);
    await eventually(
      async () => (await observer.exists('/workers/w1'))?.ephemeralOwner === client.sessionId,
      10_000,
      'made in the new session',
    );

    // A node on a link that answers nothing: the wait ends at its deadline, the node keeps trying.
    const cutOff = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 4000 });
    cleanups.push(() => cutOff.close());
    await cutOff.start();
    proxy.pause();
    const stuck = new PersistentNode(cutOff, '/workers/w2', null);
    cleanups.push(() => stuck.close());
    stuck.start();
    const started = Date.now();
    await expect(stuck.waitForInitialCreate({ timeoutMs: 300 })).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
    proxy.resume();
    await stuck.waitForInitialCreate({ timeoutMs: 10_000 });
    expect(await observer.exists('/workers/w2')).not.toBeNull();
  });
});

describe.skipIf(faultsSkipReason)('PersistentNode closed during its create (dedicated server)', () => {
  it('close() while the create is unanswered: the node that create makes is deleted after it, nothing is left', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 10_000, operationTimeoutMs: 5_000 });
    const observer = new ZkClient({ connectString: server.connectString });
    cleanups.push(
      () => observer.close(),
      () => client.close(),
    );
    await Promise.all([client.start(), observer.start()]);
    await observer.create('/jobs', null); // the parent is there: the create alone makes the node
    // The link goes silent just as the create is sent: it reaches the server only after close() gave up on it.
    const createSent = new Promise<void>((resolve) => {
      const create = client.create.bind(client);
      client.create = ((...args: Parameters<typeof create>) => {
        proxy.pause();
        resolve();
        return create(...args);
      }) as typeof client.create;
    });
    const node = new PersistentNode(client, '/jobs/lease', Buffer.from('x'), { mode: 'persistent' });
    node.start();
    await createSent;
    const closing = node.close();
    await new Promise((r) => setTimeout(r, 300)); // close() has stopped the create (its answer never came)
    proxy.resume(); // the server now runs the create, then the delete
    await closing;
    await eventually(async () => (await observer.exists('/jobs/lease')) === null, 5_000, 'the node deleted');
    await new Promise((r) => setTimeout(r, 300));
    expect(await observer.exists('/jobs/lease')).toBeNull();
    await observer.delete('/jobs').catch(() => undefined);
  });
});

describe.skipIf(faultsSkipReason)('GroupMember under session loss and operator deletes (dedicated server)', () => {
  it("a member whose session expires leaves and joins again; an operator's delete of a member node is repaired", async () => {
    const server = await TestingServer.start({ tickTimeMs: 200 });
    cleanups.push(() => server.stop());
    const make = async (id: string) => {
      const client = new ZkClient({ connectString: server.connectString, sessionTimeoutMs: 2000 });
      cleanups.push(() => client.close());
      await client.start();
      const member = new GroupMember(client, '/workers', id, Buffer.from(id));
      cleanups.push(() => member.close());
      await member.start({ timeoutMs: 5000 });
      return { client, member };
    };
    const [a, b] = [await make('a'), await make('b')];
    const seen: string[] = [];
    a.member.on('joined', (id) => seen.push(`+${id}`));
    a.member.on('left', (id) => seen.push(`-${id}`));
    await eventually(() => a.member.members().has('b'), 5000, 'a sees b');
    await expireSession(b.client);
    await eventually(() => seen.includes('-b') && seen.lastIndexOf('+b') > seen.indexOf('-b'), 10_000, 'b left and joined again');
    expect((await a.client.exists('/workers/b'))?.ephemeralOwner).toBe(b.client.sessionId);
    await a.client.delete('/workers/b'); // an operator's mistake
    await eventually(async () => (await a.client.exists('/workers/b')) !== null, 5000, 'b repaired');
    await eventually(() => a.member.members().has('b'), 5000, 'a sees b again');
  });
});

describe.skipIf(faultsSkipReason)('TTL-backed nodes (a server with extended types, TTLs and containers checked every 100 ms)', () => {
  it('PersistentTtlNode stays while touched, outlives its session, and goes a TTL after its process stops touching', async () => {
    const server = await TestingServer.start({
      ttlNodes: { checkIntervalMs: 100 },
      systemProperties: { 'znode.container.checkIntervalMs': '100' },
    });
    cleanups.push(() => server.stop());
    const observer = new ZkClient({ connectString: server.connectString });
    cleanups.push(() => observer.close());
    await observer.start();
    const owner = new ZkClient({ connectString: server.connectString });
    await owner.start();
    const node = new PersistentTtlNode(owner, '/jobs/report-42', 1500, Buffer.from('host-1'));
    node.start();
    await node.waitForInitialCreate({ timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 3500)); // more than two TTLs, touched all along (every 750 ms)
    expect((await observer.getData('/jobs/report-42')).data.toString()).toBe('host-1');
    expect((await observer.exists('/jobs/report-42/touch'))?.ephemeralOwner).toBe('0x0');
    // The process "dies": its client goes without closing the node. The node outlives the session...
    await owner.close();
    expect(await observer.exists('/jobs/report-42')).not.toBeNull();
    // ...but not its TTL: the untouched child expires, then the empty container is reaped.
    await eventually(async () => (await observer.exists('/jobs/report-42')) === null, 10_000, 'the TTL node and its container gone');
    await node.close(); // after its client: nothing to do, no throw
  });

  it("PersistentNode mode 'ttl' is made again when the server expires it; close() deletes a PersistentTtlNode whole", async () => {
    const server = await TestingServer.start({
      ttlNodes: { checkIntervalMs: 100 },
      systemProperties: { 'znode.container.checkIntervalMs': '100' },
    });
    cleanups.push(() => server.stop());
    const client = new ZkClient({ connectString: server.connectString });
    cleanups.push(() => client.close());
    await client.start();
    const node = new PersistentNode(client, '/leases/a', null, { mode: 'ttl', ttlMs: 200 });
    let made = 0;
    node.on('created', () => made++);
    node.start();
    await eventually(() => made >= 2, 10_000, 'made again after the server expired it');
    expect((await client.exists('/leases/a'))?.ephemeralOwner).toBe('0x0');
    await node.close();
    expect(await client.exists('/leases/a')).toBeNull();

    const ttlNode = new PersistentTtlNode(client, '/jobs/x', 60_000, null);
    ttlNode.start();
    await ttlNode.waitForInitialCreate({ timeoutMs: 5000 });
    await eventually(async () => (await client.exists('/jobs/x/touch')) !== null, 5000, 'touched');
    await ttlNode.close();
    expect(await client.exists('/jobs/x')).toBeNull();
    expect((await client.exists('/jobs'))?.numChildren ?? 0).toBe(0);
    void CreateMode;
  });
});

describe('GroupMember (shared server)', () => {
  const ns = useTestNamespace();

  it('members see each other with their data; joined, changed and left are told; close() leaves', async () => {
    const clients = [await ns().client(), await ns().client(), await ns().client()];
    const [a, b, c] = clients.map((client, i) => new GroupMember(client, '/workers', `w${i + 1}`, Buffer.from(`host-${i + 1}`)));
    const seen: string[] = [];
    a!.on('joined', (id) => seen.push(`+${id}`));
    a!.on('left', (id) => seen.push(`-${id}`));
    a!.on('changed', (id, data) => seen.push(`~${id}=${data.toString()}`));
    await a!.start({ timeoutMs: 5000 });
    await b!.start({ timeoutMs: 5000 });
    await c!.start({ timeoutMs: 5000 });
    const view = (m: GroupMember) => Object.fromEntries([...m.members()].map(([id, data]) => [id, data.toString()]));
    await eventually(() => Object.keys(view(a!)).length === 3, 5000, 'a sees three');
    expect(view(a!)).toEqual({ w1: 'host-1', w2: 'host-2', w3: 'host-3' });
    await b!.setData(Buffer.from('host-2b'));
    await c!.close();
    await eventually(() => seen.includes('-w3') && seen.includes('~w2=host-2b'), 5000, 'change and leave seen');
    expect(seen.filter((s) => s.startsWith('+'))).toEqual(['+w1', '+w2', '+w3']);
    await eventually(() => Object.keys(view(b!)).length === 2, 5000, 'b sees w3 leave');
    expect(view(b!)).toEqual({ w1: 'host-1', w2: 'host-2b' });
    await a!.close();
    await b!.close();
    await expectNothingLeft(ns());
  });

  it('a start that cannot finish in time rejects and leaves nothing behind', async () => {
    const client = await ns().client();
    const member = new GroupMember(client, '/workers', 'w1');
    const aborted = AbortSignal.abort(new Error('stop'));
    await expect(member.start({ signal: aborted })).rejects.toThrow('stop');
    await expectNothingLeft(ns());
  });
});
