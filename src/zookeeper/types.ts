/**
 * Plain data types of the client API, free of the wire library.
 */

/** How a node is created. */
export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  /**
   * A persistent node the server deletes once it is empty again (ZooKeeper 3.5+; Curator makes
   * every recipe parent one). On a 3.4 server it is created as PERSISTENT.
   */
  CONTAINER: 4,
  /**
   * A persistent node the server deletes once it has been unmodified for `ttlMs` and has no
   * children (ZooKeeper 3.5.3+ started with `zookeeper.extendedTypesEnabled=true`).
   */
  PERSISTENT_WITH_TTL: 5,
  /** PERSISTENT_WITH_TTL with a sequence suffix. */
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;
export type CreateMode = (typeof CreateMode)[keyof typeof CreateMode];

/** ZooKeeper permission bits. */
export const Permission = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** One access-control entry. */
export interface Acl {
  /** Bitwise OR of {@link Permission} values. */
  readonly permissions: number;
  /** e.g. `world`, `digest`, `ip`, `auth`. */
  readonly scheme: string;
  /** e.g. `anyone`. */
  readonly id: string;
}

/** Everyone may do anything (ZooKeeper's OPEN_ACL_UNSAFE, Curator's default). */
export const OPEN_ACL_UNSAFE: readonly Acl[] = Object.freeze([{ permissions: Permission.ALL, scheme: 'world', id: 'anyone' }]);

/** A node's metadata. Zxids are `bigint` (64-bit); `ephemeralOwner` is the owner session id as ZooKeeper writes it, e.g. `0x10000a3c2f70001` (`0x0` for persistent nodes). */
export interface Stat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly pzxid: bigint;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: string;
  readonly dataLength: number;
  readonly numChildren: number;
}

/** What ended a one-shot watch. */
export type WatchEventType =
  | 'NODE_CREATED'
  | 'NODE_DELETED'
  | 'NODE_DATA_CHANGED'
  | 'NODE_CHILDREN_CHANGED'
  /** The session that set the watch is gone: the watch can never fire. Read again. */
  | 'SESSION_LOST'
  /** The client was closed. */
  | 'CLIENT_CLOSED';

/** The settlement of a one-shot watch. `path` is relative to the client's namespace. */
export interface WatchEvent {
  readonly type: WatchEventType;
  readonly path: string;
}

/** Options every operation accepts. */
export interface OperationOptions {
  /** Cancels the operation (and any watch it set); it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Deadline of one request attempt in ms. @default the client's operationTimeoutMs */
  readonly timeoutMs?: number;
}

/** Options of {@link ZkClient.create}. */
export interface CreateOptions extends OperationOptions {
  /** @default CreateMode.PERSISTENT */
  readonly mode?: CreateMode;
  /** @default OPEN_ACL_UNSAFE */
  readonly acl?: readonly Acl[];
  /** Create missing ancestors first: `true` as empty persistent nodes, `'container'` as CONTAINER nodes (as Curator does). @default false */
  readonly createParents?: boolean | 'container';
  /** The time to live of a `*_WITH_TTL` node, in ms (1 to 2^40 − 1); required for those modes, refused for others. */
  readonly ttlMs?: number;
  /**
   * Retry on connection loss. A late retry can re-create a node someone deleted meanwhile, so
   * pass false for best-effort creates. Sequential creates are never retried. @default true
   */
  readonly retry?: boolean;
}

/** One operation of a multi/transaction. */
export type TransactionOp =
  | { readonly type: 'create'; readonly path: string; readonly data?: Buffer; readonly mode?: CreateMode; readonly acl?: readonly Acl[] }
  | { readonly type: 'setData'; readonly path: string; readonly data: Buffer; readonly version?: number }
  | { readonly type: 'delete'; readonly path: string; readonly version?: number }
  | { readonly type: 'check'; readonly path: string; readonly version?: number };

/** The result of one transaction operation, in order. */
export type TransactionResult =
  | { readonly type: 'create'; readonly path: string }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'delete' }
  | { readonly type: 'check' };

/** A read that also set a one-shot watch. `changed` settles on the first event (or abort). */
export interface Watched<T> {
  readonly value: T;
  readonly changed: Promise<WatchEvent>;
}
