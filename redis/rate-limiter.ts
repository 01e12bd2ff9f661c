/**
 * RedisRateLimiter: at most `limit` calls per key per `windowMs`, decided by one atomic Lua script
 * on the user's own Redis, with the server's clock. Three algorithms: the design's fixed window
 * (phone_limit.lua), a sliding window (no 2× burst at a window edge) and a token bucket (GCRA:
 * a smooth rate with bursts). EVALSHA with EVAL on NOSCRIPT; BUSY retried within the call's
 * deadline; when Redis cannot answer, a typed error — or, with `failOpen`, an allowed result that
 * says it was not checked.
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import { checkTimeoutMs, MAX_TIMEOUT_MS } from '../src/core/limits.js';
import { RedisBusyError, RedisUnavailableError } from './errors.js';
import {
  FIXED_WINDOW,
  FIXED_WINDOW_ADJUST,
  RESET,
  SLIDING_WINDOW,
  SLIDING_WINDOW_ADJUST,
  TOKEN_BUCKET,
  TOKEN_BUCKET_ADJUST,
} from './rate-limit-scripts.js';
import { checkKeyPrefix, checkRedisClient, type LuaScript, type RedisClientLike, runScript } from './scripts.js';
import type { RedisClusterLike } from './cluster.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../src/core/options.js';

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
  /** Deadline of each decision (BUSY is retried within it). @default 1000 */
  readonly operationTimeoutMs?: number;
}

const RATE_LIMITER_OPTION_KEYS: OptionKeys<RateLimiterOptions> = {
  algorithm: true,
  limit: true,
  windowMs: true,
  burst: true,
  prefix: true,
  name: true,
  plainKeys: true,
  failOpen: true,
  operationTimeoutMs: true,
};

const LIMIT_CALL_KEYS: OptionKeys<{ readonly cost?: number }> = { cost: true };

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
  /** False only for a `failOpen` result given without asking Redis. */
  readonly checked: boolean;
}

const SCRIPTS: Record<RateLimitAlgorithm, LuaScript> = {
  'fixed-window': FIXED_WINDOW,
  'sliding-window': SLIDING_WINDOW,
  'token-bucket': TOKEN_BUCKET,
};

const ADJUST_SCRIPTS: Record<RateLimitAlgorithm, LuaScript> = {
  'fixed-window': FIXED_WINDOW_ADJUST,
  'sliding-window': SLIDING_WINDOW_ADJUST,
  'token-bucket': TOKEN_BUCKET_ADJUST,
};

function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}, got ${describeValue(value)}.`);
  }
  return value;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidArgumentError('A rate limit key must be a non-empty string (e.g. a user id or an IP).');
  if (Buffer.byteLength(key) > 1024)
    throw new InvalidArgumentError(`A rate limit key may be at most 1024 bytes, got ${Buffer.byteLength(key)}.`);
  if (/[{}]/.test(key))
    throw new InvalidArgumentError(`A rate limit key may not contain '{' or '}' (they make the key's hash tag): ${JSON.stringify(key)}.`);
  return key;
}

const ALGORITHM_TAGS: Record<RateLimitAlgorithm, string> = { 'fixed-window': 'fw', 'sliding-window': 'sw', 'token-bucket': 'tb' };

/** What makes a limiter different, as its keys' last part: two different limits never share a counter. */
function defaultName(config: { algorithm: RateLimitAlgorithm; limit: number; windowMs: number; burst: number }): string {
  const base = `${ALGORITHM_TAGS[config.algorithm]}:${config.limit}:${config.windowMs}`;
  return config.algorithm === 'token-bucket' ? `${base}:${config.burst}` : base;
}

function checkLimiterName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError('name must be a non-empty string (e.g. "sms-per-minute").');
  if (Buffer.byteLength(name) > 128) throw new InvalidArgumentError(`name may be at most 128 bytes, got ${Buffer.byteLength(name)}.`);
  if (/[{}]/.test(name))
    throw new InvalidArgumentError(`name may not contain '{' or '}' (the key's hash tag is the limited key's): ${JSON.stringify(name)}.`);
  return name;
}

function checkPlainPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix must be a string.');
  return prefix;
}

/**
 * A rate limiter on Redis.
 *
 * ```ts
 * const limiter = new RedisRateLimiter(redis, { algorithm: 'fixed-window', limit: 3, windowMs: 10_000 });
 * const r = await limiter.limit(`sms:${phone}`);
 * if (!r.allowed) return reply(429, rateLimitHeaders(r));
 * ```
 */
export class RedisRateLimiter {
  /** The validated settings: algorithm, limit per window, window in ms, bucket size (token bucket). */
  readonly config: Readonly<{ algorithm: RateLimitAlgorithm; limit: number; windowMs: number; burst: number }>;
  readonly #client: RedisClientLike;
  readonly #script: LuaScript;
  readonly #prefix: string;
  /** `:<name>` after the hash tag; undefined for plain keys. */
  readonly #suffix: string | undefined;
  readonly #failOpen: boolean;
  readonly #timeoutMs: number;
  readonly #fixedArgs: readonly string[];

