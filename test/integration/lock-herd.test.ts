/**
 * No herd effect: each waiter watches only its predecessor, so a release wakes exactly one.
 * Runs on a dedicated server so the server's watch counts are ours alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InterProcessMutex, ZkClient } from '../../recipes/index.js';
import { fourLetterWord, monitor, TestingServer } from '../../src/testing/index.js';
import { eventually } from '../support/locks.js';
import { faultsSkipReason } from '../support/zk.js';

/** Counts the child listings each waiter makes: a woken waiter re-lists, a sleeping one does not. */
class CountingClient extends ZkClient {
  listings = 0;
  override getChildren(...args: Parameters<ZkClient['getChildren']>) {
    this.listings++;
    return super.getChildren(...args);
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

/** Watch notifications the server has sent for deletions (mntr). */
async function watchNotifications(port: number): Promise<number> {
  return Number((await monitor('127.0.0.1', port)).zk_sum_node_deleted_watch_count ?? Number.NaN);
}

async function totalWatches(port: number): Promise<number> {
  const text = await fourLetterWord('127.0.0.1', port, 'wchs');
  return Number(/Total watches:(\d+)/.exec(text)?.[1] ?? Number.NaN);
}

describe.skipIf(faultsSkipReason)('herd check', () => {
  it('50 waiters: each holds exactly one watch, and one release wakes exactly one waiter', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const make = async () => {
      const c = new CountingClient({ connectString: server.connectString, sessionTimeoutMs: 4000, namespace: '/herd' });
      cleanups.push(() => c.close());
      await c.start();
      return c;
    };
    const holderClient = await make();
    const holder = await new InterProcessMutex(holderClient, '/lock').acquire();
    const waiters = await Promise.all(Array.from({ length: 50 }, make));
    const acquired: number[] = [];
    const leases = waiters.map((c, i) =>
      new InterProcessMutex(c, '/lock').acquire().then((lease) => {
        acquired.push(i);
        return lease;
      }),
    );
    await eventually(() => waiters.every((w) => w.pendingWatchCount === 1), 30_000, 'every waiter watching');
    expect(waiters.map((w) => w.pendingWatchCount)).toEqual(Array(50).fill(1));
    for (const lease of leases) lease.catch(() => undefined); // a failed test closes clients under waiters
    // Listeners are registered just before the request, so wait for the server to agree.
    await eventually(async () => (await totalWatches(server.port)) === 50, 10_000, 'server holds 50 watches');

    const queue = (await new InterProcessMutex(holderClient, '/lock').getParticipantNodes()).slice(1);
    const before = waiters.map((w) => w.listings);
    const notificationsBefore = await watchNotifications(server.port);
    await holder.release();
    await eventually(() => acquired.length === 1, 10_000, 'one waiter acquired');
    // Give any wrongly woken waiter time to re-list (this waits for quiet; it asserts no speed).
    await new Promise((r) => setTimeout(r, 500));
    // The server sent exactly one watch notification, and no other waiter stirred.
    expect((await watchNotifications(server.port)) - notificationsBefore).toBe(1);
    const stirred = waiters.filter((w, i) => i !== acquired[0] && w.listings > (before[i] ?? 0));
    expect(stirred).toHaveLength(0);
    // And the woken one took over without re-listing: its predecessor was the only node ahead.
    expect(waiters[acquired[0]!]!.listings).toBe(before[acquired[0]!]);
    expect(acquired).toHaveLength(1);
    expect(await totalWatches(server.port)).toBe(49);

    // Drain: release in the order the lock was granted; it must be the queue's order.
    for (let k = 0; k < waiters.length; k++) {
      await eventually(() => acquired.length > k, 10_000, `waiter #${k} acquired`);
      const lease = await leases[acquired[k]!]!;
      expect(lease.nodePath).toBe(queue[k]);
      await lease.release();
    }
  });
});
