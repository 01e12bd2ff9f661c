/**
 * One lock contract, three backends: every clause runs against ZooKeeper's InterProcessMutex,
 * RedisLock and PostgresLock on real servers — exclusion across processes, re-entrancy rules,
 * timeouts and aborts that leave nothing behind, typed errors, `using` / `await using`, fencing
 * tokens that rise across every grant, the signal on loss. No backend skips a clause.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlreadyReleasedError, InvalidArgumentError, LockTimeoutError, NotOwnerError, OwnershipLostError } from '../../recipes/index.js';
import { lockName } from '../support/redis.js';
import { type Backend, startBackend } from './backends.js';

const worker = fileURLToPath(new URL('../fixtures/contract-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(['zookeeper', 'redis', 'redis-cluster', 'postgres'] as const)('lock contract: %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startBackend(backendName, inject('zkConnectString'));
  }, 120_000);
  afterEach(async () => {
    await backend.closeParticipants();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('excludes across processes: 3 workers × 15 read-modify-write cycles on a file lose no update', async () => {
    const name = lockName('contract');
    const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-contract-'));
    const file = join(dir, 'counter');
    writeFileSync(file, '0');
    try {
      await (await backend.participant(name)).using(() => undefined); // the lock's parent / table made once
      const children = [0, 1, 2].map(() =>
        spawn(process.execPath, ['--import', 'tsx', worker, backendName, backend.connection, name, '15', file], {
          stdio: ['ignore', 'inherit', 'inherit'],
        }),
      );
      expect(await Promise.all(children.map(async (c) => (await once(c, 'exit'))[0]))).toEqual([0, 0, 0]);
      expect(readFileSync(file, 'utf8')).toBe('45');
      expect(await backend.waitingEntries(name)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('re-enters inside its owner scope; another flow contends; releases are counted and checked', async () => {
    const lock = await backend.participant(lockName('contract'));
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => {
      inside = resolve;
    });
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      leave = resolve;
    });
    const flow = lock.using(async (outer) => {
      const inner = await lock.acquire({ timeoutMs: 1000 });
      expect(await inner.fencingToken()).toBe(await outer.fencingToken());
      await inner.release();
      await expect(inner.release()).rejects.toBeInstanceOf(AlreadyReleasedError);
      expect(lock.isOwnedByCurrentScope()).toBe(true);
      inside();
      await left;
    });
    await entered;
    expect(lock.isOwnedByCurrentScope()).toBe(false);
    expect(lock.isAcquiredInThisProcess()).toBe(true);
    expect(await lock.tryAcquire()).toBeNull();
    await expect(lock.release()).rejects.toBeInstanceOf(NotOwnerError);
    leave();
    await flow;
    expect(lock.isAcquiredInThisProcess()).toBe(false);
  });

  it('a timeout and an abort leave nothing behind; the lock passes on after', async () => {
    const name = lockName('contract');
    const holder = await (await backend.participant(name)).acquire();
    const waiter = await backend.participant(name);
    await expect(waiter.acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    const controller = new AbortController();
    const aborted = waiter.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop waiting')), 150);
    await expect(aborted).rejects.toThrow('stop waiting');
    expect(await waiter.tryAcquire()).toBeNull();
    const zkHolderNode = backendName === 'zookeeper' ? 1 : 0; // ZooKeeper's holder is a child node too
    expect(await backend.waitingEntries(name)).toBe(zkHolderNode);
    await holder.release();
    const next = await waiter.acquire({ timeoutMs: 2000 });
    await next.release();
    expect(await backend.waitingEntries(name)).toBe(0);
  });

  it('bad input is a typed error', async () => {
    const lock = await backend.participant(lockName('contract'));
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.acquire({ timeoutMs: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.acquire({ signal: {} as AbortSignal })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(lock.using('not a function' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(lock.isAcquiredInThisProcess()).toBe(false);
  });

  it('`using` and `await using` release; fencing tokens rise across every grant and participant', async () => {
    const name = lockName('contract');
    const a = await backend.participant(name);
    const b = await backend.participant(name);
    const tokens: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      tokens.push(await (i % 2 ? a : b).using((lease) => lease.fencingToken()));
      await using lease = await (i % 2 ? b : a).acquire({ timeoutMs: 2000 });
      tokens.push(await lease.fencingToken());
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as bigint);
    expect(await a.tryAcquire().then((l) => l?.release().then(() => true))).toBe(true);
  });

  it("the lease's signal aborts with OwnershipLostError when the lock is taken away", async () => {
    const name = lockName('contract');
    const lock = await backend.participant(name);
    const lease = await lock.acquire();
    const signal = lease.signal;
    await sleep(50);
    await backend.takeAway(name, lease);
    if (!signal.aborted) await once(signal, 'abort');
    expect(signal.reason).toBeInstanceOf(OwnershipLostError);
    // nothing may be granted on the strength of a lost hold
    await expect(lease.run(() => lock.acquire({ timeoutMs: 500 }))).rejects.toBeInstanceOf(OwnershipLostError);
    await lease.release().catch(() => undefined);
  });
});
