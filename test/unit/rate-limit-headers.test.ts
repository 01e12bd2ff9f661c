/** The HTTP header values of a rate limit decision. */
import { describe, expect, it } from 'vitest';
import { rateLimitHeaders } from '../../redis/index.js';

describe('rateLimitHeaders', () => {
  it('an allowed call: limit, remaining and reset in seconds (rounded up), the policy when the window is given', () => {
    expect(rateLimitHeaders({ allowed: true, limit: 3, remaining: 2, resetMs: 9_001, retryAfterMs: 0, checked: true }, 10_000)).toEqual({
      'RateLimit-Limit': '3',
      'RateLimit-Remaining': '2',
      'RateLimit-Reset': '10',
      'RateLimit-Policy': '3;w=10',
    });
  });

  it('a refused call adds Retry-After (at least 1 s)', () => {
    const h = rateLimitHeaders({ allowed: false, limit: 3, remaining: 0, resetMs: 400, retryAfterMs: 120, checked: true });
    expect(h['Retry-After']).toBe('1');
    expect(h['RateLimit-Reset']).toBe('1');
    expect(h['RateLimit-Remaining']).toBe('0');
    expect(h['RateLimit-Policy']).toBeUndefined();
  });
});
