import { describe, expect, it } from 'vitest';
import {
  BadVersionError,
  ConnectionLossError,
  InvalidArgumentError,
  NoNodeError,
  OperationTimeoutError,
  ZooKeeperError,
} from '../../src/index.js';
import { isRetryable, withRetry } from '../../src/zookeeper/retry.js';
import { resolveRetryPolicy } from '../../src/zookeeper/retry.js';

const fast = resolveRetryPolicy({ maxRetries: 3, baseSleepMs: 1, maxSleepMs: 2 });

describe('retry policy', () => {
  it('retries only connection loss, operation timeout and session moved', () => {
    expect(isRetryable(new ConnectionLossError())).toBe(true);
    expect(isRetryable(new OperationTimeoutError('getData', '/a', 10))).toBe(true);
    expect(isRetryable(new ZooKeeperError('SESSION_MOVED', -118, '/a', ''))).toBe(true);
    expect(isRetryable(new NoNodeError('/a'))).toBe(false);
    expect(isRetryable(new BadVersionError('/a'))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it('retries a transient error until it succeeds', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      calls++;
      if (calls < 3) throw new ConnectionLossError();
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after maxRetries and surfaces the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new ConnectionLossError();
      }, fast),
    ).rejects.toBeInstanceOf(ConnectionLossError);
    expect(calls).toBe(4);
  });

  it('surfaces a non-retryable error at once', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new NoNodeError('/x');
      }, fast),
    ).rejects.toBeInstanceOf(NoNodeError);
    expect(calls).toBe(1);
  });

  it("rejects with the signal's reason when aborted between attempts", async () => {
    const controller = new AbortController();
    const slow = resolveRetryPolicy({ maxRetries: 5, baseSleepMs: 200, maxSleepMs: 200 });
    const run = withRetry(
      async () => {
        controller.abort(new Error('cancelled by caller'));
        throw new ConnectionLossError();
      },
      slow,
      controller.signal,
    );
    await expect(run).rejects.toThrow('cancelled by caller');
  });

  it.each([
    [{ maxRetries: -1 }],
    [{ maxRetries: 1.5 }],
    [{ maxRetries: 30 }],
    [{ baseSleepMs: -1 }],
    [{ maxSleepMs: Number.NaN }],
    [{ baseSleepMs: 100, maxSleepMs: 10 }],
  ])('rejects bad policy %j', (policy) => {
    expect(() => resolveRetryPolicy(policy)).toThrow(InvalidArgumentError);
  });
});
