/**
 * Timer ranges, checked before anything is sent: Node clamps a timer above 2^31−1 ms to 1 ms (and
 * warns), so such a timeout would fire at once; we refuse it.
 */
import { InvalidArgumentError } from './errors.js';
import { describeValue } from './options.js';

/** The largest delay a Node timer honours (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Throws unless `value` is an integer number of milliseconds in [min, MAX_TIMEOUT_MS]. `whenLeftOut`
 * says what leaving the option out means, for the options where that is a way out (a wait's limit).
 */
export function checkTimeoutMs(name: string, value: unknown, min = 0, whenLeftOut?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      `${name} must be an integer number of milliseconds from ${min} to ${MAX_TIMEOUT_MS} (about 24.8 days), got ${describeValue(value)}.${whenLeftOut ? ` Leave it out ${whenLeftOut}.` : ''}`,
    );
  }
  return value;
}
