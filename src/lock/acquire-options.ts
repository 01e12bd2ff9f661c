/**
 * The options every wait for a lock takes, on every backend, and their validation (before
 * anything is sent).
 */
import { InvalidArgumentError, LockTimeoutError } from '../core/errors.js';
import { checkTimeoutMs } from '../core/limits.js';

/** Options of every wait for a lock. */
export interface AcquireOptions {
  /** Give up waiting after this many ms with {@link LockTimeoutError}; our place in line is removed. @default wait forever */
  readonly timeoutMs?: number;
  /** Abort the wait; rejects with the signal's reason and removes our place in line. */
  readonly signal?: AbortSignal;
}

/** Validates the options of acquire() and friends, before any network call. */
export function validateAcquireOptions(options: AcquireOptions | undefined): AcquireOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options must be an object like { timeoutMs, signal }.');
  const { signal } = options;
  if (options.timeoutMs !== undefined) checkTimeoutMs('timeoutMs', options.timeoutMs);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal must be an AbortSignal.');
  return options;
}

/** `tryAcquire()` semantics: the result, or null when the wait timed out (LockTimeoutError). */
export async function nullOnTimeout<T>(attempt: Promise<T>): Promise<T | null> {
  try {
    return await attempt;
  } catch (error) {
    if (error instanceof LockTimeoutError) return null;
    throw error;
  }
}
