/**
 * Issue 13, item 11: a timeout above 2^31−1 ms would be clamped by Node to 1 ms (firing at once,
 * with a TimeoutOverflowWarning). Every timeout is refused with InvalidArgumentError before
 * anything is sent — the client's own options included.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DistributedBarrier,
  DistributedDoubleBarrier,
  InterProcessMutex,
  InterProcessReadWriteLock,
  InterProcessSemaphoreV2,
  InvalidArgumentError,
  LeaderLatch,
  ZkClient,
} from '../../recipes/index.js';

const MAX_TIMEOUT_MS = 2_147_483_647; // Node's largest timer delay
const TOO_LONG = MAX_TIMEOUT_MS + 1;
const cs = '127.0.0.1:1'; // nothing listens: a validation error must come before any attempt

describe('timeouts beyond the timer range are refused everywhere (nothing reaches a server)', () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it.each(['sessionTimeoutMs', 'connectionTimeoutMs', 'operationTimeoutMs'])('client option %s', (name) => {
    expect(() => new ZkClient({ connectString: cs, [name]: TOO_LONG })).toThrow(InvalidArgumentError);
    expect(() => new ZkClient({ connectString: cs, [name]: MAX_TIMEOUT_MS })).not.toThrow();
  });

  it('per-call and per-wait timeouts', async () => {
    const client = new ZkClient({ connectString: cs });
    const calls: (() => Promise<unknown>)[] = [
      () => client.getData('/a', { timeoutMs: TOO_LONG }),
      () => client.blockUntilConnected({ timeoutMs: TOO_LONG }),
      () => new InterProcessMutex(client, '/m').acquire({ timeoutMs: TOO_LONG }),
      () => new InterProcessMutex(client, '/m').using(() => undefined, { timeoutMs: TOO_LONG }),
      () => new InterProcessReadWriteLock(client, '/rw').writeLock().acquire({ timeoutMs: TOO_LONG }),
      () => new InterProcessSemaphoreV2(client, '/s', { maxLeases: 1 }).acquire({ timeoutMs: TOO_LONG }),
      () => new DistributedBarrier(client, '/b').waitOnBarrier({ timeoutMs: TOO_LONG }),
      () => new DistributedDoubleBarrier(client, '/d', 2).enter({ timeoutMs: TOO_LONG }),
      () => new DistributedDoubleBarrier(client, '/d', 2).leave({ timeoutMs: TOO_LONG }),
      () => new InterProcessMutex(client, '/m').acquire({ timeoutMs: 1.5 }),
    ];
    for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
    const latch = new LeaderLatch(client, '/latch');
    await expect(latch.awaitLeadership({ timeoutMs: TOO_LONG })).rejects.toThrow(/2147483647/);
    expect(() => new InterProcessMutex(client, '/m', { removeEmptyParent: { afterMs: TOO_LONG } })).toThrow(InvalidArgumentError);
    await client.close();
    expect(warnings).toEqual([]);
  });
});