  /**
   * `client`: a node-redis client, `fromIORedis(io)`, or a Redis Cluster client — node-redis's
   * `createCluster()` or `fromIORedis(new Cluster(...))` (a limited key's state is one key).
   */
  constructor(client: RedisClientLike | RedisClusterLike, options: RateLimiterOptions) {
    this.#client = checkRedisClient(client, { allowCluster: true });
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options must be an object like { limit, windowMs }.');
    checkOptionKeys('RedisRateLimiter options', options, RATE_LIMITER_OPTION_KEYS);
    const algorithm = options.algorithm ?? 'sliding-window';
    if (!(algorithm in SCRIPTS))
      throw new InvalidArgumentError(
        `algorithm must be 'fixed-window', 'sliding-window' or 'token-bucket', got ${describeValue(algorithm)}.`,
      );
    const limit = positiveInteger('limit', options.limit);
    const windowMs = positiveInteger('windowMs', options.windowMs, MAX_TIMEOUT_MS);
    const burst = positiveInteger('burst', options.burst ?? limit);
    if (options.burst !== undefined && algorithm !== 'token-bucket')
      throw new InvalidArgumentError('burst applies to the token-bucket algorithm only.');
    this.config = Object.freeze({ algorithm, limit, windowMs, burst });
    const plainKeys = options.plainKeys === true;
    if (plainKeys && algorithm !== 'fixed-window')
      throw new InvalidArgumentError("plainKeys applies to the fixed-window algorithm only (the design's counter shape).");
    if (plainKeys && options.name !== undefined)
      throw new InvalidArgumentError('name has no place in plain keys (`<prefix><key>`): pass one or the other.');
    this.#prefix = plainKeys
      ? checkPlainPrefix(options.prefix ?? 'zk-recipes:rate:')
      : checkKeyPrefix(options.prefix ?? 'zk-recipes:rate:');
    this.#suffix = plainKeys ? undefined : `:${checkLimiterName(options.name ?? defaultName(this.config))}`;
    this.#failOpen = options.failOpen === true;
    this.#timeoutMs = checkTimeoutMs('operationTimeoutMs', options.operationTimeoutMs ?? 1000, 1);
    this.#script = SCRIPTS[algorithm];
    this.#fixedArgs = [String(limit), String(windowMs)];
  }

  /** The Redis key that holds `key`'s state for this limiter. */
  keyOf(key: string): string {
    if (this.#suffix === undefined) return `${this.#prefix}${checkKey(key)}`;
    return `${this.#prefix}{${checkKey(key)}}${this.#suffix}`;
  }

  /** Decides one call for `key`, counting `cost` (default 1) when it is allowed. */
  async limit(key: string, options: { readonly cost?: number } = {}): Promise<RateLimitResult> {
    checkOptionKeys('limit() options', options, LIMIT_CALL_KEYS);
    const redisKey = this.keyOf(key);
    const cost = options.cost ?? 1;
    if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 1)
      throw new InvalidArgumentError(`cost must be a positive integer, got ${describeValue(cost)}.`);
    const { algorithm, limit, burst } = this.config;
    const capacity = algorithm === 'token-bucket' ? burst : limit;
    if (cost > capacity)
      throw new InvalidArgumentError(
        `cost ${cost} is more than the ${algorithm === 'token-bucket' ? 'burst' : 'limit'} (${capacity}): it could never be allowed.`,
      );
    return this.#decide(redisKey, cost);
  }

  /**
   * Looks without counting: whether a call of cost 1 would be allowed for `key` now, and what
   * remains — nothing is written (a key never seen stays unseen).
   */
  async get(key: string): Promise<RateLimitResult> {
    return this.#decide(this.keyOf(key), 0);
  }

  /** Forgets `key`'s state under this limiter: its next call starts a fresh window (or a full bucket). */
  async reset(key: string): Promise<void> {
    // Not covered by failOpen: that is about letting calls through, and a reset that did not
    // happen must not look as if it had.
    await runScript(this.#client, RESET, [this.keyOf(key)], [], Date.now() + this.#timeoutMs);
  }

  /**
   * Counts `points` against `key` without a decision, past the limit if need be (a penalty: a
   * failed login costs more than a call). Resolves once counted; the key expires as usual.
   */
  async penalty(key: string, points: number): Promise<void> {
    await this.#adjust(key, positiveInteger('points', points));
  }

  /** Gives `points` back to `key` (a reward: a call that turned out not to count), never below none used. */
  async reward(key: string, points: number): Promise<void> {
    await this.#adjust(key, -positiveInteger('points', points));
  }

  async #adjust(key: string, delta: number): Promise<void> {
    const args = [...this.#fixedArgs, String(delta)];
    // Like reset, not covered by failOpen: an adjustment that did not happen must not look done.
    await runScript(this.#client, ADJUST_SCRIPTS[this.config.algorithm], [this.keyOf(key)], args, Date.now() + this.#timeoutMs);
  }

  async #decide(redisKey: string, cost: number): Promise<RateLimitResult> {
    const { algorithm, limit, burst } = this.config;
    const args = [...this.#fixedArgs, String(cost)];
    if (algorithm === 'token-bucket') args.push(String(burst));
    let reply: unknown;
    try {
      reply = await runScript(this.#client, this.#script, [redisKey], args, Date.now() + this.#timeoutMs);
    } catch (error) {
      if (this.#failOpen && (error instanceof RedisUnavailableError || error instanceof RedisBusyError)) {
        return { allowed: true, limit, remaining: 0, resetMs: 0, retryAfterMs: 0, checked: false };
      }
      throw error;
    }
    const [allowed, remaining, resetMs, retryAfterMs] = reply as [number, number, number, number];
    return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs, checked: true };
  }
}
