import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionState,
  InterProcessSemaphoreMutex,
  InterProcessSemaphoreV2,
  InvalidArgumentError,
  InvalidPathError,
  type Lease,
  LockTimeoutError,
  NotOwnerError,
  type OwnershipLostError,
  type SharedCountReader,
  ZkClient,
} from '../../recipes/index.js';
import { expireSession, TestingServer } from '../../src/testing/index.js';
import { eventually, expectNothingLeft } from '../support/locks.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

/** An in-process count source (the real SharedCount recipe plugs in the same way). */
class LocalCount implements SharedCountReader {
  #count: number;
  #listeners = new Set<(n: number) => void>();
  constructor(count: number) {
    this.#count = count;
  }
  getCount(): number {
    return this.#count;
  }
  set(count: number): void {
    this.#count = count;
    for (const l of this.#listeners) l(count);
  }
  onChange(listener: (n: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

describe('InterProcessSemaphoreV2 (real server)', () => {
  const ns = useTestNamespace();
  afterEach(async () => {
    await expectNothingLeft(ns());
  });

  it('maxLeases 3, 10 sessions × 30 rounds: never more than 3 holders, and everyone finishes', async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => ns().client()));
    let inside = 0;
    let maxInside = 0;
    let done = 0;
    await Promise.all(
      clients.map(async (client) => {
        const semaphore = new InterProcessSemaphoreV2(client, '/sem', { maxLeases: 3 });
        for (let round = 0; round < 30; round++) {
          await semaphore.using(async () => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            inside--;
          });
        }
        done++;
      }),
    );
    expect(maxInside).toBeLessThanOrEqual(3);
    expect(done).toBe(10);
  });

  it('maxLeases holders at once, and not one more', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => ns().client()));
    const [a, b, c, d] = clients.map((cl) => new InterProcessSemaphoreV2(cl, '/sem', { maxLeases: 3 }));
    const held = await Promise.all([a!, b!, c!].map((s) => s.acquire({ timeoutMs: 10_000 })));
    expect(held.flat()).toHaveLength(3);
    expect(await d!.tryAcquire()).toBeNull();
    await Promise.all(held.map((leases) => a!.returnAll(leases)));
  });

  it("uses Curator's layout: <path>/locks gate, <path>/leases/_c_<uuid>-lease-<seq>", async () => {
    const client = await ns().client();
    const semaphore = new InterProcessSemaphoreV2(client, '/sem', { maxLeases: 2 });
    const [lease] = await semaphore.acquire();
    expect(lease!.nodePath).toMatch(/^\/sem\/leases\/_c_[0-9a-f-]{36}-lease-\d{10}$/);
    expect(await semaphore.getParticipantNodes()).toEqual([lease!.nodePath.split('/').pop()]);
    await lease!.release();
  });

  it('qty > 1 is all or none: a timeout mid-way returns the leases it took', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const holder = new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 3 });
    const held = await holder.acquire({ qty: 2 });
    const other = new InterProcessSemaphoreV2(b, '/sem', { maxLeases: 3 });
    await expect(other.acquire({ qty: 2, timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect((await other.getParticipantNodes()).sort()).toEqual(held.map((l) => l.nodePath.split('/').pop()).sort());
    const one = await other.acquire({ qty: 1, timeoutMs: 5000 });
    expect(await other.tryAcquire()).toBeNull();
    await holder.returnAll(held);
    const two = await other.acquire({ qty: 2, timeoutMs: 5000 });
    expect(two).toHaveLength(2);
    await other.returnAll([...one, ...two]);
  });

  it('an abort while waiting rejects with the reason and returns what was taken', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const held = await new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 1 }).acquire();
    const controller = new AbortController();
    const waiting = new InterProcessSemaphoreV2(b, '/sem', { maxLeases: 1 }).acquire({ signal: controller.signal });
    await eventually(async () => (await a.getChildren('/sem/leases')).children.length === 2, 10_000, 'waiter has a lease node');
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect((await a.getChildren('/sem/leases')).children).toHaveLength(1);
    await held[0]!.release();
  });

  it('maxLeases from a shared count: raising it admits a waiter at once', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const count = new LocalCount(1);
    const held = await new InterProcessSemaphoreV2(a, '/sem', { count }).acquire();
    const waiting = new InterProcessSemaphoreV2(b, '/sem', { count }).acquire({ timeoutMs: 10_000 });
    await eventually(async () => (await a.getChildren('/sem/leases')).children.length === 2, 10_000, 'waiter has a lease node');
    count.set(2);
    const [second] = await waiting;
    await second!.release();
    await held[0]!.release();
  });

  it('one release wakes one waiter: 30 waiters sleep in the gate queue, one watches the leases', async () => {
    class CountingClient extends ZkClient {
      listings = 0;
      override getChildren(...args: Parameters<ZkClient['getChildren']>) {
        this.listings++;
        return super.getChildren(...args);
      }
      override watchChildren(...args: Parameters<ZkClient['watchChildren']>) {
        this.listings++;
        return super.watchChildren(...args);
      }
    }
    const holderClient = await ns().client();
    const held = await new InterProcessSemaphoreV2(holderClient, '/sem', { maxLeases: 1 }).acquire();
    const waiters = Array.from({ length: 30 }, () => {
      const c = new CountingClient({
        connectString: ns().connectString,
        namespace: ns().namespace,
        sessionTimeoutMs: 4000,
        ...ns().clientDefaults,
      });
      return c;
    });
    await Promise.all(waiters.map((w) => w.start()));
    const acquired: Lease[] = [];
    const pending = waiters.map((w) =>
      new InterProcessSemaphoreV2(w, '/sem', { maxLeases: 1 }).acquire().then(([l]) => void acquired.push(l!)),
    );
    for (const p of pending) p.catch(() => undefined);
    await eventually(() => waiters.every((w) => w.pendingWatchCount === 1), 30_000, 'every waiter watching one node');
    const before = waiters.map((w) => w.listings);
    await held[0]!.release();
    await eventually(() => acquired.length === 1, 10_000, 'one waiter admitted');
    const woken = () => waiters.filter((w, i) => w.listings > (before[i] ?? 0));
    // The gate holder re-lists the leases and wins; the next in the gate queue takes the gate and
    // lists the leases once to find them full. Nobody else stirs. (Waiting for the second one
    // first: on a loaded machine it may take a while; no speed is asserted.)
    await eventually(() => woken().length >= 2, 10_000, 'the next gate holder looked at the leases');
    await new Promise((r) => setTimeout(r, 300)); // quiet period for wrongly woken waiters
    expect(woken().length).toBe(2);
    for (let k = 0; k < waiters.length; k++) {
      await eventually(() => acquired.length > k, 10_000, `waiter #${k} admitted`);
      await acquired[k]!.release();
    }
    await Promise.all(waiters.map((w) => w.close()));
  });

  it('bad input gets typed errors before any network call', async () => {
    const client = await ns().client();
    expect(() => new InterProcessSemaphoreV2(client, 'bad', { maxLeases: 1 })).toThrow(InvalidPathError);
    expect(() => new InterProcessSemaphoreV2(client, '/s', { maxLeases: 0 })).toThrow(InvalidArgumentError);
    expect(() => new InterProcessSemaphoreV2(client, '/s', { maxLeases: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new InterProcessSemaphoreV2(client, '/s', {} as never)).toThrow(InvalidArgumentError);
    expect(() => new InterProcessSemaphoreV2(client, '/s', { count: {} as never })).toThrow(InvalidArgumentError);
    const semaphore = new InterProcessSemaphoreV2(client, '/s', { maxLeases: 2 });
    await expect(semaphore.acquire({ qty: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(semaphore.acquire({ qty: 3 })).rejects.toThrow(/exceeds maxLeases/);
    await expect(semaphore.acquire({ timeoutMs: -5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(semaphore.using('x' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('InterProcessSemaphoreMutex specifics (real server)', () => {
  const ns = useTestNamespace();
  afterEach(async () => {
    await expectNothingLeft(ns());
  });

  it('is not re-entrant: a second acquire from the same flow waits', async () => {
    const mutex = new InterProcessSemaphoreMutex(await ns().client(), '/sm');
    await mutex.using(async () => {
      await expect(mutex.acquire({ timeoutMs: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
    });
  });

  it('any flow may release; release when not acquired is a typed error', async () => {
    const mutex = new InterProcessSemaphoreMutex(await ns().client(), '/sm');
    await expect(mutex.release()).rejects.toBeInstanceOf(NotOwnerError);
    await mutex.acquire();
    await (async () => mutex.release())(); // another async flow
    expect(mutex.isAcquiredInThisProcess()).toBe(false);
    await expect(mutex.release()).rejects.toBeInstanceOf(NotOwnerError);
  });
});

describe.skipIf(faultsSkipReason)('semaphore under session expiry (dedicated server)', () => {
  it("a holder's expired session frees its lease for a waiter, and its lease signal aborts", async () => {
    const server = await TestingServer.start();
    const clients: ZkClient[] = [];
    try {
      const make = async () => {
        // 'session' policy: only LOST ends ownership, so the reason must be the expiry itself.
        const c = new ZkClient({ connectString: server.connectString, sessionTimeoutMs: 2000, namespace: '/s', errorPolicy: 'session' });
        clients.push(c);
        await c.start();
        return c;
      };
      const [a, b] = [await make(), await make()];
      const [held] = await new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 1 }).acquire();
      const waiting = new InterProcessSemaphoreV2(b, '/sem', { maxLeases: 1 }).acquire({ timeoutMs: 20_000 });
      waiting.catch(() => undefined); // awaited below; a failure before then must not go unhandled
      await expireSession(a);
      expect(held!.signal.aborted).toBe(true);
      expect((held!.signal.reason as OwnershipLostError).state).toBe(ConnectionState.LOST);
      const [next] = await waiting;
      await next!.release();
      await held!.release();
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
  });
});
