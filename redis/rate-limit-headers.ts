/**
 * HTTP header values from a rate limit decision: the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Limit`, `RateLimit-Remaining`,
 * `RateLimit-Reset` in delta seconds, `RateLimit-Policy`) and, when refused, `Retry-After`.
 */
import type { RateLimitResult } from './rate-limiter.js';

/** The headers to send with a response (values as strings, ready for `res.setHeader`). */
export function rateLimitHeaders(result: RateLimitResult, windowMs?: number): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(Math.max(0, result.remaining)),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(result.resetMs / 1000))),
  };
  if (windowMs !== undefined) headers['RateLimit-Policy'] = `${result.limit};w=${Math.max(1, Math.ceil(windowMs / 1000))}`;
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  return headers;
}
