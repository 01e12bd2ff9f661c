import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidPathError, LeaderLatch, LeadershipTimeoutError, type ZkClient } from '../../recipes/index.js';
import { eventually, expectNothingLeft, expectReaped } from '../support/locks.js';
import { LeadershipRecorder } from '../support/leadership.js';
import { useTestNamespace } from '../support/zk.js';

describe('LeaderLatch (real server)', () => {
  const ns = useTestNamespace();
  const latches: LeaderLatch[] = [];
  afterEach(async () => {
    await Promise.all(latches.splice(0).map((l) => l.close()));
    await expectNothingLeft(ns());
  });

  async function startLatches(
    n: number,
    path = '/election',
  ): Promise<{ clients: ZkClient[]; list: LeaderLatch[]; recorder: LeadershipRecorder }> {
    const clients = await Promise.all(Array.from({ length: n }, () => ns().client()));
    const recorder = new LeadershipRecorder();
    const list: LeaderLatch[] = [];
    for (const [i, client] of clients.entries()) {
      const latch = new LeaderLatch(client, path, { id: `p${i}` });
      recorder.track(`p${i}`, latch);
      latches.push(latch);
      list.push(latch);
      await latch.start(); // join in order
    }
    return { clients, list, recorder };
  }

  it('5 latches: one leader at a time, handed over in join order; getLeader agrees everywhere', async () => {
    const { list, recorder } = await startLatches(5);
    for (let round = 0; round < 5; round++) {
      const expected = `p${round}`;
      await eventually(() => recorder.leaders().length === 1 && recorder.leaders()[0] === expected, 10_000, `${expected} leads`);
      const views = await Promise.all(list.slice(round).map((l) => l.getLeader()));
      expect(views.map((v) => v?.id)).toEqual(Array(5 - round).fill(expected));
      await list[round]!.close({ closeMode: 'notifyLeader' }); // so the recorder sees the term end
    }
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.overlappingIntervals()).toEqual([]);
    expect(recorder.intervals.map((i) => i.who)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it("writes Curator's nodes: _c_<uuid>-latch-<seq> with the id as UTF-8 data", async () => {
    const { clients, list } = await startLatches(2);
    expect(list[0]!.nodePath).toMatch(/^\/election\/_c_[0-9a-f-]{36}-latch-\d{10}$/);
    expect((await clients[0]!.getData(list[0]!.nodePath!)).data.toString()).toBe('p0');
    const participants = await list[1]!.getParticipants();
    expect(participants.map((p) => [p.id, p.isLeader])).toEqual([
      ['p0', true],
      ['p1', false],
    ]);
  });

  it('awaitLeadership resolves for the leader, times out or aborts for a follower', async () => {
    const { list } = await startLatches(2);
    await list[0]!.awaitLeadership({ timeoutMs: 10_000 });
    await expect(list[1]!.awaitLeadership({ timeoutMs: 100 })).rejects.toBeInstanceOf(LeadershipTimeoutError);
    const controller = new AbortController();
    const waiting = list[1]!.awaitLeadership({ signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
    const next = list[1]!.awaitLeadership({ timeoutMs: 10_000 });
    await list[0]!.close();
    await next;
  });

  it("closeMode 'notifyLeader' emits notLeader on close; 'silent' does not", async () => {
    const { list } = await startLatches(1);
    await list[0]!.awaitLeadership({ timeoutMs: 10_000 });
    let notified = 0;
    list[0]!.on('notLeader', () => notified++);
    await list[0]!.close({ closeMode: 'notifyLeader' });
    expect(notified).toBe(1);
    const silent = new LeaderLatch(await ns().client(), '/election2');
    latches.push(silent);
    await silent.start();
    await silent.awaitLeadership({ timeoutMs: 10_000 });
    let silentNotified = 0;
    silent.on('notLeader', () => silentNotified++);
    await silent.close();
    expect(silentNotified).toBe(0);
  });

  it('changes() yields the current leadership and then every change', async () => {
    const { list } = await startLatches(2);
    await list[0]!.awaitLeadership({ timeoutMs: 10_000 });
    const controller = new AbortController();
    const seen: boolean[] = [];
    const reading = (async () => {
      for await (const leader of list[1]!.changes({ signal: controller.signal })) {
        seen.push(leader);
        if (seen.length === 2) controller.abort();
      }
    })();
    await list[0]!.close();
    await reading;
    expect(seen).toEqual([false, true]);
  });

  it('close() leaves no node and no listener behind; start twice is refused', async () => {
    const client = await ns().client();
    const latch = new LeaderLatch(client, '/election');
    await latch.start();
    await expect(latch.start()).rejects.toBeInstanceOf(InvalidArgumentError);
    await latch.awaitLeadership({ timeoutMs: 10_000 });
    await latch.close();
    await latch.close();
    expect(latch.hasLeadership()).toBe(false);
    expect(client.pendingWatchCount).toBe(0);
    await expectReaped(client, '/election'); // an empty container: the server reaps it
  });

  it('closing the client under a running latch steps it down and ends it quietly (no error spin)', async () => {
    const a = await ns().client();
    const latch = new LeaderLatch(a, '/election');
    latches.push(latch);
    const errors: unknown[] = [];
    let notLeader = 0;
    latch.on('error', (e) => errors.push(e));
    latch.on('notLeader', () => notLeader++);
    await latch.start();
    await latch.awaitLeadership({ timeoutMs: 10_000 });
    await a.close();
    expect(latch.hasLeadership()).toBe(false);
    expect(notLeader).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(errors).toEqual([]);
    await latch.close();
    // The node died with the session; the container parent is then reaped by the server.
    const b = await ns().client();
    await expectReaped(b, '/election');
  });

  it('bad input gets typed errors', async () => {
    const client = await ns().client();
    expect(() => new LeaderLatch(client, 'x')).toThrow(InvalidPathError);
    expect(() => new LeaderLatch(client, '/x', { id: 5 as never })).toThrow(InvalidArgumentError);
    expect(() => new LeaderLatch(client, '/x', { closeMode: 'loud' as never })).toThrow(InvalidArgumentError);
    await expect(new LeaderLatch(client, '/x').awaitLeadership()).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
