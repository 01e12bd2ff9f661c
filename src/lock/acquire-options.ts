/**
 * The options every wait for a lock takes, on every backend, and their validation (before
 * anything is sent).
 */
import { InvalidArgumentError, LockTimeoutError } from '../core/errors.js';
import { checkTimeoutMs } from '../core/limits.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../core/options.js';

/** Options of every wait for a lock. */
export interface AcquireOptions {
  /** Give up waiting after this many ms with {@link LockTimeoutError}; our place in line is removed. @default wait forever */
  readonly timeoutMs?: number;
  /** Abort the wait; rejects with the signal's reason and removes our place in line. */
  readonly signal?: AbortSignal;
}

/** The keys of {@link AcquireOptions}. */
export const ACQUIRE_OPTION_KEYS: OptionKeys<AcquireOptions> = { timeoutMs: true, signal: true };

/**
 * Validates the options of acquire() and friends, before any network call; `known` lists the keys
 * of a wider option type (a semaphore's `qty`).
 */
export function validateAcquireOptions<T extends AcquireOptions>(
  options: T | undefined,
  known: OptionKeys<T> = ACQUIRE_OPTION_KEYS as OptionKeys<T>,
  where = 'acquire options',
): AcquireOptions {
  if (options === undefined) return {};
  checkOptionKeys(where, options, known);
  const { signal } = options;
  if (options.timeoutMs !== undefined) checkTimeoutMs('timeoutMs', options.timeoutMs, 0, 'to wait without a limit');
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidArgumentError(`signal must be an AbortSignal, got ${describeValue(signal)}.`);
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
