/**
 * Rate limiting an HTTP route per client: `npx tsx examples/rate-limit-http.ts` (starts its own
 * redis-server unless REDIS_URL is set).
 *
 * POST /sms sends at most 3 codes per phone number per 10 s — the design's phone_limit.lua, as
 * the fixed-window limiter — and answers 429 with RateLimit-* and Retry-After headers beyond
 * that. GET / allows 5 requests per client address per second with a sliding window.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { RedisRateLimiter, rateLimitHeaders } from 'zk-recipes/redis';
import { TestingRedis } from 'zk-recipes/testing';

const redisServer = process.env.REDIS_URL ? undefined : await TestingRedis.start();
const redis = createClient({ url: process.env.REDIS_URL ?? (redisServer as TestingRedis).url });
redis.on('error', () => undefined);
await redis.connect();

const sms = new RedisRateLimiter(redis, { algorithm: 'fixed-window', limit: 3, windowMs: 10_000 });
const pages = new RedisRateLimiter(redis, { algorithm: 'sliding-window', limit: 5, windowMs: 1000 });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const [limiter, key] =
    req.method === 'POST' && url.pathname === '/sms'
      ? [sms, `sms:${url.searchParams.get('phone') ?? ''}`]
      : [pages, `page:${req.socket.remoteAddress ?? 'unknown'}`];
  try {
    const result = await limiter.limit(key);
    for (const [name, value] of Object.entries(rateLimitHeaders(result, limiter.config.windowMs))) res.setHeader(name, value);
    res.statusCode = result.allowed ? 200 : 429;
    res.end(result.allowed ? 'ok\n' : 'too many requests\n');
  } catch (error) {
    res.statusCode = 503; // Redis could not decide: refuse rather than let everything through
    res.end(`${(error as Error).name}\n`);
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

for (let i = 1; i <= 4; i++) {
  const r = await fetch(`${base}/sms?phone=13700000000`, { method: 'POST' });
  console.log(`SMS ${i}: ${r.status} remaining=${r.headers.get('ratelimit-remaining')} retry-after=${r.headers.get('retry-after') ?? '-'}`);
}
const other = await fetch(`${base}/sms?phone=13800000000`, { method: 'POST' });
console.log(`another phone: ${other.status}`);
const statuses = [];
for (let i = 0; i < 7; i++) statuses.push((await fetch(`${base}/`)).status);
console.log(`pages: ${statuses.join(' ')}`);

server.close();
redis.destroy();
await redisServer?.stop();
