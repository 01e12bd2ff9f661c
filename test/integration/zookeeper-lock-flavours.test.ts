/**
 * The shared lock contract, run against every exclusive lock flavour on a real server
 * (Curator's TestInterProcessMutexBase idea). The semaphore mutex joins this suite later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AlreadyReleasedError,
  InterProcessMutex,
  InterProcessReadWriteLock,
  InterProcessSemaphoreMutex,
  InvalidArgumentError,
  InvalidPathError,
  type Lease,
  LockTimeoutError,
  NotOwnerError,
  type ZkClient,
} from '../../recipes/index.js';
import { ExclusionProbe, eventually, expectNothingLeft } from '../support/locks.js';
import { useTestNamespace } from '../support/zk.js';

interface ExclusiveLock {
  acquire(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Lease>;
  tryAcquire(): Promise<Lease | null>;
  using<T>(fn: (lease: Lease) => Promise<T> | T, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  release(): Promise<void>;
  isAcquiredInThisProcess(): boolean;
  getParticipantNodes(): Promise<string[]>;
}

interface Flavour {
  name: string;
  make: (client: ZkClient, path: string) => ExclusiveLock;
  /** Re-entrant per owner scope (the semaphore mutex is not, by design). */
  reentrant: boolean;
  /** Every node of every contender, as full paths. */
  nodes: (client: ZkClient, path: string) => Promise<string[]>;
  /** How many nodes exist when one holder and `waiters` waiters are queued. */
  nodesWhenQueued: (waiters: number) => number;
}

async function childPaths(client: ZkClient, path: string): Promise<string[]> {
  const { children } = await client.getChildren(path).catch(() => ({ children: [] as string[] }));
  return children.map((c) => `${path}/${c}`);
}

const flavours: Flavour[] = [
  {
    name: 'InterProcessMutex',
    make: (client, path) => new InterProcessMutex(client, path),
    reentrant: true,
    nodes: (client, path) => new InterProcessMutex(client, path).getParticipantNodes(),
    nodesWhenQueued: (waiters) => 1 + waiters,
  },
  {
    name: 'InterProcessReadWriteLock.writeLock',
    make: (client, path) => new InterProcessReadWriteLock(client, path).writeLock(),
    reentrant: true,
    nodes: (client, path) => new InterProcessReadWriteLock(client, path).writeLock().getParticipantNodes(),
    nodesWhenQueued: (waiters) => 1 + waiters,
  },
  {
    name: 'InterProcessSemaphoreMutex',
    make: (client, path) => new InterProcessSemaphoreMutex(client, path),
    reentrant: false,
    // The first waiter holds the internal mutex and has a lease node; the rest queue in the mutex.
    nodes: async (client, path) => [...(await childPaths(client, `${path}/leases`)), ...(await childPaths(client, `${path}/locks`))],
    nodesWhenQueued: (waiters) => (waiters === 0 ? 1 : 2 + waiters),
  },
];

