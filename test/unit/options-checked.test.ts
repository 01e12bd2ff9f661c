/**
 * Issue 25 item 2: options are checked at runtime, for JavaScript users whom TypeScript does not
 * guard — an unknown key is an InvalidArgumentError naming the closest known one, messages are true
 * for the option they name, and a string "5000" is called a string. Item 3: connect strings are
 * checked before any attempt. Nothing here reaches a server.
 */
import { describe, expect, it } from 'vitest';
import { PostgresLock } from '../../postgres/index.js';
import { InterProcessMutex, InterProcessSemaphoreV2, LeaderLatch, LeaderSelector, DistributedAtomicLong } from '../../recipes/index.js';
import { RedisLock, RedisRateLimiter } from '../../redis/index.js';
import { closestKey } from '../../src/core/options.js';
import { InvalidArgumentError, ZkClient } from '../../src/index.js';

const cs = '127.0.0.1:1'; // nothing listens: a validation error must come before any attempt
const fakeRedis = { isOpen: true, isReady: true, sendCommand: async () => 1, duplicate: () => fakeRedis };
const fakePool = { query: async () => ({ rows: [] }), Client: class {}, options: {} };

function errorOf(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('no error thrown');
}

describe('unknown option keys', () => {
  it('closestKey finds a typo, a case slip, a missing Ms and a longer name', () => {
    expect(closestKey('sessionTimeout', ['sessionTimeoutMs', 'connectString'])).toBe('sessionTimeoutMs');
    expect(closestKey('tiemoutMs', ['timeoutMs', 'signal'])).toBe('timeoutMs');
    expect(closestKey('ttl', ['ttlMs', 'driftMs', 'memo'])).toBe('ttlMs');
    expect(closestKey('burts', ['burst', 'limit', 'windowMs'])).toBe('burst');
    expect(closestKey('tableName', ['table', 'createTable', 'memo'])).toBe('table');
    expect(closestKey('TTLMS', ['ttlMs'])).toBe('ttlMs');
    expect(closestKey('completelyDifferent', ['ttlMs', 'memo'])).toBeUndefined();
  });

  it.each([
    ['ZkClient', () => new ZkClient({ connectString: cs, sessionTimeout: 5000 } as never), 'sessionTimeoutMs'],
    ['ZkClient retry', () => new ZkClient({ connectString: cs, retry: { maxRetry: 3 } } as never), 'maxRetries'],
    ['ZkClient tls', () => new ZkClient({ connectString: cs, tls: { certificate: 'x' } } as never), 'cert'],
    ['RedisLock', () => new RedisLock(fakeRedis as never, 'a', { ttl: 5000 } as never), 'ttlMs'],
    [
      'RedisRateLimiter',
      () => new RedisRateLimiter(fakeRedis as never, { algorithm: 'token-bucket', limit: 5, windowMs: 1000, burts: 9 } as never),
      'burst',
    ],
    ['PostgresLock', () => new PostgresLock(fakePool as never, 'a', { tableName: 'locks' } as never), 'table'],
    [
      'InterProcessMutex',
      () => new InterProcessMutex(new ZkClient({ connectString: cs }), '/a', { removeEmptyParents: true } as never),
      'removeEmptyParent',
    ],
    [
      'InterProcessSemaphoreV2 limit',
      () => new InterProcessSemaphoreV2(new ZkClient({ connectString: cs }), '/s', { maxLease: 2 } as never),
      'maxLeases',
    ],
    ['LeaderLatch', () => new LeaderLatch(new ZkClient({ connectString: cs }), '/l', { ID: 'w1' } as never), 'id'],
    [
      'LeaderSelector',
      () => new LeaderSelector(new ZkClient({ connectString: cs }), '/l', { takeLeadership: async () => {}, autoRequeu: true } as never),
      'autoRequeue',
    ],
    [
      'DistributedAtomicLong',
      () => new DistributedAtomicLong(new ZkClient({ connectString: cs }), '/n', { promoteToLock: { path: '/x' } } as never),
      'promotedToLock',
    ],
  ])('%s: an unknown key is refused, naming the one meant', (_, make, meant) => {
    const error = errorOf(make);
    expect(error.message).toContain(`did you mean "${meant}"?`);
  });

  it('acquire options too, before anything is sent (on every backend)', async () => {
    const zk = new InterProcessMutex(new ZkClient({ connectString: cs }), '/a');
    await expect(zk.acquire({ tiemoutMs: 100 } as never)).rejects.toThrow(/unknown option "tiemoutMs" — did you mean "timeoutMs"\?/);
    const redis = new RedisLock(fakeRedis as never, 'a');
    await expect(redis.acquire({ timeout: 100 } as never)).rejects.toThrow(/did you mean "timeoutMs"\?/);
    const semaphore = new InterProcessSemaphoreV2(new ZkClient({ connectString: cs }), '/s', { maxLeases: 2 });
    await expect(semaphore.acquire({ quantity: 2 } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(new RedisRateLimiter(fakeRedis as never, { limit: 1, windowMs: 1000 }).limit('k', { costs: 2 } as never)).rejects.toThrow(
      /did you mean "cost"\?/,
    );
  });

  it("the client's per-call options too", async () => {
    const client = new ZkClient({ connectString: cs });
    await expect(client.getData('/a', { timeout: 100 } as never)).rejects.toThrow(
      /getData\(\) options: unknown option "timeout" — did you mean "timeoutMs"\?/,
    );
    await expect(client.setData('/a', null, { versoin: 3 } as never)).rejects.toThrow(/did you mean "version"\?/);
    await expect(client.create('/a', null, { createParent: true } as never)).rejects.toThrow(/did you mean "createParents"\?/);
    await expect(client.start({ timeoutMs: 5 } as never)).rejects.toThrow(/start\(\) options: unknown option "timeoutMs"/);
    expect(client.state).toBe('LATENT'); // refused before anything started
  });

  it('a key nothing is close to lists the known options instead', () => {
    const error = errorOf(() => new RedisLock(fakeRedis as never, 'a', { color: 'blue' } as never));
    expect(error.message).toMatch(/unknown option "color"\. Known options: ttlMs, driftMs/);
  });
});

describe('messages true for each option', () => {
  it('a string "5000" is reported as a string', async () => {
    const error = errorOf(() => new ZkClient({ connectString: cs, sessionTimeoutMs: '5000' as never }));
    expect(error.message).toContain('got the string "5000"');
    const mutex = new InterProcessMutex(new ZkClient({ connectString: cs }), '/a');
    await expect(mutex.acquire({ timeoutMs: '5000' as never })).rejects.toThrow(/got the string "5000"/);
  });

  it('"leave it out to wait without a limit" only where leaving it out means that', async () => {
    for (const make of [
      () => new ZkClient({ connectString: cs, sessionTimeoutMs: -1 }),
      () => new RedisLock(fakeRedis as never, 'a', { ttlMs: -1 }),
      () => new PostgresLock(fakePool as never, 'a', { ttlMs: 2 ** 40 }),
    ])
      expect(errorOf(make).message).not.toMatch(/leave it out/i);
    const mutex = new InterProcessMutex(new ZkClient({ connectString: cs }), '/a');
    await expect(mutex.acquire({ timeoutMs: -1 })).rejects.toThrow(/Leave it out to wait without a limit/);
  });

  it('a logger without the four methods, a memo that is not a string', () => {
    expect(errorOf(() => new RedisLock(fakeRedis as never, 'a', { logger: { info() {} } as never })).message).toMatch(
      /missing: debug, warn, error/,
    );
    expect(errorOf(() => new ZkClient({ connectString: cs, logger: 'console' as never })).message).toMatch(/logger must have/);
    expect(errorOf(() => new PostgresLock(fakePool as never, 'a', { memo: 42 as never })).message).toMatch(/memo must be a string/);
  });
});

describe('connect strings (checked before any attempt)', () => {
  it.each([
    ['garbage', /"garbage" has no port/],
    ['http://127.0.0.1:2181', /not a URL: drop the "http:\/\/"/],
    ['127.0.0.1:2181/app', /has a chroot; pass it as the namespace option/],
    ['127.0.0.1:0', /port 0 .* is out of range/],
    ['zk1:2181,', /"" is not a host name/],
    ['zk_1:2181', /"zk_1:2181" is not a host name/],
    ['', /connectString must be/],
  ])('%j is refused with a message that says what to write', (connectString, message) => {
    expect(errorOf(() => new ZkClient({ connectString })).message).toMatch(message);
  });

  it('host names, IPv4 addresses and lists of them pass', () => {
    for (const connectString of ['127.0.0.1:2181', 'localhost:2181', 'zk1.example.com:2181,zk2.example.com:2182, zk3:2183'])
      expect(() => new ZkClient({ connectString })).not.toThrow();
  });
});
