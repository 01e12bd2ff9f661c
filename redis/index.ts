/**
 * `zk-recipes/redis`: the lock contract and rate limiters on Redis. Needs the `redis` package (node-redis v5/v6),
 * an optional peer dependency; ZooKeeper users never load this.
 */
export { RedisLock, type RedisLockOptions } from './lock.js';
export type { RedisLockKeys } from './lock-scripts.js';
export { fromIORedis, type IORedisLike, type IORedisPipelineLike } from './ioredis.js';
export type { RedisClientLike, RedisSubscriberLike } from './scripts.js';
export type { RedisClusterLike } from './cluster.js';
export { RedisBusyError, RedisCommandError, RedisUnavailableError } from './errors.js';
export * from '../src/lock/contract-exports.js';
export {
  RedisRateLimiter,
  type RateLimitAlgorithm,
  type RateLimiterOptions,
  type RateLimitResult,
} from './rate-limiter.js';
export {
  RedisMultiRateLimiter,
  type MultiRateLimiterOptions,
  type MultiRateLimitResult,
  type RateLimitSpec,
} from './multi-rate-limiter.js';
export { rateLimitHeaders } from './rate-limit-headers.js';
