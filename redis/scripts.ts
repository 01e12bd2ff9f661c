/**
 * Running Lua scripts on the user's own node-redis client: EVALSHA, EVAL on NOSCRIPT (after
 * SCRIPT FLUSH, a restart, a failover), BUSY retried with backoff within the call's deadline, and
 * a deadline on every call whatever the connection does.
 *
 * node-redis's own `scripts` option does the EVALSHA fallback too, but only for clients created
 * with it; we take the user's client as it is, so the fallback lives here.
 */
import { createHash } from 'node:crypto';
import { DeadlineTimer } from '../src/core/deadline-timer.js';
import { sleep } from '../src/core/timing.js';
import { errorText } from '../src/core/wait-trace.js';
import { ClientClosedError, InvalidArgumentError } from '../src/core/errors.js';
import { RedisBusyError, RedisCommandError, RedisUnavailableError } from './errors.js';
import { fromNodeRedisCluster, isClusterClient, LOCK_CLUSTER_NOT_SUPPORTED, type RedisClusterLike } from './cluster.js';
import type { RedisClientLike } from './client-like.js';

export type { RedisClientLike, RedisSubscriberLike } from './client-like.js';

/**
 * Throws unless `client` looks like a node-redis client. A cluster client (node-redis's
 * `createCluster()`, or ioredis's `Cluster` through `fromIORedis`) is taken when `allowCluster`
 * (the rate limiter: one key per command), refused otherwise (the lock).
 */
export function checkRedisClient(client: unknown, options: { readonly allowCluster?: boolean } = {}): RedisClientLike {
  const c = client as Partial<RedisClientLike> | null;
  if (c && typeof c === 'object' && isClusterClient(c)) {
    if (!options.allowCluster) throw new InvalidArgumentError(LOCK_CLUSTER_NOT_SUPPORTED);
    return c.cluster === true ? (c as RedisClientLike) : fromNodeRedisCluster(c as unknown as RedisClusterLike);
  }
  if (!c || typeof c.sendCommand !== 'function' || typeof c.duplicate !== 'function') {
    throw new InvalidArgumentError('client must be a node-redis client (createClient() from the `redis` package, v5 or v6).');
  }
  return client as RedisClientLike;
}

/**
 * Throws unless `prefix` keeps one lock's (or one limited key's) keys in one cluster slot: a `{`
 * or `}` in it would move the hash tag away from `{name}`.
 */
export function checkKeyPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix must be a string.');
  if (/[{}]/.test(prefix)) {
    throw new InvalidArgumentError(
      `prefix may not contain '{' or '}': the keys' hash tag must be the name's own, so all of one lock's keys share one slot (got ${JSON.stringify(prefix)}).`,
    );
  }
  if (Buffer.byteLength(prefix) > 256) throw new InvalidArgumentError(`prefix may be at most 256 bytes, got ${Buffer.byteLength(prefix)}.`);
  return prefix;
}

/** Throws ClientClosedError unless the client is open: a closed client does not come back by itself. */
export function assertReady(client: RedisClientLike, what: string): void {
  if (!client.isOpen) {
    throw new ClientClosedError(
      what,
      'the Redis client is not open — it was closed (close(), quit(), destroy()) or never connected. Call `await client.connect()` first, or create a new client after closing one.',
    );
  }
}

/** A Lua script and its SHA1. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** Defines a script (its SHA1 computed once). */
export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Answers that mean "this server cannot serve right now, ask again shortly": BUSY (a long script),
 * LOADING (reading its data set after a restart), MASTERDOWN (a replica lost its primary),
 * TRYAGAIN and CLUSTERDOWN (a cluster moving slots or without quorum).
 */
