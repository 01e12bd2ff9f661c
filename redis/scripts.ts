/**
 * Running Lua scripts on the user's own node-redis client: EVALSHA, EVAL on NOSCRIPT (after
 * SCRIPT FLUSH, a restart, a failover), BUSY retried with backoff within the call's deadline, and
 * a deadline on every call whatever the connection does.
 *
 * node-redis's own `scripts` option does the EVALSHA fallback too, but only for clients created
 * with it; we take the user's client as it is, so the fallback lives here.
 */
import { createHash } from 'node:crypto';
import { DeadlineTimer } from '../src/deadline-timer.js';
import { InvalidArgumentError } from '../src/errors.js';
import { RedisBusyError, RedisCommandError, RedisUnavailableError } from './errors.js';

/** A subscriber connection (the client's `duplicate()`): what the wake-ups need of it. */
export interface RedisSubscriberLike {
  /** True while connected and ready for commands. */
  readonly isReady: boolean;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Listens on a channel. */
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Closes the connection at once. */
  destroy(): void;
  /** Lets the connection keep the process alive again (while someone waits). */
  ref?(): void;
  /** Lets the process exit although the idle subscriber is still open. */
  unref?(): void;
  /** Connection events: `ready` after each (re)connect, `error` on failures (the client reconnects by itself). */
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** The part of a node-redis (v5/v6) client zk-recipes uses: pass your `createClient()` result, connected. */
export interface RedisClientLike {
  /** True from `connect()` until `close()`/`destroy()` (also while reconnecting). */
  readonly isOpen: boolean;
  /** True while connected and ready for commands. */
  readonly isReady: boolean;
  /** Sends one raw command (scripts go out as EVALSHA/EVAL). */
  sendCommand(args: readonly string[], options?: { readonly abortSignal?: AbortSignal }): Promise<unknown>;
  /** A new connection with the same options (for the wake-up subscriber). */
  duplicate(): RedisSubscriberLike;
}

/** Throws unless `client` looks like a node-redis client. */
export function checkRedisClient(client: unknown): RedisClientLike {
  const c = client as Partial<RedisClientLike> | null;
  if (!c || typeof c.sendCommand !== 'function' || typeof c.duplicate !== 'function') {
    throw new InvalidArgumentError('client must be a node-redis client (createClient() from the `redis` package, v5 or v6).');
  }
  return client as RedisClientLike;
}

/** Throws RedisUnavailableError unless the client can send now. */
export function assertReady(client: RedisClientLike, what: string): void {
  if (!client.isOpen) throw new RedisUnavailableError(`${what}: the Redis client is not connected. Call \`await client.connect()\` first (or create a new client after close()).`);
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

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One timer for the deadlines of every call in flight, instead of a setTimeout per call. */
const deadlines = new DeadlineTimer();

/** Sends one command, rejecting with RedisUnavailableError at `deadline` (epoch ms). */
function sendBy(client: RedisClientLike, args: readonly string[], deadline: number, what: string): Promise<unknown> {
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
      reject(new RedisUnavailableError(`${what}: Redis did not answer in time (the client is ${client.isReady ? 'connected' : 'reconnecting'}).`));
    });
    client.sendCommand(args, controller ? { abortSignal: controller.signal } : undefined).then(
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

/** True for errors worth retrying within a deadline: no answer, or the connection is re-establishing. */
export function isTransient(error: unknown): boolean {
  return error instanceof RedisUnavailableError || error instanceof RedisBusyError;
}

/**
 * Runs `script` with EVALSHA (EVAL on NOSCRIPT); BUSY is retried with backoff until `deadline`,
 * then RedisBusyError; no answer by `deadline` is RedisUnavailableError.
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
  for (;;) {
    const command = [useEval ? 'EVAL' : 'EVALSHA', useEval ? script.source : script.sha, String(keys.length)];
    for (const key of keys) command.push(key);
    for (const arg of args) command.push(arg);
    try {
      return await sendBy(client, command, deadline, what);
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      const text = errorText(error);
      if (!useEval && text.startsWith('NOSCRIPT')) {
        useEval = true; // EVAL also puts it back in the server's cache for the next EVALSHA
        continue;
      }
      if (text.startsWith('BUSY')) {
        if (Date.now() + backoffMs >= deadline) throw new RedisBusyError(what, Date.now() - started);
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 200);
        continue;
      }
      if (!client.isOpen) throw new RedisUnavailableError(`${what}: the Redis client was closed.`, { cause: error });
      if (!client.isReady || /socket|connection|ECONN|closed/i.test(text)) {
        throw new RedisUnavailableError(`${what}: the connection to Redis failed (${text}).`, { cause: error });
      }
      throw new RedisCommandError(what, { cause: error });
    }
  }
}
