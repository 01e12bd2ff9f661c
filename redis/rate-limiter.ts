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
import { BlockCache } from './block-cache.js';
import { InsuranceLimiter } from './insurance-limiter.js';
import {
  blocking,
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
import { checkOptionKeys, describeValue } from '../src/core/options.js';
import {
  checkKey,
  checkLimiterName,
  checkPlainPrefix,
  defaultName,
  LIMIT_CALL_KEYS,
  positiveInteger,
  RATE_LIMITER_OPTION_KEYS,
  type RateLimitAlgorithm,
  type RateLimiterOptions,
  type RateLimitResult,
} from './rate-limit-options.js';

export type { RateLimitAlgorithm, RateLimiterOptions, RateLimitResult } from './rate-limit-options.js';

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

function checkInsurance(value: unknown): InsuranceLimiter | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object')
    throw new InvalidArgumentError(`insurance must be { limit, windowMs }, got ${describeValue(value)}.`);
  checkOptionKeys('insurance', value as { limit: number; windowMs: number }, { limit: true, windowMs: true });
  const { limit, windowMs } = value as { limit: unknown; windowMs: unknown };
  return new InsuranceLimiter(positiveInteger('insurance.limit', limit), positiveInteger('insurance.windowMs', windowMs, MAX_TIMEOUT_MS));
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
  readonly #blockMs: number | undefined;
  readonly #blocks: BlockCache | undefined;
  readonly #insurance: InsuranceLimiter | undefined;

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
    this.#blockMs = options.blockMs === undefined ? undefined : positiveInteger('blockMs', options.blockMs, MAX_TIMEOUT_MS);
    if (options.blockCache !== undefined && typeof options.blockCache !== 'boolean')
      throw new InvalidArgumentError(`blockCache must be a boolean, got ${describeValue(options.blockCache)}.`);
    if (options.blockCache && this.#blockMs === undefined)
      throw new InvalidArgumentError('blockCache needs blockMs: only a block is certain enough to refuse without asking Redis.');
    this.#blocks = options.blockCache ? new BlockCache() : undefined;
    this.#insurance = checkInsurance(options.insurance);
    this.#script = this.#blockMs === undefined ? SCRIPTS[algorithm] : blocking(SCRIPTS[algorithm]);
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
    const redisKey = this.keyOf(key);
    this.#blocks?.forget(redisKey);
    await runScript(this.#client, RESET, this.#keysOf(redisKey), [], Date.now() + this.#timeoutMs);
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

  /** The keys of `redisKey`'s state under this limiter: its own, and its block's with `blockMs`. */
  #keysOf(redisKey: string): string[] {
    return this.#blockMs === undefined ? [redisKey] : [redisKey, `${redisKey}:block`];
  }

  async #decide(redisKey: string, cost: number): Promise<RateLimitResult> {
    const { algorithm, limit, burst } = this.config;
    const blockedFor = this.#blocks?.left(redisKey) ?? 0;
    if (blockedFor > 0)
      return { allowed: false, limit, remaining: 0, resetMs: blockedFor, retryAfterMs: blockedFor, checked: true, cached: true };
    const args = [...this.#fixedArgs, String(cost)];
    if (algorithm === 'token-bucket') args.push(String(burst));
    if (this.#blockMs !== undefined) args.push(String(this.#blockMs));
    let reply: unknown;
    try {
      reply = await runScript(this.#client, this.#script, this.#keysOf(redisKey), args, Date.now() + this.#timeoutMs);
    } catch (error) {
      const unanswered = error instanceof RedisUnavailableError || error instanceof RedisBusyError;
      if (unanswered && this.#insurance) {
        return { ...this.#insurance.decide(redisKey, cost), limit: this.#insurance.limit, checked: false, insured: true };
      }
      if (unanswered && this.#failOpen) return { allowed: true, limit, remaining: 0, resetMs: 0, retryAfterMs: 0, checked: false };
      throw error;
    }
    const [allowed, remaining, resetMs, retryAfterMs] = reply as [number, number, number, number];
    // With blockMs every refusal is a block (or inside one): remember it here when asked to.
    if (allowed !== 1 && this.#blocks && retryAfterMs > 0) this.#blocks.block(redisKey, retryAfterMs);
    return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs, checked: true };
  }
}
