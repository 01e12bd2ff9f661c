/**
 * Issue 13, items 10, 12, 13: releasing inside `using`, the README's downgrade example, the
 * reader-asks-for-writer rule; requests sized against the server's real limit; no listener
 * build-up (and no warning) with many leases or many watch events. On the shared server.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  IllegalStateError,
  InterProcessMutex,
  InterProcessReadWriteLock,
  InvalidArgumentError,
  type Lease,
  LockTimeoutError,
  OPEN_ACL_UNSAFE,
} from '../../recipes/index.js';
import { createRecordBytes, MAX_REQUEST_BYTES } from '../../src/zookeeper/request-size.js';
import { expectNothingLeft, expectReaped } from '../support/locks.js';
import { warningsDuring } from '../support/warnings.js';
import { useTestNamespace } from '../support/zk.js';

describe('releases, request limits and listeners (real server)', () => {
  const ns = useTestNamespace();

  it("the README's downgrade example runs: release the write lease inside using(), keep the read lease", async () => {
    const client = await ns().client();
    const rw = new InterProcessReadWriteLock(client, '/locks/catalog');
    const steps: string[] = [];
    const readCatalog = async () => void steps.push('read');
    const rebuild = async () => void steps.push('rebuild');
    const publish = async () => void steps.push('publish');
    // --- as in README.md ---
    await rw.readLock().using(() => readCatalog()); // readers share
    await rw.writeLock().using(async (w) => {
      // a writer excludes everyone
      await rebuild();
      // downgrade: the write owner may take the read lock
      const read = await rw.readLock().acquire();
      await w.release();
      await publish();
      await read.release();
    });
    // ---
    expect(steps).toEqual(['read', 'rebuild', 'publish']);
    const mutex = new InterProcessMutex(client, '/m');
    await mutex.using((lease) => lease.release());
    expect(mutex.isAcquiredInThisProcess()).toBe(false);
    // Parents (ancestors included) are CONTAINER nodes, as Curator makes them: reaped once empty.
    await expectReaped(client, '/locks');
    await expectReaped(client, '/m');
  });

  it('a reader asking for the write lock: IllegalStateError inside its scope, an ordinary wait outside one', async () => {
    const client = await ns().client();
    const rw = new InterProcessReadWriteLock(client, '/rw');
    await rw.readLock().using(async () => {
      await expect(rw.writeLock().acquire({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(IllegalStateError);
    });
    const read = await rw.readLock().acquire();
    // Outside a scope the calling flow does not own the read lease: it queues like any writer.
    await expect(rw.writeLock().acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    await read.release();
    await expectNothingLeft(ns());
  });

  it("data is checked against the server's real request limit: the largest that fits is stored, one byte more is refused before sending", async () => {
    const client = await ns().client();
    const lease = await new InterProcessMutex(client, '/held').acquire();
    void lease.signal; // watched: a dropped connection would abort it
    const path = '/big';
    const largest = MAX_REQUEST_BYTES - 8 - createRecordBytes(`${ns().namespace}${path}`, 0, OPEN_ACL_UNSAFE);
    await expect(client.create(path, Buffer.alloc(largest + 1))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.create(path, Buffer.alloc(1_048_560))).rejects.toThrow(/jute.maxbuffer/);
    await client.create(path, Buffer.alloc(largest));
    expect((await client.getData(path)).data.length).toBe(largest);
    await expect(client.setData(path, Buffer.alloc(largest + 100))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(lease.signal.aborted).toBe(false);
    await client.delete(path);
    await lease.release();
  });

  it('eleven held leases on one client: one state listener for all of them, no warning', async () => {
    const client = await ns().client();
    const before = client.listenerCount('state');
    const leases: Lease[] = [];
    const warnings = await warningsDuring(async () => {
      for (let i = 0; i < 11; i++) leases.push(await new InterProcessMutex(client, `/lock-${i}`).acquire());
      expect(client.listenerCount('state') - before).toBeLessThanOrEqual(1);
      for (const lease of leases) await lease.release();
    });
    expect(warnings).toEqual([]);
    expect(client.listenerCount('state')).toBe(before);
  });

  it('a watch loop on one signal does not pile abort listeners as changes arrive', async () => {
    const [reader, writer] = await Promise.all([ns().client(), ns().client()]);
    await writer.create('/count', Buffer.from('0'));
    const stop = new AbortController();
    let running = true;
    const writing = (async () => {
      for (let i = 0; running && i < 20_000; i++) await writer.setData('/count', Buffer.from(String(i)));
    })();
    for (let i = 0; i < 1500; i++) {
      const watched = await reader.watchData('/count', { signal: stop.signal });
      await watched.changed;
    }
    running = false;
    await writing;
    expect(getEventListeners(stop.signal, 'abort').length).toBe(0);
  });
});
