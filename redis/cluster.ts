/**
 * Redis Cluster clients for the rate limiter: node-redis's `createCluster()` and ioredis's
 * `Cluster` (through `fromIORedis`). Every command we send is a script on one key (a limited
 * key's state lives under one `{hash tag}`), so the cluster client routes it by that key's slot
 * and follows MOVED/ASK through resharding and failover by itself; TRYAGAIN and CLUSTERDOWN are
 * retried within the call's deadline like BUSY. RedisLock does not take a cluster client yet: its
 * wake-ups are published on a per-client channel, which a cluster would broadcast to every shard.
 */
import { InvalidArgumentError } from '../src/core/errors.js';
import type { RedisClientLike } from './scripts.js';

/** The part of a node-redis cluster client (`createCluster()`, v5/v6) the limiter uses. */
export interface RedisClusterLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<unknown>;
}

/** Said wherever a cluster client is refused. */
export const LOCK_CLUSTER_NOT_SUPPORTED =
  "RedisLock does not take a Redis Cluster client yet (RedisRateLimiter does): pass a client of a single primary (createClient({ url }) from `redis`, or new Redis() from `ioredis` through fromIORedis()). One lock's keys share a hash tag, so a lock lives on one shard: a client of that shard's primary works.";

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
      sendCommand: (args, options) => cluster.sendCommand(routingKey(args), false, [...args], options),
      duplicate: () => {
        throw new InvalidArgumentError(LOCK_CLUSTER_NOT_SUPPORTED);
      },
    };
    adapted.set(cluster, client);
  }
  return client;
}
