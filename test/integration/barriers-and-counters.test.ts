import { afterEach, describe, expect, it } from 'vitest';
import {
  DistributedAtomicLong,
  DistributedBarrier,
  DistributedDoubleBarrier,
  InterProcessSemaphoreV2,
  InvalidArgumentError,
  InvalidPathError,
  SharedCount,
  WaitTimeoutError,
} from '../../recipes/index.js';
import { eventually } from '../support/locks.js';
import { useTestNamespace } from '../support/zk.js';

describe('DistributedBarrier (real server)', () => {
  const ns = useTestNamespace();

  it('releases every waiter at once when removed; waits leave no listener behind', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => ns().client()));
    const coordinator = new DistributedBarrier(clients[0]!, '/gate');
    await coordinator.setBarrier();
    await coordinator.setBarrier(); // idempotent
    let released = 0;
    const waits = clients.slice(1).map((c) => new DistributedBarrier(c, '/gate').waitOnBarrier().then(() => void released++));
    await eventually(() => clients.slice(1).every((c) => c.pendingWatchCount === 1), 10_000, 'waiters watching');
    await new Promise((r) => setTimeout(r, 100));
    expect(released).toBe(0);
    await coordinator.removeBarrier();
    await Promise.all(waits);
    expect(released).toBe(3);
    for (const c of clients) expect(c.pendingWatchCount).toBe(0);
    await coordinator.removeBarrier(); // idempotent
  });

  it('a missing barrier does not block; timeout and abort are typed and clean', async () => {
    const client = await ns().client();
    const barrier = new DistributedBarrier(client, '/gate');
    await barrier.waitOnBarrier({ timeoutMs: 1000 });
    await barrier.setBarrier();
    await expect(barrier.waitOnBarrier({ timeoutMs: 100 })).rejects.toBeInstanceOf(WaitTimeoutError);
    const controller = new AbortController();
    const waiting = barrier.waitOnBarrier({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(client.pendingWatchCount).toBe(0);
    await barrier.removeBarrier();
    expect(() => new DistributedBarrier(client, 'bad')).toThrow(InvalidPathError);
  });
});

describe('DistributedDoubleBarrier (real server)', () => {
  const ns = useTestNamespace();
  afterEach(async () => {
    const left = (await ns().listTree()).filter((p) => p !== '/batch');
    expect(left).toEqual([]);
  });

  it('5 members across clients enter together and leave together', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => ns().client()));
    const arrivals: number[] = [];
    const entered: number[] = [];
    const leaving: number[] = [];
    const left: number[] = [];
    await Promise.all(
      clients.map(async (client, i) => {
        const barrier = new DistributedDoubleBarrier(client, '/batch', 5);
        await new Promise((r) => setTimeout(r, i * 50)); // arrive one by one
        arrivals.push(Date.now());
        await barrier.enter({ timeoutMs: 20_000 });
        entered.push(Date.now());
        await new Promise((r) => setTimeout(r, 20 * (5 - i))); // finish work at different times
        leaving.push(Date.now());
        await barrier.leave({ timeoutMs: 20_000 });
        left.push(Date.now());
      }),
    );
    // Nobody got in before the last member arrived, and nobody got out before the last began leaving.
    expect(Math.min(...entered)).toBeGreaterThanOrEqual(Math.max(...arrivals));
    expect(Math.min(...left)).toBeGreaterThanOrEqual(Math.max(...leaving));
    expect(left).toHaveLength(5);
    await clients[0]!.delete('/batch');
  });

  it('a member that times out in enter() leaves no node', async () => {
    const client = await ns().client();
    const barrier = new DistributedDoubleBarrier(client, '/batch', 3);
    await expect(barrier.enter({ timeoutMs: 200 })).rejects.toBeInstanceOf(WaitTimeoutError);
    expect((await client.getChildren('/batch')).children).toEqual([]);
    await client.delete('/batch');
  });

  it('rejects memberQty < 1 and bad paths', async () => {
    const client = await ns().client();
    expect(() => new DistributedDoubleBarrier(client, '/b', 0)).toThrow(InvalidArgumentError);
    expect(() => new DistributedDoubleBarrier(client, '/b', 1.5)).toThrow(InvalidArgumentError);
    expect(() => new DistributedDoubleBarrier(client, 'b', 2)).toThrow(InvalidPathError);
  });
});

