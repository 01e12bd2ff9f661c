/**
 * Rate limiter workloads: decisions/s of zk-recipes' three algorithms, rate-limiter-flexible's
 * RateLimiterRedis (on node-redis, `useRedisPackage: true`) and a bare fixed-window script run
 * with EVALSHA (the floor), on one key and on 10,000 keys, from 1 and from 8 connections. Every
 * run also counts what was admitted against what the limit allows.
 */
import { createClient } from 'redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { RateLimitAlgorithm } from '../redis/index.js';
import { redisLibrary } from './library.js';

const { RedisRateLimiter } = redisLibrary;
import { luaScript } from '../redis/scripts.js';
import { round } from './stats.js';
import type { Figures } from './workloads.js';

/** The deciders compared. */
export type LimiterImpl = 'fixed-window' | 'sliding-window' | 'token-bucket' | 'rate-limiter-flexible' | 'bare-script';
export const LIMITER_IMPLS: readonly LimiterImpl[] = [
  'fixed-window',
  'sliding-window',
  'token-bucket',
  'rate-limiter-flexible',
  'bare-script',
];

/** One run's shape. */
export interface LimiterRun {
  readonly keys: number;
  readonly clients: number;
  readonly decisions: number;
}

type Client = import('redis').RedisClientType;
type Decide = (key: string) => Promise<boolean>;

/** Windows long enough that no refill or expiry happens during a run: admissions are exact. */
const WINDOW_MS = 3_600_000;

/** The design's phone_limit.lua shape: INCR, EXPIRE on the first, refuse past the limit. */
const BARE = luaScript(
  'bare-fixed-window',
  `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if c > tonumber(ARGV[1]) then return 0 end
return 1`,
);

function decider(impl: LimiterImpl, client: Client, limit: number, prefix: string): Decide {
  if (impl === 'rate-limiter-flexible') {
    const rlf = new RateLimiterRedis({
      storeClient: client,
      useRedisPackage: true,
      points: limit,
      duration: WINDOW_MS / 1000,
      keyPrefix: prefix,
    });
    return (key) =>
      rlf.consume(key).then(
        () => true,
        (refusal: unknown) => {
          if (refusal instanceof Error) throw refusal;
          return false;
        },
      );
  }
  if (impl === 'bare-script') {
    const args = [String(limit), String(WINDOW_MS)];
    return async (key) => {
      const keys = [`${prefix}${key}`];
      try {
        return (await client.evalSha(BARE.sha, { keys, arguments: args })) === 1;
      } catch {
        return (await client.eval(BARE.source, { keys, arguments: args })) === 1;
      }
    };
  }
  const limiter = new RedisRateLimiter(client, { algorithm: impl as RateLimitAlgorithm, limit, windowMs: WINDOW_MS, prefix });
  return async (key) => (await limiter.limit(key)).allowed;
}

/** Runs `run.decisions` decisions of `impl`, spread over clients and keys; returns its figures. */
export async function limiterWorkload(impl: LimiterImpl, url: string, run: LimiterRun, warmup: number): Promise<Figures> {
  const clients = await Promise.all(
    Array.from({ length: run.clients }, async () => {
      const c = createClient({ url }) as Client;
      c.on('error', () => undefined);
      await c.connect();
      return c;
    }),
  );
  try {
    // Half the calls on each key are admitted: limit = calls per key / 2.
    const perKey = Math.max(2, Math.floor(run.decisions / run.keys));
    const limit = Math.max(1, Math.floor(perKey / 2));
    const prefix = `bench:${impl}:${run.keys}:${run.clients}:${Date.now()}:`;
    const deciders = clients.map((c) => decider(impl, c, limit, prefix));
    for (const d of deciders) for (let i = 0; i < warmup; i++) await d(`warm-${i % 10}`);
    const total = perKey * run.keys;
    let next = 0;
    let admitted = 0;
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.all(
      deciders.map(async (decide) => {
        for (let i = next++; i < total; i = next++) if (await decide(`k${i % run.keys}`)) admitted++;
      }),
    );
    const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const d = process.cpuUsage(cpu);
    return {
      decisionsPerSec: round((total / elapsedMs) * 1000),
      clientCpuUsPerDecision: round((d.user + d.system) / total),
      admitted,
      admittedExpected: limit * run.keys,
    };
  } finally {
    for (const c of clients) c.destroy();
  }
}
