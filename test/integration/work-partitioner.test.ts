/**
 * WorkPartitioner on a real ZooKeeper 3.8: every partition has exactly one owner, shares are
 * balanced, membership changes move only what balance needs, a lost owner's partitions are
 * taken over with a larger fencing token, and nothing is left behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionState,
  InvalidArgumentError,
  InterProcessMutex,
  inspectRecipe,
  type Lease,
  RecipeClosedError,
  WaitTimeoutError,
  WorkPartitioner,
  ZkClient,
} from '../../recipes/index.js';
import { expireSession, TestingServer } from '../../src/testing/index.js';
import { eventually, expectNothingLeft } from '../support/locks.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

/** Who owns what, by asking each partitioner; fails the test if two own one partition. */
function owners(partitioners: WorkPartitioner[]): Map<string, string> {
  const byPartition = new Map<string, string>();
  for (const p of partitioners) {
    for (const partition of p.owned().keys()) {
      expect(byPartition.has(partition), `${partition} owned by ${byPartition.get(partition)} and ${p.id}`).toBe(false);
      byPartition.set(partition, p.id);
    }
  }
  return byPartition;
}

/** Records every assigned/revoked, and checks the exclusion live: never two holders of a partition. */
function track(partitioners: WorkPartitioner[]) {
  const holder = new Map<string, string>();
  const log: string[] = [];
  const violations: string[] = [];
  for (const p of partitioners) {
    p.on('assigned', (partition) => {
      const other = holder.get(partition);
      if (other !== undefined) violations.push(`${partition}: ${p.id} while ${other}`);
      holder.set(partition, p.id);
      log.push(`+${partition}@${p.id}`);
    });
    p.on('revoked', (partition, reason) => {
      if (holder.get(partition) === p.id) holder.delete(partition);
      log.push(`-${partition}@${p.id}:${reason}`);
    });
  }
  return { log, violations };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

describe('WorkPartitioner (shared server)', () => {
  const ns = useTestNamespace();

  it('three workers split 12 partitions 4/4/4; one leaving moves only its own; one joining takes a share', async () => {
    const make = async (id: string) => new WorkPartitioner(await ns().client(), '/jobs', { id, partitions: 12 });
    const workers = [await make('w1'), await make('w2'), await make('w3')];
    const { violations, log } = track(workers);
    await Promise.all(workers.map((w) => w.start({ timeoutMs: 10_000 })));
    await eventually(() => owners(workers).size === 12 && workers.every((w) => w.state === 'acquired'), 10_000, 'all owned');
    expect(workers.map((w) => w.owned().size)).toEqual([4, 4, 4]);
    expect(Object.fromEntries(owners(workers))).toEqual(Object.fromEntries(workers[0]!.assignment()));
    // inspect (the CLI's view): members, the assignment, one holder per partition's lock.
    const report = await inspectRecipe(workers[0]!.client, '/jobs');
    expect(report.kind).toBe('work-partitioner');
    expect(report.nodes.filter((n) => n.role === 'member').map((n) => n.name)).toEqual(['w1', 'w2', 'w3']);
    expect(report.nodes.filter((n) => n.role === 'holder')).toHaveLength(12);
    expect(JSON.parse(report.nodes.find((n) => n.role === 'assignment')!.data).owners).toEqual(
      Object.fromEntries(workers[0]!.assignment()),
    );

    const before = owners(workers);
    const leaving = workers.pop()!;
    await leaving.close();
    await eventually(() => owners(workers).size === 12 && workers.every((w) => w.state === 'acquired'), 10_000, 'all owned by two');
    const after = owners(workers);
    const movedPartitions = [...after.keys()].filter((p) => before.get(p) !== after.get(p)).sort();
    expect(movedPartitions).toEqual([...before.keys()].filter((p) => before.get(p) === 'w3').sort());
    expect(workers.map((w) => w.owned().size)).toEqual([6, 6]);

    const logBeforeJoin = log.length;
    const joining = await make('w0'); // the smallest id: the new coordinator
    workers.push(joining);
    const joinTrack = track([joining]);
    await joining.start({ timeoutMs: 10_000 });
    await eventually(() => owners(workers).size === 12 && workers.every((w) => w.state === 'acquired'), 10_000, 'all owned by three');
    expect(workers.map((w) => w.owned().size).sort()).toEqual([4, 4, 4]);
    expect(log.slice(logBeforeJoin).filter((e) => e.endsWith(':rebalanced')).length).toBe(4); // exactly the 4 the newcomer needed
    expect(violations).toEqual([]);
    expect(joinTrack.violations).toEqual([]);
    await Promise.all(workers.map((w) => w.close()));
    expect(workers.every((w) => w.state === 'closed' && w.owned().size === 0)).toBe(true);
    await expectNothingLeft(ns()); // the last to leave removes the assignment; the rest are containers
  });

  it('at the edges: close() while waiting on a held partition, a listener that throws, waits that end by their deadline', async () => {
    const [c1, c2] = [await ns().client(), await ns().client()];
    const first = new WorkPartitioner(c1, '/edge', { id: 'a', partitions: 2 });
    const errors: unknown[] = [];
    first.on('error', (error) => errors.push(error));
    first.on('assigned', () => {
      throw new Error('a listener bug');
    });
    await first.start({ timeoutMs: 5000 });
    await first.waitUntilAcquired({ timeoutMs: 5000 });
    expect(first.owned().size).toBe(2); // the throwing listener did not stop it
    expect(errors.map(String)).toEqual(['Error: a listener bug', 'Error: a listener bug']);

    await first.close();

    // A member whose partitions are held (here from outside) waits on their locks; its waits end by
    // their deadlines, and close() mid-wait is prompt and leaves only the outside holder's nodes.
    const outside = await ns().client();
    const held = await Promise.all(['0', '1'].map((p) => new InterProcessMutex(outside, `/edge/locks/${p}`).acquire()));
    const second = new WorkPartitioner(c2, '/edge', { id: 'b', partitions: 2 });
    await second.start({ timeoutMs: 5000 });
    await eventually(() => second.state === 'allocating' && second.assignment().size === 2, 5000, "'b' assigned both, waiting");
    await expect(second.waitUntilAcquired({ timeoutMs: 200 })).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(second.waitUntilAcquired({ signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    const closing = Date.now();
    await second.close();
    expect(Date.now() - closing).toBeLessThan(3000);
    expect(second.state).toBe('closed');
    await expect(second.waitUntilAcquired()).rejects.toBeInstanceOf(RecipeClosedError);
    for (const p of ['0', '1']) expect((await outside.getChildren(`/edge/locks/${p}`)).children).toHaveLength(1); // the holder's only
    for (const lease of held) await lease.release();
    await expectNothingLeft(ns());
  });

  it('bad input gets typed errors before anything is sent', async () => {
    const client = await ns().client();
    expect(() => new WorkPartitioner(client, '/j', { id: 'a/b', partitions: 2 })).toThrow(/member id/);
    expect(() => new WorkPartitioner(client, '/j', { id: 'a', partitions: 0 })).toThrow(/partitions must be/);
    expect(() => new WorkPartitioner(client, '/j', { id: 'a', partitions: ['x', 'x'] })).toThrow(/repeat/);
    expect(() => new WorkPartitioner(client, '/j', { id: 'a', partitions: ['x/y'] })).toThrow(/node name/);
    expect(() => new WorkPartitioner(client, '/j', { id: 'a', partitions: 2, partition: 1 } as never)).toThrow(InvalidArgumentError);
    expect(() => new WorkPartitioner(client, '/j', undefined as never)).toThrow(/needs options/);
    const p = new WorkPartitioner(client, '/j', { id: 'a', partitions: 2 });
    await expect(p.start({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await client.exists('/j')).toBeNull();
    await expectNothingLeft(ns());
  });
});

describe.skipIf(faultsSkipReason)('WorkPartitioner under session expiry (dedicated server)', () => {
  it("an expired worker's partitions go to the others with larger fencing tokens, and its leases abort first", async () => {
    const server = await TestingServer.start({ tickTimeMs: 200 });
    cleanups.push(() => server.stop());
    const clients: ZkClient[] = [];
    const make = async (id: string) => {
      const client = new ZkClient({ connectString: server.connectString, sessionTimeoutMs: 2000, errorPolicy: 'session' });
      clients.push(client);
      cleanups.push(() => client.close());
      await client.start();
      const p = new WorkPartitioner(client, '/shards', { id, partitions: 8 });
      cleanups.push(() => p.close());
      return p;
    };
    const workers = [await make('a'), await make('b')];
    await Promise.all(workers.map((w) => w.start({ timeoutMs: 10_000 })));
    await eventually(() => owners(workers).size === 8 && workers.every((w) => w.state === 'acquired'), 10_000, 'all owned');
    const victim = workers[1]!;
    const leases = new Map<string, Lease>(victim.owned());
    const tokens = new Map<string, bigint>();
    for (const [partition, lease] of leases) tokens.set(partition, await lease.fencingToken());
    expect(leases.size).toBe(4);
    await expireSession(clients[1]!);
    for (const lease of leases.values()) expect(lease.signal.aborted).toBe(true);
    // Lost by the session (LOST) or seen first as the lock node's deletion (DELETED).
    expect([ConnectionState.LOST, 'DELETED']).toContain((leases.values().next().value as Lease).signal.reason.state);
    // The survivor takes everything while the victim is out of the group; the victim then rejoins.
    await eventually(() => owners(workers).size === 8 && workers.every((w) => w.state === 'acquired'), 15_000, 'all owned again');
    // A fenced store (highest token per partition wins) refuses the expired owner's late writes.
    const highest = new Map<string, bigint>();
    const write = (partition: string, token: bigint) => {
      if (token < (highest.get(partition) ?? -1n)) return false;
      highest.set(partition, token);
      return true;
    };
    for (const [partition, oldToken] of tokens) {
      const owner = workers.find((w) => w.owned().has(partition))!;
      const newToken = await owner.owned().get(partition)!.fencingToken();
      expect(newToken).toBeGreaterThan(oldToken);
      expect(write(partition, newToken)).toBe(true);
      expect(write(partition, oldToken)).toBe(false);
    }
  });
});
