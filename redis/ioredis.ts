/**
 * RedisLock on an ioredis client: `new RedisLock(fromIORedis(io), name)`. Many Node services run
 * ioredis (it is what redlock and redis-semaphore take); this adapter lets them use the same lock
 * without a second client library. ioredis is not imported: the client is passed in.
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import { LOCK_CLUSTER_NOT_SUPPORTED } from './cluster.js';
import type { RedisClientLike, RedisSubscriberLike } from './scripts.js';

/** The part of an ioredis (v4–v6) client the adapter uses. */
export interface IORedisLike {
  /** `wait`, `connecting`, `connect`, `ready`, `reconnecting`, `close` or `end`. */
  readonly status: string;
  /** Sends one command. */
  call(command: string, ...args: string[]): Promise<unknown>;
  /** A new connection with the same options. */
  duplicate(override?: { lazyConnect?: boolean }): IORedisLike;
  /** Opens a connection made with `lazyConnect`. */
  connect(): Promise<unknown>;
  /** Listens on a channel (messages arrive as `message` events). */
  subscribe(channel: string): Promise<unknown>;
  /** Connection and pub/sub events. */
  on(event: string, listener: (...args: never[]) => void): unknown;
  /** Closes the connection at once. */
  disconnect(): void;
  /** An ioredis Cluster's sharded subscription (with `shardedSubscribers: true`; messages arrive as `smessage`). */
  ssubscribe?(channel: string): Promise<unknown>;
  /** Ends a sharded subscription. */
  sunsubscribe?(channel: string): Promise<unknown>;
  /** A pipeline (on a Cluster, sent to the node of the slot its keyed commands share). */
  pipeline?(): IORedisPipelineLike;
  /** The client's options (a Cluster's `shardedSubscribers` says whether SSUBSCRIBE goes to each channel's shard). */
  readonly options?: object;
}

/** The part of an ioredis pipeline the adapter uses: a keyless command sent to one key's node. */
export interface IORedisPipelineLike {
  /** Queues `EXISTS key` (it pins the pipeline to that key's node). */
  exists(key: string): IORedisPipelineLike;
  /** Queues one command. */
  call(command: string, ...args: string[]): IORedisPipelineLike;
  /** Sends the queued commands; resolves with `[error, reply]` for each. */
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * A keyless command (WAIT) on the node serving `key` of an ioredis Cluster: pinned there by a
 * pipeline whose other command is a read of `key`, so it runs on the connection that wrote it.
 */
async function callOnKeyNode(
  io: IORedisLike & { pipeline(): IORedisPipelineLike },
  key: string,
  args: readonly string[],
): Promise<unknown> {
  const replies = await io
    .pipeline()
    .exists(key)
    .call(args[0] as string, ...args.slice(1))
    .exec();
  const [error, reply] = replies?.[1] ?? [new Error('the pipeline was not run'), undefined];
  if (error) throw error;
  return reply;
}

/** What of an ioredis connection's socket we touch: ioredis keeps it as `stream` while connected. */
interface WithStream {
  readonly stream?: { ref?(): void; unref?(): void };
}

const adapted = new WeakMap<IORedisLike, RedisClientLike>();

function subscriberOf(io: IORedisLike): RedisSubscriberLike {
  const sub = io.duplicate({ lazyConnect: true });
  // An idle subscriber must not keep the process alive (node-redis's has unref()); ioredis makes
  // a new socket on each reconnect, so the choice is applied again on every `ready`.
  let held = true;
  const apply = () => {
    const stream = (sub as WithStream).stream;
    if (held) stream?.ref?.();
    else stream?.unref?.();
  };
  sub.on('ready', apply);
  return {
    get isReady() {
      return sub.status === 'ready';
    },
    connect: () => sub.connect(),
    subscribe: async (channel, listener) => {
      sub.on('message', (from: string, message: string) => {
        if (from === channel) listener(message, from);
      });
      await sub.subscribe(channel);
    },
    destroy: () => sub.disconnect(),
    ref: () => {
      held = true;
      apply();
    },
    unref: () => {
      held = false;
      apply();
    },
    on: (event, listener) => sub.on(event, listener),
  };
}

/**
 * Sharded subscriptions of an ioredis Cluster made with `shardedSubscribers: true` (SSUBSCRIBE on
 * each channel's shard; one `smessage` listener dispatches by channel). None without it: ioredis
 * would then send SSUBSCRIBE through one subscriber connection that may not serve the slot.
 */
function shardedSubscriptionsOf(io: IORedisLike): Pick<RedisClientLike, 'shardedSubscribe' | 'shardedUnsubscribe'> {
  const { ssubscribe, sunsubscribe } = io;
  const sharded = (io.options as { shardedSubscribers?: unknown } | undefined)?.shardedSubscribers === true;
  if (!sharded || !ssubscribe || !sunsubscribe) return {};
  const listeners = new Map<string, (message: string, channel: string) => void>();
  io.on('smessage', (channel: string, message: string) => listeners.get(channel)?.(message, channel));
  return {
    shardedSubscribe: async (channel, listener) => {
      listeners.set(channel, listener);
      await ssubscribe.call(io, channel);
    },
    shardedUnsubscribe: async (channel) => {
      listeners.delete(channel);
      await sunsubscribe.call(io, channel);
    },
  };
}

/**
 * A RedisLock client over an ioredis connection (the same object for the same connection, so
 * its waiters share one wake-up subscriber). Connect it first. An ioredis `Cluster` is taken
 * too: by RedisRateLimiter as it is, by RedisLock when made with `{ shardedSubscribers: true }`. A call made while ioredis
 * reconnects waits in ioredis's offline queue; our deadline still answers the caller in time.
 */
export function fromIORedis(io: IORedisLike): RedisClientLike {
  const cluster = !!io && (io as { isCluster?: unknown }).isCluster === true;
  if (!io || typeof io.call !== 'function' || typeof io.duplicate !== 'function' || typeof io.status !== 'string') {
    throw new InvalidArgumentError('fromIORedis() needs an ioredis client (new Redis(...) from the `ioredis` package).');
  }
  let client = adapted.get(io);
  if (!client) {
    client = {
      get isOpen() {
        return io.status !== 'wait' && io.status !== 'end';
      },
      get isReady() {
        return io.status === 'ready';
      },
      // An ioredis Cluster routes a script by its first key and follows MOVED/ASK itself.
      sendCommand: (args, options) =>
        cluster && options?.key !== undefined && io.pipeline
          ? callOnKeyNode(io as IORedisLike & { pipeline(): IORedisPipelineLike }, options.key, args)
          : io.call(args[0] as string, ...args.slice(1)),
      duplicate: cluster
        ? () => {
            throw new InvalidArgumentError(LOCK_CLUSTER_NOT_SUPPORTED);
          }
        : () => subscriberOf(io),
      ...(cluster ? { cluster: true, ...shardedSubscriptionsOf(io) } : {}),
    };
    adapted.set(io, client);
  }
  return client;
}
