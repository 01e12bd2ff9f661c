import { afterEach, describe, expect, it } from 'vitest';
import { IllegalStateError, InterProcessReadWriteLock, NotOwnerError } from '../../recipes/index.js';
import { ExclusionProbe, eventually, expectNothingLeft } from '../support/locks.js';
import { useTestNamespace } from '../support/zk.js';

describe('InterProcessReadWriteLock (real server)', () => {
  const ns = useTestNamespace();
  afterEach(async () => {
    await expectNothingLeft(ns());
  });

  it("uses Curator's node names under one parent", async () => {
    const client = await ns().client();
    const rw = new InterProcessReadWriteLock(client, '/rw');
    await rw.writeLock().using(async (w) => {
      expect(w.nodePath).toMatch(/^\/rw\/_c_[0-9a-f-]{36}-__WRIT__\d{10}$/);
      await rw.readLock().using((r) => expect(r.nodePath).toMatch(/^\/rw\/_c_[0-9a-f-]{36}-__READ__\d{10}$/));
    });
  });

  it('many readers hold the lock at once', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => ns().client()));
    const leases = await Promise.all(clients.map((c) => new InterProcessReadWriteLock(c, '/rw').readLock().acquire({ timeoutMs: 10_000 })));
    expect(leases).toHaveLength(5);
    await Promise.all(leases.map((l) => l.release()));
  });

  it('a writer excludes readers and writers; readers share (checked by probes)', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => ns().client()));
    const writers = new ExclusionProbe();
    let readersInside = 0;
    let maxReaders = 0;
    let overlap = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        const rw = new InterProcessReadWriteLock(client, '/rw');
        for (let round = 0; round < 8; round++) {
          if ((i + round) % 3 === 0) {
            await rw.writeLock().using(async () => {
              if (readersInside > 0) overlap++;
              await writers.hold(2);
            });
          } else {
            await rw.readLock().using(async () => {
              if (writers.inside > 0) overlap++;
              readersInside++;
              maxReaders = Math.max(maxReaders, readersInside);
              await new Promise((r) => setTimeout(r, 3));
              readersInside--;
            });
          }
        }
      }),
    );
    expect(writers.maxInside).toBe(1);
    expect(overlap).toBe(0);
    expect(maxReaders).toBeGreaterThanOrEqual(1);
  });

  it('downgrade: the write owner takes the read lock, releases the write lock, and still reads', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const rw = new InterProcessReadWriteLock(a, '/rw');
    const otherReader = new InterProcessReadWriteLock(b, '/rw').readLock();
    const write = await rw.writeLock().acquire();
    const read = await write.run(() => rw.readLock().acquire({ timeoutMs: 5000 }));
    expect(await otherReader.tryAcquire()).toBeNull();
    await write.release();
    const shared = await otherReader.acquire({ timeoutMs: 5000 });
    await shared.release();
    await read.release();
  });

  it('downgrade with a writer already queued: that writer waits until the downgraded read is released (CURATOR-621 node)', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const rw = new InterProcessReadWriteLock(a, '/rw');
    const other = new InterProcessReadWriteLock(b, '/rw').writeLock();
    let otherHolds = false;
    await rw.writeLock().using(async (w) => {
      const waiting = other.acquire({ timeoutMs: 10_000 }).then((lease) => {
        otherHolds = true;
        return lease;
      });
      await eventually(async () => (await other.getParticipantNodes()).length === 2, 5_000, 'writer queued');
      const read = await rw.readLock().acquire();
      const writeSeq = w.nodePath.slice(-10);
      expect(read.nodePath).toMatch(new RegExp(`-__READ__${writeSeq}$`)); // sorts at the writer's place
      await w.release();
      await new Promise((r) => setTimeout(r, 300));
      expect(otherHolds).toBe(false); // never a writer beside a reader
      await read.release();
      await (await waiting).release();
    });
  });

  it('a reader asking for the write lock is refused with a typed error instead of deadlocking', async () => {
    const rw = new InterProcessReadWriteLock(await ns().client(), '/rw');
    await rw.readLock().using(async () => {
      await expect(rw.writeLock().acquire()).rejects.toBeInstanceOf(IllegalStateError);
    });
  });

  it('a writer queued behind readers is not starved by readers arriving later', async () => {
    const clients = await Promise.all(Array.from({ length: 3 }, () => ns().client()));
    const [c1, c2, c3] = clients.map((c) => new InterProcessReadWriteLock(c, '/rw')) as [
      InterProcessReadWriteLock,
      InterProcessReadWriteLock,
      InterProcessReadWriteLock,
    ];
    const firstReader = await c1.readLock().acquire();
    const order: string[] = [];
    const writer = c2.writeLock().using(() => void order.push('writer'));
    await eventually(async () => (await c1.writeLock().getParticipantNodes()).length === 1, 10_000, 'writer queued');
    const lateReader = c3.readLock().using(() => void order.push('late reader'));
    await eventually(async () => (await c1.readLock().getParticipantNodes()).length === 2, 10_000, 'late reader queued');
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual([]); // the late reader waits behind the writer
    await firstReader.release();
    await Promise.all([writer, lateReader]);
    expect(order).toEqual(['writer', 'late reader']);
  });

  it('a waiting reader watches exactly one node: the nearest writer ahead of it', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const writer = await new InterProcessReadWriteLock(a, '/rw').writeLock().acquire();
    const readers = [0, 1, 2].map(() => new InterProcessReadWriteLock(b, '/rw').readLock().acquire());
    await eventually(() => b.pendingWatchCount === 3, 10_000, 'three readers watching');
    await writer.release();
    for (const r of await Promise.all(readers)) await r.release();
  });

  it('a read lease cannot be released from inside another reader’s owner scope', async () => {
    const rw = new InterProcessReadWriteLock(await ns().client(), '/rw');
    const first = await rw.readLock().acquire();
    await rw.readLock().using(async () => {
      await expect(first.release()).rejects.toBeInstanceOf(NotOwnerError);
    });
    await first.release();
  });
});
