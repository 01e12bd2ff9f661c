/**
 * RedisMultiRateLimiter: several limits on one key, decided and counted together in one atomic
 * script — "3 per second and 5 per minute" on one phone number: a call passes only if every
 * limit has room, and then counts against all of them; a refused call counts against none. Each
 * limit keeps its own key (`<prefix>{<key>}:<name>`, one hash tag, so one slot of a cluster).
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import { checkTimeoutMs, MAX_TIMEOUT_MS } from '../src/core/limits.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../src/core/options.js';
import type { RedisClientLike } from './client-like.js';
import type { RedisClusterLike } from './cluster.js';
import { RedisBusyError, RedisUnavailableError } from './errors.js';
import {
  checkKey,
  checkLimiterName,
  defaultName,
  LIMIT_CALL_KEYS,
  positiveInteger,
  type RateLimitAlgorithm,
  type RateLimitResult,
} from './rate-limit-options.js';
import { FIXED_WINDOW, RESET, SLIDING_WINDOW, several, TOKEN_BUCKET } from './rate-limit-scripts.js';
import { checkKeyPrefix, checkRedisClient, type LuaScript, runScript } from './scripts.js';

/** One of the limits of a {@link RedisMultiRateLimiter}. */
export interface RateLimitSpec {
  /** Calls (cost units) allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
  /** Token bucket only. @default limit */
  readonly burst?: number;
  /** This limit's part of its key. @default derived from its settings */
  readonly name?: string;
}

/** Options of a {@link RedisMultiRateLimiter}. */
export interface MultiRateLimiterOptions {
  /** One algorithm for every limit. @default 'sliding-window' */
  readonly algorithm?: RateLimitAlgorithm;
  /** The limits, all of which a call must fit (2 to 8 of them). */
  readonly limits: readonly RateLimitSpec[];
  /** @default 'zk-recipes:rate:' */
  readonly prefix?: string;
  /** As RedisRateLimiter's: allow unchecked while Redis cannot answer. @default false */
  readonly failOpen?: boolean;
  /** @default 1000 */
  readonly operationTimeoutMs?: number;
}

/** One decision over several limits; `limit`, `remaining` and `resetMs` are the tightest limit's. */
export interface MultiRateLimitResult extends RateLimitResult {
  /** Each limit in the order given: after counting when allowed, as it stands when refused. */
  readonly limits: readonly { readonly limit: number; readonly windowMs: number; readonly remaining: number; readonly resetMs: number }[];
  /** The index of the limit that refused (the one that makes the caller wait longest). */
  readonly refusedBy?: number;
}

const OPTION_KEYS: OptionKeys<MultiRateLimiterOptions> = {
  algorithm: true,
  limits: true,
  prefix: true,
  failOpen: true,
  operationTimeoutMs: true,
};
const SPEC_KEYS: OptionKeys<RateLimitSpec> = { limit: true, windowMs: true, burst: true, name: true };
const BASE: Record<RateLimitAlgorithm, LuaScript> = {
  'fixed-window': FIXED_WINDOW,
  'sliding-window': SLIDING_WINDOW,
  'token-bucket': TOKEN_BUCKET,
};

/**
 * ```ts
 * const sms = new RedisMultiRateLimiter(redis, { algorithm: 'fixed-window', limits: [{ limit: 3, windowMs: 1000 }, { limit: 5, windowMs: 60_000 }] });
 * const r = await sms.limit(phone); // r.refusedBy says which limit said no
 * ```
 */
export class RedisMultiRateLimiter {
  readonly algorithm: RateLimitAlgorithm;
  readonly limits: readonly Required<Omit<RateLimitSpec, 'name'>>[];
  readonly #client: RedisClientLike;
  readonly #script: LuaScript;
  readonly #prefix: string;
  readonly #names: readonly string[];
  readonly #args: readonly string[];
  readonly #failOpen: boolean;
  readonly #timeoutMs: number;

