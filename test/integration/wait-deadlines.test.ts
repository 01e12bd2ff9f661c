/**
 * Issue 13, items 4–5: every wait settles by its own deadline whatever the connection does, and a
 * state listener that throws neither crashes the process nor stops state handling.
 */
import { describe, expect, it } from 'vitest';
import {
  ConnectionLossError,
  ConnectionState,
  DistributedDoubleBarrier,
  InterProcessMutex,
  InterProcessSemaphoreV2,
  LeaderLatch,
  LockTimeoutError,
  WaitTimeoutError,
  type ZkClient,
  type ZkClientOptions,
} from '../../recipes/index.js';
import { eventually } from '../support/locks.js';
import { startRig, useCleanups } from '../support/rig.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const track = useCleanups();
const setup = (options: Partial<ZkClientOptions> = {}) => startRig(track, { namespace: '/d', ...options });

/** Resolves to [outcome, elapsed ms]. */
async function timed<T>(p: Promise<T>): Promise<[{ value?: T; error?: unknown }, number]> {
  const started = Date.now();
  const outcome = await p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return [outcome, Date.now() - started];
}

describe.skipIf(faultsSkipReason)('waits settle by their own deadline (dedicated servers)', () => {
  it('link paused: acquire({ timeoutMs: 500 }) rejects with LockTimeoutError on time; tryAcquire answers within the operation timeout', async () => {
    // A long session, so the client stays "connected" (it cannot tell yet) for the whole test.
    const { proxy, client } = await setup({ sessionTimeoutMs: 30_000, operationTimeoutMs: 1_500 });
    const a = await client(true);
    const mutex = new InterProcessMutex(a, '/lock');
    const semaphore = new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 2 });
    proxy.pause();
    const [lock, lockMs] = await timed(mutex.acquire({ timeoutMs: 500 }));
    expect(lock.error).toBeInstanceOf(LockTimeoutError);
    expect(lockMs).toBeLessThan(500 + 500 + 400); // the deadline, at most min(1 s, timeoutMs) of clean-up, slack
    const [sem, semMs] = await timed(semaphore.acquire({ timeoutMs: 500 }));
    expect(sem.error).toBeInstanceOf(LockTimeoutError);
    expect(semMs).toBeLessThan(500 + 500 + 400);
    const [tried, triedMs] = await timed(mutex.tryAcquire());
    expect(tried.error).toBeInstanceOf(ConnectionLossError);
    expect(triedMs).toBeLessThan(1_500 + 300); // within the operation timeout
    proxy.resume();
    // Once the link heals, whatever those waits sent is cleaned up and the lock is free.
    const lease = await mutex.acquire({ timeoutMs: 10_000 });
    await eventually(async () => (await mutex.getParticipantNodes()).length === 1, 10_000, 'only our node');
    await lease.release();
  });

  it('server killed: acquire, semaphore, barrier enter and leadership waits all settle by their deadlines', async () => {
    const { server, client } = await setup({ sessionTimeoutMs: 4_000 });
    const a = await client(false);
    const latch = new LeaderLatch(a, '/latch');
    const blocker = await client(false);
    const blockerLatch = new LeaderLatch(blocker, '/latch');
    await blockerLatch.start();
    await blockerLatch.awaitLeadership({ timeoutMs: 5_000 });
    await latch.start();
    track(() => latch.close());
    track(() => blockerLatch.close());
    await server.kill();
    await waitForState(a, ConnectionState.SUSPENDED);
    const results = await Promise.all([
      timed(new InterProcessMutex(a, '/lock').acquire({ timeoutMs: 400 })),
      timed(new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 1 }).acquire({ timeoutMs: 400 })),
      timed(new DistributedDoubleBarrier(a, '/barrier', 2).enter({ timeoutMs: 400 })),
      timed(latch.awaitLeadership({ timeoutMs: 400 })),
    ]);
    for (const [outcome, ms] of results) {
      expect(outcome.error).toBeInstanceOf(Error);
      expect(ms).toBeLessThan(1_500);
    }
    expect(results[0]?.[0].error).toBeInstanceOf(LockTimeoutError);
    expect(results[1]?.[0].error).toBeInstanceOf(LockTimeoutError);
    expect(results[2]?.[0].error).toBeInstanceOf(WaitTimeoutError);
    await server.restart();
  });

  it('DistributedDoubleBarrier: enters abandoned while their creates are in flight leave no member; 2 of 3 real members do not pass', async () => {
    const { proxy, client } = await setup({ sessionTimeoutMs: 30_000 });
    const clients = await Promise.all([client(true), client(true)]);
    const direct = await client(false);
    await direct.mkdirp('/barrier');
    const members = async () => (await direct.getChildren('/barrier')).children.filter((c) => c !== 'ready');
    // The link holds every request: the creates are sent but not yet answered when we give up.
    proxy.pause();
    const attempts: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const barrier = new DistributedDoubleBarrier(clients[i % 2] as ZkClient, '/barrier', 100);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('gave up')), 50);
      attempts.push(barrier.enter(i % 2 === 0 ? { signal: controller.signal } : { timeoutMs: 50 }).catch((e: unknown) => e));
    }
    for (const outcome of await Promise.all(attempts)) expect(outcome).toBeInstanceOf(Error);
    proxy.resume(); // the creates land now
    await eventually(async () => (await members()).length === 0, 10_000, 'no member left by abandoned enters');
    await new Promise((r) => setTimeout(r, 300));
    expect(await members()).toEqual([]);
    const real = [new DistributedDoubleBarrier(clients[0] as ZkClient, '/barrier', 3), new DistributedDoubleBarrier(direct, '/barrier', 3)];
    const entered = await Promise.all(real.map((b) => b.enter({ timeoutMs: 1_000 }).catch((e: unknown) => e)));
    for (const outcome of entered) expect(outcome).toBeInstanceOf(WaitTimeoutError);
  });

  it('a state listener that throws: no crash, the error is reported, state handling goes on', async () => {
    const { proxy, client } = await setup({ sessionTimeoutMs: 4_000 });
    const a = await client(true);
    const reported: unknown[] = [];
    a.on('error', (e) => reported.push(e));
    a.on('state', () => {
      throw new Error('listener bug');
    });
    const lease = await new InterProcessMutex(a, '/lock').acquire();
    const latch = new LeaderLatch(a, '/latch');
    track(() => latch.close());
    await latch.start();
    await latch.awaitLeadership({ timeoutMs: 5_000 });
    const states: string[] = [];
    a.on('state', (s) => states.push(s));
    proxy.pause();
    await waitForState(a, ConnectionState.SUSPENDED);
    expect(lease.signal.aborted).toBe(true);
    expect(latch.hasLeadership()).toBe(false);
    proxy.resume();
    await waitForState(a, ConnectionState.RECONNECTED);
    await latch.awaitLeadership({ timeoutMs: 5_000 });
    expect(states).toEqual([ConnectionState.SUSPENDED, ConnectionState.RECONNECTED]);
    expect(reported.length).toBeGreaterThanOrEqual(2);
    expect((reported[0] as Error).message).toBe('listener bug');
    await lease.release();
  });
});
