/**
 * Redis Cluster clients: node-redis's `createCluster()` and ioredis's `Cluster` through
 * `fromIORedis` (for the lock, made with `shardedSubscribers: true`). Every command we send is a script
 * whose keys share one `{hash tag}` (a limited key's state; one lock's keys), so the cluster
 * client routes it by that slot and follows MOVED/ASK through resharding and failover by itself;
 * TRYAGAIN and CLUSTERDOWN are retried within the call's deadline like BUSY. A lock's wake-ups
 * go over sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7) on a channel with the lock's hash tag,
 * so a hand-off message stays on the lock's shard instead of being broadcast to every node.
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import type { RedisClientLike } from './client-like.js';

/** The part of a node-redis cluster client (`createCluster()`, v5/v6) the limiter uses. */
export interface RedisClusterLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  /** Sends one raw command to the node serving `firstKey`'s slot (any node without a key). */
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<unknown>;
  /** Listens on a shard channel (SSUBSCRIBE on the node serving its slot). */
  sSubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Stops listening on a shard channel. */
  sUnsubscribe(channel: string): Promise<unknown>;
}

/** Said wherever a cluster client is refused. */
export const LOCK_CLUSTER_NOT_SUPPORTED =
  "RedisLock's wake-ups on a Redis Cluster use sharded pub/sub: pass node-redis's createCluster() client, or an ioredis Cluster made with `new Cluster(nodes, { shardedSubscribers: true })` through fromIORedis() (RedisRateLimiter takes either as it is).";

/** Cluster clients route each command by its key's slot: node-redis's masters/slots, ioredis's isCluster. */
export function isClusterClient(client: object): boolean {
  const c = client as Record<string, unknown>;
  return (
    (Array.isArray(c.masters) && typeof c.getSlotMaster === 'function') ||
    typeof c.nodeByAddress === 'function' ||
    (c.isCluster === true && typeof c.nodes === 'function') ||
    c.cluster === true
  );
}

/** The key a raw command is routed by: a script's first key (EVAL/EVALSHA <script> <numkeys> <key>…). */
export function routingKey(args: readonly string[]): string | undefined {
  const command = args[0]?.toUpperCase();
  if ((command === 'EVALSHA' || command === 'EVAL') && Number(args[2]) > 0) return args[3];
  return undefined;
}

const adapted = new WeakMap<object, RedisClientLike>();

/** A node-redis cluster client as the limiter's client (the same object for the same cluster). */
export function fromNodeRedisCluster(cluster: RedisClusterLike): RedisClientLike {
  if (!cluster || typeof cluster.sendCommand !== 'function')
    throw new InvalidArgumentError('a Redis Cluster client must be createCluster() from the `redis` package (v5 or v6).');
  let client = adapted.get(cluster);
  if (!client) {
    client = {
      cluster: true,
      get isOpen() {
        return cluster.isOpen;
      },
      get isReady() {
        return cluster.isReady;
      },
      sendCommand: (args, options) =>
        cluster.sendCommand(
          options?.key ?? routingKey(args),
          false,
          [...args],
          options?.abortSignal ? { abortSignal: options.abortSignal } : undefined,
        ),
      duplicate: () => {
        throw new InvalidArgumentError(LOCK_CLUSTER_NOT_SUPPORTED);
      },
      shardedSubscribe: (channel, listener) => cluster.sSubscribe(channel, listener),
      shardedUnsubscribe: (channel) => cluster.sUnsubscribe(channel),
    };
    adapted.set(cluster, client);
  }
  return client;
}