  constructor(client: RedisClientLike | RedisClusterLike, options: MultiRateLimiterOptions) {
    this.#client = checkRedisClient(client, { allowCluster: true });
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options must be an object like { limits: [...] }.');
    checkOptionKeys('RedisMultiRateLimiter options', options, OPTION_KEYS);
    const algorithm = options.algorithm ?? 'sliding-window';
    if (!Object.hasOwn(BASE, algorithm))
      throw new InvalidArgumentError(
        `algorithm must be 'fixed-window', 'sliding-window' or 'token-bucket', got ${describeValue(algorithm)}.`,
      );
    if (!Array.isArray(options.limits) || options.limits.length < 2 || options.limits.length > 8)
      throw new InvalidArgumentError(`limits must list 2 to 8 limits (one is a RedisRateLimiter), got ${describeValue(options.limits)}.`);
    const specs = options.limits.map((spec, i) => {
      checkOptionKeys(`limits[${i}]`, spec, SPEC_KEYS);
      const limit = positiveInteger(`limits[${i}].limit`, spec.limit);
      const windowMs = positiveInteger(`limits[${i}].windowMs`, spec.windowMs, MAX_TIMEOUT_MS);
      const burst = positiveInteger(`limits[${i}].burst`, spec.burst ?? limit);
      if (spec.burst !== undefined && algorithm !== 'token-bucket')
        throw new InvalidArgumentError('burst applies to the token-bucket algorithm only.');
      return { limit, windowMs, burst, name: checkLimiterName(spec.name ?? defaultName({ algorithm, limit, windowMs, burst })) };
    });
    if (new Set(specs.map((s) => s.name)).size !== specs.length)
      throw new InvalidArgumentError('two limits would share a counter: give them different settings or names.');
    this.algorithm = algorithm;
    this.limits = Object.freeze(specs.map(({ limit, windowMs, burst }) => Object.freeze({ limit, windowMs, burst })));
    this.#names = specs.map((s) => s.name);
    this.#args = specs.flatMap((s) => [String(s.limit), String(s.windowMs), String(s.burst)]);
    this.#prefix = checkKeyPrefix(options.prefix ?? 'zk-recipes:rate:');
    this.#failOpen = options.failOpen === true;
    this.#timeoutMs = checkTimeoutMs('operationTimeoutMs', options.operationTimeoutMs ?? 1000, 1);
    this.#script = several(BASE[algorithm]);
  }

  /** The Redis keys of `key`, one per limit. */
  keysOf(key: string): string[] {
    const tag = `${this.#prefix}{${checkKey(key)}}`;
    return this.#names.map((name) => `${tag}:${name}`);
  }

  /** Decides one call for `key` against every limit; counts `cost` (default 1) against all when allowed. */
  async limit(key: string, options: { readonly cost?: number } = {}): Promise<MultiRateLimitResult> {
    checkOptionKeys('limit() options', options, LIMIT_CALL_KEYS);
    const cost = options.cost ?? 1;
    if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 1)
      throw new InvalidArgumentError(`cost must be a positive integer, got ${describeValue(cost)}.`);
    const smallest = Math.min(...this.limits.map((l) => (this.algorithm === 'token-bucket' ? l.burst : l.limit)));
    if (cost > smallest)
      throw new InvalidArgumentError(`cost ${cost} is more than the smallest limit (${smallest}): it could never be allowed.`);
    return this.#decide(this.keysOf(key), cost);
  }

  /** Looks without counting: would a call of cost 1 pass every limit now, and what remains of each. */
  async get(key: string): Promise<MultiRateLimitResult> {
    return this.#decide(this.keysOf(key), 0);
  }

  /** Forgets `key`'s state under every limit. */
  async reset(key: string): Promise<void> {
    await runScript(this.#client, RESET, this.keysOf(key), [], Date.now() + this.#timeoutMs);
  }

  async #decide(keys: string[], cost: number): Promise<MultiRateLimitResult> {
    let reply: number[];
    try {
      reply = (await runScript(this.#client, this.#script, keys, [String(cost), ...this.#args], Date.now() + this.#timeoutMs)) as number[];
    } catch (error) {
      if (this.#failOpen && (error instanceof RedisUnavailableError || error instanceof RedisBusyError)) {
        const first = this.limits[0] as (typeof this.limits)[number];
        return { allowed: true, limit: first.limit, remaining: 0, resetMs: 0, retryAfterMs: 0, checked: false, limits: [] };
      }
      throw error;
    }
    const limits = this.limits.map((l, i) => ({
      limit: l.limit,
      windowMs: l.windowMs,
      remaining: Number(reply[3 + 2 * i]),
      resetMs: Number(reply[4 + 2 * i]),
    }));
    if (Number(reply[0]) !== 1) {
      const index = Number(reply[1]) - 1;
      const refusing = limits[index] as (typeof limits)[number];
      const { limit, remaining, resetMs } = refusing;
      return { allowed: false, limit, remaining, resetMs, retryAfterMs: Number(reply[2]), checked: true, refusedBy: index, limits };
    }
    const tightest = limits.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    const { limit, remaining, resetMs } = tightest;
    return { allowed: true, limit, remaining, resetMs, retryAfterMs: 0, checked: true, limits };
  }
}