const TRY_AGAIN = /^(BUSY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/** One timer for the deadlines of every call in flight, instead of a setTimeout per call. */
const deadlines = new DeadlineTimer();

/**
 * Sends one command, rejecting with RedisUnavailableError at `deadline` (epoch ms). `key` routes a
 * keyless command to that key's node on a cluster.
 */
export function sendBy(client: RedisClientLike, args: readonly string[], deadline: number, what: string, key?: string): Promise<unknown> {
  if (!client.isOpen) assertReady(client, what);
  // A command sent while the client reconnects waits in its offline queue: abort removes it there
  // at our deadline, so it cannot run after we gave up (and, say, cleaned up). One sent while
  // connected is written at once; a later command on the same connection runs after it.
  const controller = client.isReady ? undefined : new AbortController();
  return new Promise((resolve, reject) => {
    let settled = false;
    const remove = deadlines.addAt(deadline, () => {
      if (settled) return;
      settled = true;
      controller?.abort();
      reject(
        new RedisUnavailableError(
          `${what}: Redis did not answer in time (the client is ${client.isReady ? 'connected' : 'reconnecting'}).`,
        ),
      );
    });
    client.sendCommand(args, commandOptions(client, controller, key)).then(
      (value) => {
        if (settled) return;
        settled = true;
        remove();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        remove();
        reject(error);
      },
    );
  });
}

/** node-redis's per-command timer off (our deadline bounds the call), and what else this command needs. */
const NO_CLIENT_TIMER = { timeout: 0 } as const;

function commandOptions(client: RedisClientLike, controller: AbortController | undefined, key: string | undefined) {
  if (client.cluster) {
    if (controller) return key === undefined ? { abortSignal: controller.signal } : { abortSignal: controller.signal, key };
    return key === undefined ? undefined : { key };
  }
  return controller ? { abortSignal: controller.signal, timeout: 0 } : NO_CLIENT_TIMER;
}

/** True for errors worth retrying within a deadline: no answer, or the server not serving yet. A closed client is not. */
export function isTransient(error: unknown): boolean {
  return error instanceof RedisUnavailableError || error instanceof RedisBusyError;
}

/**
 * Runs `script` with EVALSHA (EVAL on NOSCRIPT); BUSY, LOADING, MASTERDOWN, TRYAGAIN and
 * CLUSTERDOWN are retried with backoff until `deadline` — the whole of it — then RedisBusyError
 * (BUSY) or RedisUnavailableError; no answer by `deadline` is RedisUnavailableError; a closed
 * client is ClientClosedError.
 */
export async function runScript(
  client: RedisClientLike,
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
  deadline: number,
): Promise<unknown> {
  const what = `Redis script ${script.name}`;
  const started = Date.now();
  let backoffMs = 5;
  let useEval = false;
  let notNowSeen: { state: string; error: unknown } | undefined;
  const gaveUp = (state: string, cause: unknown) =>
    state === 'BUSY'
      ? new RedisBusyError(what, Date.now() - started)
      : new RedisUnavailableError(`${what}: Redis answered ${state} until the deadline (${errorText(cause)}).`, { cause });
  for (;;) {
    const command = [useEval ? 'EVAL' : 'EVALSHA', useEval ? script.source : script.sha, String(keys.length)];
    for (const key of keys) command.push(key);
    for (const arg of args) command.push(arg);
    try {
      return await sendBy(client, command, deadline, what);
    } catch (error) {
      if (error instanceof ClientClosedError) throw error;
      // the deadline ran out on a retry: say what kept the server from serving
      if (error instanceof RedisUnavailableError)
        throw notNowSeen && Date.now() >= deadline ? gaveUp(notNowSeen.state, notNowSeen.error) : error;
      const text = errorText(error);
      if (!useEval && text.startsWith('NOSCRIPT')) {
        useEval = true; // EVAL also puts it back in the server's cache for the next EVALSHA
        continue;
      }
      const notNow = TRY_AGAIN.exec(text)?.[1];
      if (notNow) {
        notNowSeen = { state: notNow, error };
        const left = deadline - Date.now();
        if (left <= 0) throw gaveUp(notNow, error);
        // The last try goes out at the deadline itself, not one backoff step before it.
        await sleep(Math.min(backoffMs, left));
        backoffMs = Math.min(backoffMs * 2, 200);
        continue;
      }
      if (!client.isOpen) throw new ClientClosedError(what, 'the Redis client was closed.', { cause: error });
      if (!client.isReady || /socket|connection|ECONN|closed/i.test(text)) {
        throw new RedisUnavailableError(`${what}: the connection to Redis failed (${text}).`, { cause: error });
      }
      throw new RedisCommandError(what, { cause: error });
    }
  }
}
