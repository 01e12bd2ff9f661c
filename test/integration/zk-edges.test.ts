/**
 * ZooKeeper at its edges (issue 23), on dedicated servers whose container reaper runs every
 * 10 ms: acquires racing the reaper never fail with NO_NODE, and a reaped lock parent that
 * someone without our credentials re-creates is repaired or refused — never silently adopted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclMismatchError, Acls, InterProcessMutex, NoAuthError, Permission, ZkClient, type ZkClientOptions } from '../../recipes/index.js';
import { FaultProxy, TestingServer } from '../../src/testing/index.js';
import { expectReaped } from '../support/locks.js';
import { faultsSkipReason } from '../support/zk.js';

const alice: Partial<ZkClientOptions> = {
  auth: [{ scheme: 'digest', credentials: 'alice:secret' }],
  aclProvider: { defaultAcl: [Acls.digest('alice', 'secret')] },
};

describe.skipIf(faultsSkipReason)('ZooKeeper edges (a server reaping containers every 10 ms)', () => {
  let server: TestingServer;
  const clients: ZkClient[] = [];
  const client = async (options: Partial<ZkClientOptions> = {}): Promise<ZkClient> => {
    const c = new ZkClient({ connectString: server.connectString, ...options });
    clients.push(c);
    await c.start();
    return c;
  };
  beforeAll(async () => {
    server = await TestingServer.start({ tickTimeMs: 200, systemProperties: { 'znode.container.checkIntervalMs': '10' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.stop();
  });

  it('acquires racing a reaper that deletes every emptied parent at once: none fails with NO_NODE', async () => {
    const c = await client({ namespace: '/reaping' });
    // The server's reaper (every 10 ms) and a client that deletes every empty parent as fast as
    // the server answers — as the reaper does, only far more often: an ancestor vanishes between
    // the creates of a parent chain again and again.
    const reaper = await client({ namespace: '/reaping' });
    const paths = [0, 1, 2, 3].flatMap((flow) =>
      [0, 1].flatMap((k) => [`/deep/${flow}/${k}/x/lock`, `/deep/${flow}/${k}/x`, `/deep/${flow}/${k}`]),
    );
    const ancestors = [...paths, ...[0, 1, 2, 3].map((flow) => `/deep/${flow}`), '/deep'];
    let reaping = true;
    let reaped = 0;
    const reaperLoop = (async () => {
      while (reaping) {
        const results = await Promise.allSettled(ancestors.map((p) => reaper.delete(p, { retry: false })));
        reaped += results.filter((r) => r.status === 'fulfilled').length;
        // a breath between rounds: still 5× the server reaper's pace, without starving other test files
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const failures: string[] = [];
    let cycles = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async (flow) => {
        // one mutex object per path, as an application keeps it: it remembers its parent exists
        const mutexes = [0, 1].map((k) => new InterProcessMutex(c, `/deep/${flow}/${k}/x/lock`));
        for (let i = 0; i < 100; i++) {
          try {
            const lease = await (mutexes[i % 2] as InterProcessMutex).acquire({ timeoutMs: 10_000 });
            await lease.release();
            cycles++;
          } catch (error) {
            failures.push(`${(error as Error).name}: ${(error as Error).message}`);
          }
        }
      }),
    );
    reaping = false;
    await reaperLoop;
    expect(failures).toEqual([]);
    expect(cycles).toBe(400);
    expect(reaped).toBeGreaterThan(100); // the race was really run
  }, 120_000);

  it('a reaped parent re-created by a client without credentials is repaired before the lock is held: the intruder cannot delete the holder', async () => {
    const owner = await client(alice);
    const intruder = await client();
    const path = `/locks/orders-${Date.now()}`;
    await (await new InterProcessMutex(owner, path).acquire()).release();
    await expectReaped(owner, path);
    await expectReaped(owner, '/locks'); // its ancestors are containers too
    await intruder.mkdirp(path); // world:anyone, persistent
    expect((await intruder.getAcl(path))[0]?.scheme).toBe('world');
    const held = await new InterProcessMutex(owner, path).acquire({ timeoutMs: 5000 });
    expect(await owner.getAcl(path)).toEqual([{ permissions: Permission.ALL, scheme: 'digest', id: Acls.digest('alice', 'secret').id }]);
    await expect(intruder.delete(held.nodePath)).rejects.toBeInstanceOf(NoAuthError);
    await expect(intruder.create(`${path}/lock-0000000000`)).rejects.toBeInstanceOf(NoAuthError);
    expect(held.signal.aborted).toBe(false);
    await held.release();
    await owner.delete(path).catch(() => undefined);
  });

  it('the parent ACL is checked once per incarnation of the parent: no extra round trip on later joins', async () => {
    class CountingClient extends ZkClient {
      aclReads = 0;
      override getAcl(...args: Parameters<ZkClient['getAcl']>) {
        this.aclReads++;
        return super.getAcl(...args);
      }
    }
    const owner = new CountingClient({ connectString: server.connectString, ...alice });
    clients.push(owner);
    await owner.start();
    const path = `/steady/orders-${Date.now()}`;
    const mutex = new InterProcessMutex(owner, path);
    const first = await mutex.acquire();
    // created while our lock node holds the container, so the reaper cannot take the parent in between;
    // a child that sorts after lock nodes keeps the container from being reaped
    await owner.create(`${path}/keep`);
    await first.release();
    for (let i = 0; i < 5; i++) await (await mutex.acquire({ timeoutMs: 5000 })).release();
    expect(owner.aclReads).toBe(1);
    await owner.delete(`${path}/keep`);
  });

  it('a foreign parent we may not repair, or a node planted under it, is refused with AclMismatchError and nothing of ours is left', async () => {
    const owner = await client(alice);
    const intruder = await client();
    // an open parent with a node planted in it before we came
    const planted = `/guarded/planted-${Date.now()}`;
    await intruder.mkdirp(planted);
    await intruder.create(`${planted}/_c_00000000-0000-0000-0000-000000000000-lock-0000000000`);
    const refused = await new InterProcessMutex(owner, planted).acquire({ timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AclMismatchError);
    expect((refused as AclMismatchError).message).toMatch(/namespace/);
    expect((refused as AclMismatchError).message).not.toMatch(/secret/);
    // a parent whose ACL gives everyone all but ADMIN: we cannot repair it
    const locked = `/guarded/no-admin-${Date.now()}`;
    await intruder.create(locked, null, { acl: [Acls.world(Permission.ALL & ~Permission.ADMIN)] });
    const error = await new InterProcessMutex(owner, locked).acquire({ timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AclMismatchError);
    await expect.poll(async () => (await owner.getChildren(locked)).children, { timeout: 5000 }).toEqual([]);
    for (const p of [`${planted}/_c_00000000-0000-0000-0000-000000000000-lock-0000000000`, planted, locked])
      await intruder.delete(p).catch(() => undefined);
  });

  it('a large reply trickling through a slow link is not a silent server: 900 KB at 200 KB/s, read timeout 2 s', async () => {
    const writer = await client({ namespace: '/slow' });
    const big = Buffer.alloc(900 * 1024, 7);
    await writer.create('/big', big);
    const proxy = await FaultProxy.start(server.connectString);
    try {
      const reader = await client({ connectString: proxy.connectString, namespace: '/slow', sessionTimeoutMs: 3000 });
      let suspended = 0;
      reader.on('state', (state) => {
        if (state === 'SUSPENDED') suspended++;
      });
      proxy.throttle(200 * 1024);
      const started = Date.now();
      const { data } = await reader.getData('/big', { timeoutMs: 20_000 });
      expect(data?.length).toBe(big.length);
      expect(Date.now() - started).toBeGreaterThan(2000); // it really took longer than the read timeout
      expect(suspended).toBe(0); // the watchdog never took the link for dead
      proxy.throttle(undefined);
    } finally {
      await proxy.close();
      await writer.delete('/big');
    }
  }, 60_000);
});