describe.each(flavours)('lock contract: $name', ({ make, reentrant, nodes, nodesWhenQueued }) => {
  const ns = useTestNamespace();
  afterEach(async () => {
    await expectNothingLeft(ns());
  });

  it('mutual exclusion across 4 sessions × 2 flows each, 10 rounds per flow', async () => {
    const probe = new ExclusionProbe();
    const clients = await Promise.all(Array.from({ length: 4 }, () => ns().client()));
    await Promise.all(
      clients.flatMap((client) => {
        const lock = make(client, '/lock'); // one object per client, shared by its two flows
        return [0, 1].map(async () => {
          for (let round = 0; round < 10; round++) await lock.using(() => probe.hold(Math.random() * 3));
        });
      }),
    );
    expect(probe.maxInside).toBe(1);
    expect(probe.entries).toBe(80);
  });

  it('serves waiters in FIFO order', async () => {
    const [holderClient, ...waiterClients] = await Promise.all(Array.from({ length: 4 }, () => ns().client()));
    const holder = await make(holderClient!, '/lock').acquire();
    const order: number[] = [];
    const waits: Promise<void>[] = [];
    for (const [i, client] of waiterClients.entries()) {
      const lock = make(client, '/lock');
      waits.push(lock.using(() => void order.push(i)));
      await eventually(async () => (await nodes(holderClient!, '/lock')).length === nodesWhenQueued(i + 1), 10_000, `waiter ${i} queued`);
    }
    await holder.release();
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2]);
  });

  it('a timeout rejects with LockTimeoutError and leaves no node', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const held = await make(a, '/lock').acquire();
    const other = make(b, '/lock');
    const error = await other.acquire({ timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).code).toBe('LOCK_TIMEOUT');
    expect(await nodes(b, '/lock')).toEqual([held.nodePath]);
    expect(await other.tryAcquire()).toBeNull();
    expect(await nodes(b, '/lock')).toEqual([held.nodePath]);
    await held.release();
    const lease = await other.tryAcquire();
    expect(lease).not.toBeNull();
    await lease!.release();
  });

  it("an abort while waiting rejects with the signal's reason and leaves no node", async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const held = await make(a, '/lock').acquire();
    const other = make(b, '/lock');
    const controller = new AbortController();
    const waiting = other.acquire({ signal: controller.signal });
    await eventually(async () => (await nodes(b, '/lock')).length === nodesWhenQueued(1), 10_000, 'waiter queued');
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    expect(await nodes(b, '/lock')).toEqual([held.nodePath]);
    await held.release();
  });

  it('a second release rejects with AlreadyReleasedError; `await using` after release is fine', async () => {
    const lock = make(await ns().client(), '/lock');
    const lease = await lock.acquire();
    await lease.release();
    await expect(lease.release()).rejects.toBeInstanceOf(AlreadyReleasedError);
    {
      await using scoped = await lock.acquire();
      expect(lock.isAcquiredInThisProcess()).toBe(true);
      await scoped.release();
    }
    expect(lock.isAcquiredInThisProcess()).toBe(false);
  });

  // Only re-entrant flavours have owner scopes (the semaphore mutex has none, as in Curator).
  if (reentrant) {
    it('release by a non-owner is a typed error', async () => {
      const lock = make(await ns().client(), '/lock');
      await expect(lock.release()).rejects.toBeInstanceOf(NotOwnerError);
      const lease = await lock.acquire();
      // This flow is outside the holder's owner scope, so lock.release() is refused...
      await expect(lock.release()).rejects.toBeInstanceOf(NotOwnerError);
      expect(lock.isAcquiredInThisProcess()).toBe(true);
      // ...while inside it, it releases.
      await lease.run(() => lock.release());
      expect(lock.isAcquiredInThisProcess()).toBe(false);
      await expect(lease.release()).rejects.toBeInstanceOf(AlreadyReleasedError);
    });
  }

  // Only re-entrant flavours have owner scopes (the semaphore mutex has none, as in Curator).
  if (reentrant) {
    it('re-enters to depth 3 without new nodes, and frees only after three releases', async () => {
      const [a, b] = await Promise.all([ns().client(), ns().client()]);
      const lock = make(a, '/lock');
      const rival = make(b, '/lock');
      await lock.using(async (outer) => {
        const second = await lock.acquire();
        const third = await lock.acquire();
        expect(await lock.getParticipantNodes()).toEqual([outer.nodePath]);
        expect(second.nodePath).toBe(outer.nodePath);
        expect(await third.fencingToken()).toBe(await outer.fencingToken());
        await third.release();
        expect(await rival.tryAcquire()).toBeNull();
        await second.release();
        expect(await rival.tryAcquire()).toBeNull();
      });
      const after = await rival.tryAcquire();
      expect(after).not.toBeNull();
      await after!.release();
    });
  }

  it('two flows of one process contend like two processes', async () => {
    const client = await ns().client();
    const lock = make(client, '/lock');
    const first = await lock.acquire();
    const second = lock.acquire();
    await eventually(async () => (await nodes(client, '/lock')).length === nodesWhenQueued(1), 10_000, 'second flow queued');
    let secondHeld = false;
    void second.then(() => {
      secondHeld = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(secondHeld).toBe(false);
    await first.release();
    const lease = await second;
    expect(lease.nodePath).not.toBe(first.nodePath);
    await lease.release();
  });

  it('using() releases when fn throws, and passes the error on', async () => {
    const lock = make(await ns().client(), '/lock');
    await expect(
      lock.using(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lock.isAcquiredInThisProcess()).toBe(false);
    expect(await lock.getParticipantNodes()).toEqual([]);
  });

  it('fencing tokens strictly increase across successive holders', async () => {
    const clients = await Promise.all([ns().client(), ns().client()]);
    const tokens: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      await make(clients[i % 2]!, '/lock').using(async (lease) => void tokens.push(await lease.fencingToken()));
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
  });

  it('bad input gets typed errors before any network call', async () => {
    const client = await ns().client();
    expect(() => make(client, 'no-slash')).toThrow(InvalidPathError);
    expect(() => make(client, '/a//b')).toThrow(InvalidPathError);
    const lock = make(client, '/lock');
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.acquire({ timeoutMs: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.acquire({ signal: 'x' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.using('not a function' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await lock.getParticipantNodes()).toEqual([]);
  });
});

describe('fencing across different mutexes', () => {
  const ns = useTestNamespace();

  it('tokens from different mutex paths on one ensemble are strictly increasing in acquisition order', async () => {
    const client = await ns().client();
    const tokens: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      await new InterProcessMutex(client, `/m${i % 3}`).using(async (lease) => void tokens.push(await lease.fencingToken()));
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    await expectNothingLeft(ns());
  });
});
