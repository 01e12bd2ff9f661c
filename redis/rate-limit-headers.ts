/**
 * HTTP header values from a rate limit decision: the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Limit`, `RateLimit-Remaining`,
 * `RateLimit-Reset` in delta seconds, `RateLimit-Policy`) and, when refused, `Retry-After`.
 */
import type { RateLimitResult } from './rate-limiter.js';
import type { MultiRateLimitResult } from './multi-rate-limiter.js';

/**
 * The headers to send with a response (values as strings, ready for `res.setHeader`). A result of
 * several limits (RedisMultiRateLimiter) gives the tightest limit's figures and, when allowed, a
 * policy listing every limit (`3;w=1, 5;w=60`).
 */
export function rateLimitHeaders(result: RateLimitResult | MultiRateLimitResult, windowMs?: number): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(Math.max(0, result.remaining)),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(result.resetMs / 1000))),
  };
  const policy = (limit: number, ms: number) => `${limit};w=${Math.max(1, Math.ceil(ms / 1000))}`;
  const several = 'limits' in result ? result.limits : undefined;
  if (several && several.length > 0) headers['RateLimit-Policy'] = several.map((l) => policy(l.limit, l.windowMs)).join(', ');
  else if (windowMs !== undefined) headers['RateLimit-Policy'] = policy(result.limit, windowMs);
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  return headers;
}
