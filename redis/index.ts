/**
 * `zk-recipes/redis`: the lock contract and rate limiters on Redis. Needs the `redis` package (node-redis v5/v6),
 * an optional peer dependency; ZooKeeper users never load this.
 */
export { RedisLock, type RedisLockOptions } from './lock.js';
export { fromIORedis, type IORedisLike } from './ioredis.js';
export type { RedisClientLike, RedisSubscriberLike } from './scripts.js';
export { RedisBusyError, RedisCommandError, RedisUnavailableError } from './errors.js';
export { WAKE_CHANNEL_PREFIX } from './lock-scripts.js';
export { Lease, type AcquireOptions } from '../src/lock/index.js';
export {
  ZkRecipesError,
  InvalidArgumentError,
  LockTimeoutError,
  NotOwnerError,
  AlreadyReleasedError,
  OwnershipLostError,
  ClientClosedError,
} from '../src/errors.js';
export {
  RedisRateLimiter,
  type RateLimitAlgorithm,
  type RateLimiterOptions,
  type RateLimitResult,
} from './rate-limiter.js';
export { rateLimitHeaders } from './rate-limit-headers.js';
