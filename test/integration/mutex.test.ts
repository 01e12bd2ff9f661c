import { afterEach, describe, expect, it } from 'vitest';
import { InterProcessMutex, InvalidArgumentError, type OwnershipLostError, revoke, ZkClient } from '../../recipes/index.js';
import { localAddressBytes } from '../../src/zookeeper/node-data.js';
import { TestingServer } from '../../src/testing/index.js';
import { eventually, expectNothingLeft } from '../support/locks.js';
import { useCleanups } from '../support/rig.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

/**
 * A client of a server of its own whose container reaper runs at its default pace (every 60 s):
 * the shared test server reaps empty lock parents within 100 ms, which would race any check that
 * a parent is kept.
 */
async function clientOfSlowReaper(track: (cleanup: () => Promise<unknown>) => void): Promise<ZkClient> {
  const server = await TestingServer.start({ tickTimeMs: 200 });
  track(() => server.stop());
  const client = new ZkClient({ connectString: server.connectString });
  track(() => client.close());
  await client.start();
  return client;
}

describe('InterProcessMutex specifics (real server)', () => {
  const ns = useTestNamespace();
  const track = useCleanups();
  afterEach(async () => {
    await expectNothingLeft(ns());
  });

  it("creates Curator's node: _c_<uuid>-lock-<10 digits>, data = this host's address", async () => {
    const client = await ns().client();
    await new InterProcessMutex(client, '/m').using(async (lease) => {
      expect(lease.nodePath).toMatch(/^\/m\/_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-lock-\d{10}$/);
      const { data, stat } = await client.getData(lease.nodePath);
      expect(data.equals(localAddressBytes())).toBe(true);
      expect(stat.ephemeralOwner).toBe(client.sessionId);
    });
  });

  it('custom node data is written as given', async () => {
    const client = await ns().client();
    await new InterProcessMutex(client, '/m', { data: Buffer.from('worker-7') }).using(async (lease) => {
      expect((await client.getData(lease.nodePath)).data.toString()).toBe('worker-7');
    });
  });

  it.skipIf(faultsSkipReason)('removeEmptyParent: false keeps the parent after the last contender leaves', async () => {
    const client = await clientOfSlowReaper(track);
    await new InterProcessMutex(client, '/kept', { removeEmptyParent: false }).using(() => undefined);
    expect(await client.exists('/kept')).not.toBeNull();
    await client.delete('/kept');
  });

  it.skipIf(faultsSkipReason)('removeEmptyParent { afterMs }: the parent goes only after the queue has been idle that long', async () => {
    const client = await clientOfSlowReaper(track);
    const mutex = new InterProcessMutex(client, '/lazy', { removeEmptyParent: { afterMs: 300 } });
    await mutex.using(() => undefined);
    expect(await client.exists('/lazy')).not.toBeNull(); // kept for now: the next cycle saves two writes
    await mutex.using(() => undefined); // busy again within the window: still kept
    expect(await client.exists('/lazy')).not.toBeNull();
    await eventually(async () => (await client.exists('/lazy')) === null, 10_000, 'parent removed after idling');
    expect(() => new InterProcessMutex(client, '/x', { removeEmptyParent: { afterMs: -1 } })).toThrow(InvalidArgumentError);
  });

  it("an operator deleting a held node aborts the holder's lease signal, and nobody hangs", async () => {
    const [a, b, operator] = await Promise.all([ns().client(), ns().client(), ns().client()]);
    const lease = await new InterProcessMutex(a, '/m').acquire();
    const signal = lease.signal; // reading the signal starts the watch on our node
    const waiting = new InterProcessMutex(b, '/m').acquire({ timeoutMs: 10_000 });
    await eventually(async () => (await new InterProcessMutex(operator, '/m').getParticipantNodes()).length === 2);
    await operator.delete(lease.nodePath);
    await eventually(() => signal.aborted, 10_000, 'signal aborted');
    expect((signal.reason as OwnershipLostError).state).toBe('DELETED');
    const next = await waiting;
    await next.release();
    await lease.release(); // the node is gone already; releasing is still clean
    expect(a.pendingWatchCount).toBe(0);
  });

  it('a lock parent full of foreign children (no sequence suffix, malformed names) still works and excludes', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    await a.mkdirp('/m');
    for (const name of ['foreign', 'lock-', 'lock-notanumber', '_c_not-a-uuid-lock-12', 'zzz-0000000001'])
      await a.create(`/m/${name}`, null);
    const lease = await new InterProcessMutex(a, '/m', { removeEmptyParent: false }).acquire({ timeoutMs: 5000 });
    expect(await new InterProcessMutex(b, '/m').tryAcquire()).toBeNull();
    const waiting = new InterProcessMutex(b, '/m', { removeEmptyParent: false }).acquire({ timeoutMs: 10_000 });
    await lease.release();
    await (await waiting).release();
    for (const name of (await a.getChildren('/m')).children) await a.delete(`/m/${name}`);
    await a.delete('/m');
  });

  it('lists participants in queue order; the first holds the lock', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const ma = new InterProcessMutex(a, '/m');
    const held = await ma.acquire();
    const waiting = new InterProcessMutex(b, '/m').acquire();
    await eventually(async () => (await ma.getParticipantNodes()).length === 2);
    const nodes = await ma.getParticipantNodes();
    expect(nodes[0]).toBe(held.nodePath);
    await held.release();
    const next = await waiting;
    expect(next.nodePath).toBe(nodes[1]);
    await next.release();
  });

  it('revocation: revoke() reaches the holder’s listener (nodes are created with empty data)', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const mutex = new InterProcessMutex(a, '/m');
    let revoked: Promise<void> | undefined;
    mutex.makeRevocable((lease) => {
      revoked = lease.release();
    });
    const lease = await mutex.acquire();
    expect((await a.getData(lease.nodePath)).data.length).toBe(0);
    const rival = new InterProcessMutex(b, '/m');
    const waiting = rival.acquire({ timeoutMs: 10_000 });
    await revoke(b, lease.nodePath);
    const next = await waiting;
    await revoked;
    expect(lease.released).toBe(true);
    await next.release();
    await revoke(b, lease.nodePath); // a vanished node is fine
  });

  it('a holder that never made its lock revocable ignores revoke()', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const lease = await new InterProcessMutex(a, '/m').acquire();
    await revoke(b, lease.nodePath);
    expect(await new InterProcessMutex(b, '/m').tryAcquire()).toBeNull();
    await lease.release();
  });
});