describe('SharedCount (real server)', () => {
  const ns = useTestNamespace();

  it("stores Curator's format, and every participant's listeners see every settled value", async () => {
    const [a, b, c] = await Promise.all([ns().client(), ns().client(), ns().client()]);
    const writer = new SharedCount(a, '/count', 7);
    await writer.start();
    expect((await a.getData('/count')).data.toString('hex')).toBe('00000007');
    const readers = [new SharedCount(b, '/count', 0), new SharedCount(c, '/count', 0)];
    await Promise.all(readers.map((r) => r.start()));
    expect(readers.map((r) => r.getCount())).toEqual([7, 7]);
    const seen: number[][] = [[], []];
    for (const [i, r] of readers.entries()) r.onChange((v) => seen[i]!.push(v));
    for (let v = 8; v <= 15; v++) {
      await writer.setCount(v);
      await eventually(() => readers.every((r) => r.getCount() === v), 10_000, `value ${v} seen`);
    }
    expect(seen).toEqual([
      [8, 9, 10, 11, 12, 13, 14, 15],
      [8, 9, 10, 11, 12, 13, 14, 15],
    ]);
    await Promise.all([writer.close(), ...readers.map((r) => r.close())]);
    expect(b.pendingWatchCount).toBe(0);
  });

  it('trySetCount is versioned: a concurrent change makes it return false', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const one = new SharedCount(a, '/count', 1);
    const two = new SharedCount(b, '/count', 1);
    await one.start();
    await two.start();
    const stale = two.getVersionedValue();
    expect(await one.trySetCount(one.getVersionedValue(), 2)).toBe(true);
    expect(await two.trySetCount(stale, 3)).toBe(false);
    expect(two.getCount()).toBe(2); // re-read on failure
    expect(await two.trySetCount(two.getVersionedValue(), 3)).toBe(true);
    await expect(one.setCount(2 ** 31)).rejects.toBeInstanceOf(InvalidArgumentError);
    await Promise.all([one.close(), two.close()]);
  });

  it('drives a semaphore’s maxLeases across processes', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const limitA = new SharedCount(a, '/limit', 1);
    const limitB = new SharedCount(b, '/limit', 1);
    await limitA.start();
    await limitB.start();
    const [held] = await new InterProcessSemaphoreV2(a, '/sem', { count: limitA }).acquire();
    const waiting = new InterProcessSemaphoreV2(b, '/sem', { count: limitB }).acquire({ timeoutMs: 10_000 });
    await eventually(async () => (await a.getChildren('/sem/leases')).children.length === 2, 10_000, 'waiter has a lease node');
    await limitA.setCount(2); // seen by b through its watch; its waiter re-checks
    const [second] = await waiting;
    await second!.release();
    await held!.release();
    await Promise.all([limitA.close(), limitB.close()]);
    // The semaphore left nothing (its container parents are reaped); the count node stays.
    await eventually(async () => (await ns().listTree()).join() === '/limit', 5_000, 'only the count node left');
    await a.delete('/limit');
  });
});

describe('DistributedAtomicLong (real server)', () => {
  const ns = useTestNamespace();

  it("10 clients × 100 increments sum exactly, in Curator's 8-byte format", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => ns().client()));
    let failedAttempts = 0;
    await Promise.all(
      clients.map(async (client) => {
        const counter = new DistributedAtomicLong(client, '/hits', { promotedToLock: { path: '/hits-lock', retries: 3 } });
        for (let i = 0; i < 100; i++) {
          // Callers must check `succeeded`; under heavy contention they try again.
          for (;;) {
            const result = await counter.increment();
            if (result.succeeded) {
              expect(result.postValue).toBe(result.preValue + 1n);
              break;
            }
            failedAttempts++;
          }
        }
      }),
    );
    const value = await new DistributedAtomicLong(clients[0]!, '/hits').get();
    expect(value.postValue).toBe(1000n);
    expect((await clients[0]!.getData('/hits')).data.toString('hex')).toBe('00000000000003e8');
    console.log(`atomic long: ${failedAttempts} increments had to be retried by the caller`);
  }, 120_000);

  it('compareAndSet, trySet, decrement, forceSet; bad input is typed', async () => {
    const client = await ns().client();
    const n = new DistributedAtomicLong(client, '/n');
    expect((await n.get()).postValue).toBe(0n);
    expect((await n.compareAndSet(0n, 5n)).succeeded).toBe(true);
    expect(await n.compareAndSet(0n, 6n)).toEqual({ succeeded: false, preValue: 5n, postValue: 5n });
    expect(await n.decrement()).toEqual({ succeeded: true, preValue: 5n, postValue: 4n });
    expect((await n.trySet(-(2n ** 40n))).postValue).toBe(-(2n ** 40n));
    await n.forceSet(9n);
    expect((await n.get()).postValue).toBe(9n);
    await expect(n.add(2n ** 63n)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(n.add(1 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await client.setData('/n', Buffer.from([1, 2, 3]));
    await expect(n.get()).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
  });
});
