/**
 * What zk-recipes needs of a Redis client, structurally: the user passes node-redis's client (or an
 * adapter: `fromIORedis`, a cluster's) and the library never imports a Redis package.
 */

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
  /**
   * Sends one raw command (scripts go out as EVALSHA/EVAL). On a cluster, `key` names the key whose
   * node must run a command that has none (the `WAIT` after a write to that key). `timeout: 0`
   * turns off node-redis's own per-command timer: every call we make has a deadline of its own.
   */
  sendCommand(
    args: readonly string[],
    options?: { readonly abortSignal?: AbortSignal; readonly key?: string; readonly timeout?: number },
  ): Promise<unknown>;
  /** A new connection with the same options (for the wake-up subscriber). */
  duplicate(): RedisSubscriberLike;
  /** True for a Redis Cluster client's adapter: commands are routed by their key's slot. */
  readonly cluster?: boolean;
  /** A cluster adapter's sharded pub/sub (SSUBSCRIBE on the channel's shard), for lock wake-ups. */
  shardedSubscribe?(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Stops a sharded subscription. */
  shardedUnsubscribe?(channel: string): Promise<unknown>;
}
