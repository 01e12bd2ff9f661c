/**
 * The core's public surface: the ZooKeeper client, its options and states, ACLs, errors, paths,
 * the lease every lock hands out, and observability. What recipes build on but users never call
 * (the sequential queue, the ownership layer, deadlines, wire details) is imported by module
 * inside the library and is not exported here: every name below is a semver promise, listed in
 * docs/api-report.md.
 */
export { ZkClient, type ZkClientOptions, type ZkClientEvents, type CreatedNode, type ZkTlsOptions } from './zookeeper/client.js';
export { Acls, type AclProvider, type AuthInfo, digestId } from './zookeeper/acl.js';
export { ConnectionState, type ErrorPolicy } from './zookeeper/connection-state.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './zookeeper/retry.js';
export {
  ZkRecipesError,
  InvalidPathError,
  InvalidArgumentError,
  ClientClosedError,
  ClientNotStartedError,
  ConnectionLossError,
  OperationTimeoutError,
  SessionExpiredError,
  LockTimeoutError,
  LeadershipTimeoutError,
  NotOwnerError,
  AlreadyReleasedError,
  IllegalStateError,
  OwnershipLostError,
  RecipeClosedError,
  NodeVanishedError,
  ZooKeeperError,
  NoNodeError,
  NodeExistsError,
  BadVersionError,
  NotEmptyError,
  NoAuthError,
  AuthFailedError,
  TlsError,
  AclMismatchError,
  WaitTimeoutError,
  CorruptDataError,
  UnsupportedByServerError,
  CacheFullError,
} from './core/errors.js';
export { validatePath, joinPath, parentOf } from './zookeeper/paths.js';
export {
  CreateMode,
  Permission,
  OPEN_ACL_UNSAFE,
  type Acl,
  type Stat,
  type WatchEvent,
  type WatchEventType,
  type Watched,
  type OperationOptions,
  type CreateOptions,
  type TransactionOp,
  type TransactionResult,
} from './zookeeper/types.js';
export { Lease } from './lock/lease.js';
export type { AcquireOptions } from './lock/acquire-options.js';
export type { TypedEvents, EventMap } from './core/typed-events.js';
export {
  DIAGNOSTICS_CHANNELS,
  subscribeDiagnostics,
  type DiagnosticsChannel,
  type DiagnosticsMessages,
  type Logger,
  SILENT_LOGGER,
} from './core/diagnostics.js';
