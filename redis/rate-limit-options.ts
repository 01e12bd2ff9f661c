/**
 * RedisRateLimiter's options, results and the checks of its input (before anything is sent).
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import { describeValue, type OptionKeys } from '../src/core/options.js';

/** The algorithms. */
export type RateLimitAlgorithm = 'fixed-window' | 'sliding-window' | 'token-bucket';

/** Options of a {@link RedisRateLimiter}. */
export interface RateLimiterOptions {
  /** @default 'sliding-window' */
  readonly algorithm?: RateLimitAlgorithm;
  /** Calls (cost units) allowed per window: an integer ≥ 1. */
  readonly limit: number;
  /** The window in ms (token bucket: the time to refill `limit` tokens). */
  readonly windowMs: number;
  /** Token bucket only: the bucket's size, how many calls may come at once. @default limit */
  readonly burst?: number;
  /** Prefix of the keys: `<prefix>{<key>}:<name>`. @default 'zk-recipes:rate:' */
  readonly prefix?: string;
  /**
   * This limiter's part of its keys, so two limiters on one key (say 3 per second AND 5 per
   * minute on one phone number) never share a counter. Limiters with the same name and prefix
   * share their counters: give one name to every instance of one limit across your processes.
   * @default derived from the settings: `fw:<limit>:<windowMs>`, `sw:…`, `tb:<limit>:<windowMs>:<burst>`
   */
  readonly name?: string;
  /**
   * Fixed window only: the key is exactly `<prefix><key>` — the design's `phone_limit.lua` shape
   * (e.g. `rate.limiting:13700000000`) — to share one counter with a script that already runs on
   * it. Every limiter with plain keys on the same prefix and key shares that counter.
   * @default false
   */
  readonly plainKeys?: boolean;
  /**
   * When Redis cannot answer (down, unreachable, BUSY past the deadline): `false` (default)
   * rejects with RedisUnavailableError / RedisBusyError, so nothing passes unchecked; `true`
   * resolves to an allowed result with `checked: false`, for limits that protect less than an
   * outage of the endpoint would cost.
   */
  readonly failOpen?: boolean;
  /**
   * Once a call is refused, block the key for this many ms: every call is refused (counting
   * nothing) until the block ends — the brute-force guard of a login endpoint. @default none
   */
  readonly blockMs?: number;
  /**
   * With `blockMs`: remember blocked keys in this process and refuse them here until their block
   * ends, with no Redis call (`cached: true` on the result). A reset in another process does not
   * reach this cache. @default false
   */
  readonly blockCache?: boolean;
  /**
   * While Redis cannot answer, decide in this process with a fixed window of its own instead
   * (results say `checked: false, insured: true`). Per process: N processes admit up to N × its
   * limit between them. Takes precedence over `failOpen`. @default none
   */
  readonly insurance?: { readonly limit: number; readonly windowMs: number };
  /** Deadline of each decision (BUSY is retried within it). @default 1000 */
  readonly operationTimeoutMs?: number;
}

export const RATE_LIMITER_OPTION_KEYS: OptionKeys<RateLimiterOptions> = {
  algorithm: true,
  limit: true,
  windowMs: true,
  burst: true,
  prefix: true,
  name: true,
  plainKeys: true,
  failOpen: true,
  blockMs: true,
  blockCache: true,
  insurance: true,
  operationTimeoutMs: true,
};

export const LIMIT_CALL_KEYS: OptionKeys<{ readonly cost?: number }> = { cost: true };

/** One decision. */
export interface RateLimitResult {
  /** True when the call may go ahead (its cost was counted). */
  readonly allowed: boolean;
  /** The limit per window. */
  readonly limit: number;
  /** Calls (cost units) still allowed right now. */
  readonly remaining: number;
  /** ms until the window resets (fixed, sliding) or the bucket is full again (token bucket). */
  readonly resetMs: number;
  /** ms to wait before a call of the same cost can be allowed; 0 when allowed. */
  readonly retryAfterMs: number;
  /** False for a result given without asking Redis: `failOpen`, or the `insurance` limit. */
  readonly checked: boolean;
  /** True when the block cache refused the call without asking Redis (the key was known blocked). */
  readonly cached?: boolean;
  /** True when Redis could not answer and the in-process insurance limit decided. */
  readonly insured?: boolean;
}

export function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}, got ${describeValue(value)}.`);
  }
  return value;
}

export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidArgumentError('A rate limit key must be a non-empty string (e.g. a user id or an IP).');
  if (Buffer.byteLength(key) > 1024)
    throw new InvalidArgumentError(`A rate limit key may be at most 1024 bytes, got ${Buffer.byteLength(key)}.`);
  if (/[{}]/.test(key))
    throw new InvalidArgumentError(`A rate limit key may not contain '{' or '}' (they make the key's hash tag): ${JSON.stringify(key)}.`);
  return key;
}

export const ALGORITHM_TAGS: Record<RateLimitAlgorithm, string> = { 'fixed-window': 'fw', 'sliding-window': 'sw', 'token-bucket': 'tb' };

/** What makes a limiter different, as its keys' last part: two different limits never share a counter. */
export function defaultName(config: { algorithm: RateLimitAlgorithm; limit: number; windowMs: number; burst: number }): string {
  const base = `${ALGORITHM_TAGS[config.algorithm]}:${config.limit}:${config.windowMs}`;
  return config.algorithm === 'token-bucket' ? `${base}:${config.burst}` : base;
}

export function checkLimiterName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError('name must be a non-empty string (e.g. "sms-per-minute").');
  if (Buffer.byteLength(name) > 128) throw new InvalidArgumentError(`name may be at most 128 bytes, got ${Buffer.byteLength(name)}.`);
  if (/[{}]/.test(name))
    throw new InvalidArgumentError(`name may not contain '{' or '}' (the key's hash tag is the limited key's): ${JSON.stringify(name)}.`);
  return name;
}

export function checkPlainPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix must be a string.');
  return prefix;
}
