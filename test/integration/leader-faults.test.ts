/**
 * Leader election under faults, on servers of its own: real session expiry, a paused link, and
 * the loss of an ensemble member. "Never two leaders" is checked at every isLeader event and over
 * the recorded leadership intervals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionState, LeaderLatch, ZkClient, type ZkClientOptions } from '../../recipes/index.js';
import { expireSession, FaultProxy, fourLetterWord, TestingCluster, TestingServer } from '../../src/testing/index.js';
import { LeadershipRecorder } from '../support/leadership.js';
import { eventually } from '../support/locks.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function makeClient(connectString: string, options: Partial<ZkClientOptions> = {}): Promise<ZkClient> {
  const c = new ZkClient({ connectString, sessionTimeoutMs: 2000, namespace: '/le', ...options });
  cleanups.push(() => c.close());
  await c.start();
  return c;
}

async function latch(client: ZkClient, id: string, recorder: LeadershipRecorder): Promise<LeaderLatch> {
  const l = new LeaderLatch(client, '/election', { id });
  recorder.track(id, l);
  cleanups.push(() => l.close());
  await l.start();
  return l;
}

describe.skipIf(faultsSkipReason)('leader election under faults (dedicated servers)', () => {
  it("the leader's session expires → notLeader, another takes over, the old one rejoins as a follower with a new node", async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const recorder = new LeadershipRecorder();
    const [ca, cb] = [await makeClient(server.connectString), await makeClient(server.connectString)];
    const a = await latch(ca, 'a', recorder);
    const b = await latch(cb, 'b', recorder);
    await a.awaitLeadership({ timeoutMs: 10_000 });
    const oldNode = a.nodePath;
    let aNotLeader = 0;
    a.on('notLeader', () => aNotLeader++);
    await expireSession(ca);
    await b.awaitLeadership({ timeoutMs: 15_000 });
    expect(aNotLeader).toBeGreaterThanOrEqual(1);
    await waitForState(ca, ConnectionState.RECONNECTED);
    await eventually(() => a.nodePath !== undefined && a.nodePath !== oldNode, 15_000, 'a rejoined with a new node');
    const participants = await b.getParticipants();
    expect(participants.map((p) => [p.id, p.isLeader])).toEqual([
      ['b', true],
      ['a', false],
    ]);
    expect(a.hasLeadership()).toBe(false);
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.overlappingIntervals()).toEqual([]);
  });

  it('standard policy: a leader whose link is paused steps down while SUSPENDED, before anyone else is elected', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const recorder = new LeadershipRecorder();
    const ca = await makeClient(proxy.connectString);
    const cb = await makeClient(server.connectString);
    const a = await latch(ca, 'a', recorder);
    const b = await latch(cb, 'b', recorder);
    await a.awaitLeadership({ timeoutMs: 10_000 });
    let suspendedAt = 0;
    let aSteppedDownAt = 0;
    ca.on('state', (s) => {
      if (s === ConnectionState.SUSPENDED) suspendedAt = Date.now();
    });
    a.on('notLeader', () => {
      aSteppedDownAt = Date.now();
    });
    proxy.pause();
    await b.awaitLeadership({ timeoutMs: 20_000 });
    const bLeaderAt = Date.now();
    expect(suspendedAt).toBeGreaterThan(0);
    expect(aSteppedDownAt).toBeGreaterThan(0);
    expect(aSteppedDownAt).toBeLessThanOrEqual(bLeaderAt);
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.overlappingIntervals()).toEqual([]);
    proxy.resume();
    await waitForState(ca, ConnectionState.RECONNECTED, 20_000);
    await eventually(async () => (await b.getParticipants()).length === 2, 15_000, 'a rejoined');
    expect(a.hasLeadership()).toBe(false);
    expect(recorder.leaders()).toEqual(['b']);
  });

  it('3-server ensemble: killing the leader’s server keeps the session; leadership is kept or regained, never doubled', async () => {
    const cluster = await TestingCluster.start({ size: 3 });
    cleanups.push(() => cluster.stop());
    const recorder = new LeadershipRecorder();
    const ca = await makeClient(cluster.connectString, { sessionTimeoutMs: 4000 });
    const cb = await makeClient(cluster.connectString, { sessionTimeoutMs: 4000 });
    const a = await latch(ca, 'a', recorder);
    await latch(cb, 'b', recorder);
    await a.awaitLeadership({ timeoutMs: 10_000 });
    const session = ca.sessionId!;
    let index = -1;
    for (let i = 0; i < cluster.size && index < 0; i++) {
      const cons = await fourLetterWord('127.0.0.1', cluster.portOf(i), 'cons');
      if (cons.includes(`sid=${session}`)) index = i; // the id as the server writes it
    }
    expect(index).toBeGreaterThanOrEqual(0);
    await cluster.kill(index);
    await waitForState(ca, ConnectionState.RECONNECTED, 30_000);
    expect(ca.sessionId).toBe(session);
    await a.awaitLeadership({ timeoutMs: 15_000 });
    expect(recorder.leaders()).toEqual(['a']);
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.overlappingIntervals()).toEqual([]);
  });
});
