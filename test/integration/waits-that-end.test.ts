/**
 * Issue 13, items 6–9: a latch's waits end when it (or its client) closes; an abandoned barrier
 * enter never counts as a member (wait-deadlines.test.ts); two all-or-none semaphore acquirers never deadlock; a
 * semaphore whose count source is 0 waits for it to rise. On the shared server.
 */
import { describe, expect, it } from 'vitest';
import {
  ClientClosedError,
  ClientNotStartedError,
  InterProcessSemaphoreV2,
  InvalidArgumentError,
  LeaderLatch,
  RecipeClosedError,
  SharedCount,
  ZkClient,
} from '../../recipes/index.js';
import { expectNothingLeft } from '../support/locks.js';
import { warningsDuring } from '../support/warnings.js';
import { sharedConnectString, useTestNamespace } from '../support/zk.js';

describe('waits that end: latches, barriers, semaphores (real server)', () => {
  const ns = useTestNamespace();

  it("LeaderLatch: a follower's awaitLeadership() and changes() end when the latch closes", async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const leader = new LeaderLatch(a, '/latch');
    await leader.start();
    await leader.awaitLeadership({ timeoutMs: 5_000 });
    const follower = new LeaderLatch(b, '/latch');
    await follower.start();
    const waiting = follower.awaitLeadership().catch((e: unknown) => e);
    const seen: boolean[] = [];
    const iterating = (async () => {
      for await (const leads of follower.changes()) seen.push(leads);
    })();
    await follower.close();
    expect(await waiting).toBeInstanceOf(RecipeClosedError);
    await iterating; // ends
    expect(seen).toEqual([false]);
    await leader.close();
    await expectNothingLeft(ns());
  });

  it("LeaderLatch: a follower's waits end when the client closes", async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const leader = new LeaderLatch(a, '/latch');
    await leader.start();
    await leader.awaitLeadership({ timeoutMs: 5_000 });
    const follower = new LeaderLatch(b, '/latch');
    await follower.start();
    const waiting = follower.awaitLeadership().catch((e: unknown) => e);
    const iterating = (async () => {
      for await (const _ of follower.changes());
    })();
    await b.close();
    expect(await waiting).toBeInstanceOf(ClientClosedError);
    await iterating;
    expect(follower.hasLeadership()).toBe(false);
    await leader.close();
  });

  it('LeaderLatch: start() rejects before client.start() (no warnings) and after client.close(); a huge id is refused up front', async () => {
    const notStarted = new ZkClient({ connectString: sharedConnectString() });
    const warnings = await warningsDuring(async () => {
      await expect(new LeaderLatch(notStarted, '/latch').start()).rejects.toBeInstanceOf(ClientNotStartedError);
    });
    expect(warnings).toEqual([]);
    await notStarted.close();
    const closed = await ns().client();
    await closed.close();
    await expect(new LeaderLatch(closed, '/latch').start()).rejects.toBeInstanceOf(ClientClosedError);
    const client = await ns().client();
    expect(() => new LeaderLatch(client, '/latch', { id: 'x'.repeat(2 * 1024 * 1024) })).toThrow(InvalidArgumentError);
    await expectNothingLeft(ns());
  });

  it('InterProcessSemaphoreV2: two acquirers of qty 2 on maxLeases 2 never deadlock', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const semaphores = [a, b].map((c) => new InterProcessSemaphoreV2(c, '/sem', { maxLeases: 2 }));
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        semaphores.map((s) =>
          s.using(
            async (leases) => {
              expect(leases).toHaveLength(2);
              await new Promise((r) => setTimeout(r, 20));
            },
            { qty: 2, timeoutMs: 10_000 },
          ),
        ),
      );
      expect(results).toHaveLength(2);
    }
    await expectNothingLeft(ns());
  });

  it('InterProcessSemaphoreV2: a count source at 0 makes acquire wait until the count rises', async () => {
    const client = await ns().client();
    const count = new SharedCount(client, '/seats', 0);
    await count.start();
    const semaphore = new InterProcessSemaphoreV2(client, '/sem', { count });
    await expect(semaphore.acquire({ timeoutMs: 300 })).rejects.toThrow(/Timed out/);
    const waiting = semaphore.acquire({ qty: 2, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    await count.setCount(2);
    const leases = await waiting;
    expect(leases).toHaveLength(2);
    await semaphore.returnAll(leases);
    await count.close();
  });
});
