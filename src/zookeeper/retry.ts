/**
 * Retry policies (Curator's bounded exponential backoff) on p-retry. Only transient errors are
 * retried: connection loss, operation timeout and session moved. Everything else surfaces at once.
 */
import pRetry from 'p-retry';
import { InvalidArgumentError, ZkRecipesError } from '../core/errors.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../core/options.js';

/** How a failed ZooKeeper operation is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. @default 5 */
  readonly maxRetries: number;
  /** First backoff sleep in ms; doubles each retry, with jitter. @default 100 */
  readonly baseSleepMs: number;
  /** Upper bound of one sleep in ms. @default 2000 */
  readonly maxSleepMs: number;
}

/** The retry policy used when none is given: 5 retries, 100 ms doubling to at most 2 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxRetries: 5, baseSleepMs: 100, maxSleepMs: 2000 });

/** Error codes that are safe to retry: the request may simply not have reached the server. */
const RETRYABLE_CODES = new Set(['CONNECTION_LOSS', 'OPERATION_TIMEOUT', 'SESSION_MOVED']);

/** True for transient ZooKeeper errors that a retry can cure. */
export function isRetryable(error: unknown): boolean {
  return error instanceof ZkRecipesError && RETRYABLE_CODES.has(error.code);
}

/** Validates a partial policy and fills in defaults. */
const RETRY_POLICY_KEYS: OptionKeys<RetryPolicy> = { maxRetries: true, baseSleepMs: true, maxSleepMs: true };

export function resolveRetryPolicy(policy: Partial<RetryPolicy> | undefined, defaults: RetryPolicy = DEFAULT_RETRY_POLICY): RetryPolicy {
  checkOptionKeys('retry', policy, RETRY_POLICY_KEYS);
  const p = { ...defaults, ...policy };
  if (!Number.isInteger(p.maxRetries) || p.maxRetries < 0 || p.maxRetries > 29) {
    throw new InvalidArgumentError(`retry.maxRetries must be an integer from 0 to 29, got ${describeValue(p.maxRetries)}.`);
  }
  for (const key of ['baseSleepMs', 'maxSleepMs'] as const) {
    if (!Number.isFinite(p[key]) || p[key] < 0) {
      throw new InvalidArgumentError(`retry.${key} must be a finite number >= 0, got ${describeValue(p[key])}.`);
    }
  }
  if (p.maxSleepMs < p.baseSleepMs) {
    throw new InvalidArgumentError(`retry.maxSleepMs (${p.maxSleepMs}) must be >= retry.baseSleepMs (${p.baseSleepMs}).`);
  }
  return Object.freeze(p);
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, the policy is exhausted,
 * or `signal` aborts (then rejects with the signal's reason). The first attempt runs bare: the
 * retry machinery (p-retry, its closures and timers) is entered only once an attempt has failed,
 * so a request that succeeds pays nothing for it.
 */
export async function withRetry<T>(attempt: (attemptNumber: number) => Promise<T>, policy: RetryPolicy, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  let first: unknown;
  try {
    return await attempt(1);
  } catch (error) {
    if (!isRetryable(error) || policy.maxRetries === 0) throw error;
    if (signal?.aborted) throw signal.reason;
    first = error;
  }
  try {
    // p-retry sees the first failure as its own first attempt (rethrown at once), so its backoff
    // schedule and attempt numbers are exactly those of a run that started with it.
    let replayed = false;
    return await pRetry(
      (n) => {
        if (!replayed) {
          replayed = true;
          return Promise.reject(first);
        }
        return attempt(n);
      },
      {
        retries: policy.maxRetries,
        factor: 2,
        minTimeout: policy.baseSleepMs,
        maxTimeout: policy.maxSleepMs,
        randomize: true,
        signal,
        shouldRetry: ({ error }) => isRetryable(error),
      },
    );
  } catch (error) {
    // p-retry wraps the abort; callers expect the signal's own reason.
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
