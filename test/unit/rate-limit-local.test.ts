/**
 * The rate limiter's in-process parts, as pure logic: the insurance limit (a fixed window per
 * key, a look counts nothing) and the block cache (expiry), both bounded in keys.
 */
import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../redis/block-cache.js';
import { InsuranceLimiter } from '../../redis/insurance-limiter.js';

describe('InsuranceLimiter', () => {
  it('a fixed window per key: limit admitted, then refused until the window ends; a look counts nothing', () => {
    const insurance = new InsuranceLimiter(2, 1000);
    expect(insurance.decide('k', 0, 0)).toMatchObject({ allowed: true, remaining: 2 });
    expect(insurance.decide('k', 1, 0).allowed).toBe(true);
    expect(insurance.decide('k', 1, 100)).toMatchObject({ allowed: true, remaining: 0 });
    expect(insurance.decide('k', 0, 200)).toMatchObject({ allowed: false, retryAfterMs: 800 });
    expect(insurance.decide('k', 1, 999).allowed).toBe(false);
    expect(insurance.decide('k', 1, 1000)).toMatchObject({ allowed: true, remaining: 1 }); // a new window
    expect(insurance.decide('other', 2, 0).allowed).toBe(true);
  });

  it('holds at most maxKeys windows: expired ones go first, then the oldest', () => {
    const insurance = new InsuranceLimiter(1, 1000, 3);
    for (const key of ['a', 'b', 'c', 'd']) insurance.decide(key, 1, 0);
    expect(insurance.size).toBe(3);
    expect(insurance.decide('a', 1, 10).allowed).toBe(true); // 'a' (oldest) was dropped: a fresh window
  });
});

describe('BlockCache', () => {
  it('knows a block until it ends, forgets on request, and stays within its bound', () => {
    const cache = new BlockCache(2);
    cache.block('k', 500, 0);
    expect(cache.left('k', 100)).toBe(400);
    expect(cache.left('k', 500)).toBe(0);
    cache.block('k', 500, 0);
    cache.forget('k');
    expect(cache.left('k', 1)).toBe(0);
    for (const key of ['a', 'b', 'c']) cache.block(key, 1000, 0);
    expect(cache.size).toBe(2);
    expect(cache.left('a', 1)).toBe(0); // the oldest went
    expect(cache.left('c', 1)).toBe(999);
  });
});
