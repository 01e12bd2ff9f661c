/**
 * Issue 13, items 1–3: at the edge of a session. A wait issued while SUSPENDED (or from a LOST
 * listener) whose create runs in the next session; a selector across a long partition; re-entry
 * and downgrade on a hold whose session is gone. Each on servers of its own.
 */
import { describe, expect, it } from 'vitest';
import {
  ConnectionState,
  InterProcessMutex,
  InterProcessReadWriteLock,
  InterProcessSemaphoreV2,
  type Lease,
  LeaderSelector,
  OwnershipLostError,
  type ZkClient,
} from '../../recipes/index.js';
import { expireSession } from '../../src/testing/index.js';
import { eventually } from '../support/locks.js';
import { startRig, useCleanups } from '../support/rig.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const track = useCleanups();
const setup = () => startRig(track, { sessionTimeoutMs: 2000, namespace: '/edge' });

type Acquirer = (client: ZkClient) => {
  acquire: (timeoutMs?: number) => Promise<Lease>;
  participants: () => Promise<string[]>;
  /** Makes the queue's parent exist, so the create is the request that waits for the connection. */
  prepare?: () => Promise<void>;
};

const recipes: [string, Acquirer][] = [
  [
    'InterProcessMutex',
    (c) => {
      const m = new InterProcessMutex(c, '/lock');
      return { acquire: (timeoutMs) => m.acquire({ timeoutMs }), participants: () => m.getParticipantNodes() };
    },
  ],
  [
    'write lock',
    (c) => {
      const w = new InterProcessReadWriteLock(c, '/lock').writeLock();
      return { acquire: (timeoutMs) => w.acquire({ timeoutMs }), participants: () => w.getParticipantNodes() };
    },
  ],
  [
    'semaphore (internal lock node)',
    (c) => {
      const s = new InterProcessSemaphoreV2(c, '/lock', { maxLeases: 1 });
      return {
        acquire: async (timeoutMs) => (await s.acquire({ timeoutMs }))[0] as Lease,
        participants: async () => (await c.getChildren('/lock/locks').catch(() => ({ children: [] }))).children,
        prepare: () => c.mkdirp('/lock/locks'),
      };
    },
  ],
];

describe.skipIf(faultsSkipReason)('correct at the session boundary (dedicated servers)', () => {
  for (const [name, make] of recipes) {
    it(`${name}: an acquire issued while SUSPENDED whose create runs in the next session leaves no ghost`, async () => {
      const { proxy, client } = await setup();
      const a = await client(true);
      const b = await client(false);
      await make(b).prepare?.();
      proxy.pause();
      await waitForState(a, ConnectionState.SUSPENDED);
      const oldSession = a.sessionId;
      const waiting = make(a)
        .acquire(20_000)
        .then(
          (lease) => ({ lease }),
          (error: unknown) => ({ error }),
        );
      await waitForState(a, ConnectionState.LOST);
      proxy.resume();
      await waitForState(a, ConnectionState.RECONNECTED);
      expect(a.sessionId).not.toBe(oldSession);
      const outcome = await waiting;
      // Granted in the new session (or, at worst, rejected) — but never a node nobody owns.
      if ('lease' in outcome) await outcome.lease.release();
      await eventually(async () => (await make(b).participants()).length === 0, 5_000, 'no node of the stuck acquire left');
      const other = await make(b).acquire(5_000);
      await other.release();
      const again = await make(a).acquire(5_000);
      await again.release();
    });
  }

  it('an acquire from a LOST listener (create in the new session) is granted and leaves nothing behind', async () => {
    const { client } = await setup();
    const a = await client(false);
    const b = await client(false);
    const mutex = new InterProcessMutex(a, '/lock');
    const fromListener = new Promise<Lease>((resolve, reject) => {
      const off = a.on('state', (s) => {
        if (s !== ConnectionState.LOST) return;
        off();
        mutex.acquire({ timeoutMs: 10_000 }).then(resolve, reject);
      });
    });
    await expireSession(a);
    const lease = await fromListener;
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
    const other = await new InterProcessMutex(b, '/lock').acquire({ timeoutMs: 5_000 });
    await other.release();
  });

  it('LeaderSelector: a follower partitioned past its session leads again once healed', async () => {
    const { proxy, client } = await setup();
    const a = await client(true);
    const b = await client(false);
    const leading = new Set<string>();
    const make = (c: ZkClient, id: string) => {
      const s = new LeaderSelector(c, '/election', {
        id,
        autoRequeue: true,
        takeLeadership: async (signal) => {
          leading.add(id);
          await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
          leading.delete(id);
        },
      });
      s.on('error', () => undefined);
      track(() => s.close());
      s.start();
      return s;
    };
    const sb = make(b, 'b');
    await eventually(() => leading.has('b'), 10_000, 'b leads');
    const sa = make(a, 'a');
    await eventually(async () => (await sa.getParticipants()).length === 2, 10_000, 'a queued');
    proxy.pause(); // a's session expires on the server while it waits
    await waitForState(a, ConnectionState.LOST);
    await new Promise((r) => setTimeout(r, 2000)); // a keeps trying while cut off
    proxy.resume();
    await waitForState(a, ConnectionState.RECONNECTED);
    await new Promise((r) => setTimeout(r, 1000));
    await sb.close();
    await eventually(() => leading.has('a'), 3 * 2000, 'a leads within a few session timeouts');
    expect((await sa.getParticipants()).length).toBe(1);
  });

  it('re-entry and downgrade are refused on a hold whose session was lost (OwnershipLostError)', async () => {
    const { client } = await setup();
    const a = await client(false);
    const b = await client(false);
    const rwA = new InterProcessReadWriteLock(a, '/rw');
    const mutexA = new InterProcessMutex(a, '/m');
    await mutexA.using(async (held) => {
      await rwA.writeLock().using(async (write) => {
        await expireSession(a);
        expect(write.signal.aborted).toBe(true);
        expect(held.signal.aborted).toBe(true);
        const bWrite = await new InterProcessReadWriteLock(b, '/rw').writeLock().acquire({ timeoutMs: 5_000 });
        // Downgrade on the strength of a lost write hold: refused while B holds the write lock.
        await expect(rwA.readLock().acquire({ timeoutMs: 1_000 })).rejects.toBeInstanceOf(OwnershipLostError);
        // Re-entry into a lost mutex hold: refused, nothing granted.
        await expect(mutexA.acquire()).rejects.toBeInstanceOf(OwnershipLostError);
        await expect(rwA.writeLock().acquire()).rejects.toBeInstanceOf(OwnershipLostError);
        await bWrite.release();
      });
    });
    expect(await new InterProcessMutex(b, '/m').getParticipantNodes()).toEqual([]);
  });
});
