/**
 * The core: client, connection states, retries, errors, paths and the shared primitives that
 * recipes build on. Knows nothing of recipes.
 */
export { ZkClient, type ZkClientOptions, type ZkClientEvents, type CreatedNode, type ZkTlsOptions, validateTimeout } from './client.js';
export { Acls, type AclProvider, type AuthInfo, digestId, OPEN_ACL_PROVIDER } from './acl.js';
export { ConnectionState, type ErrorPolicy, isErrorState, isConnectedState } from './connection-state.js';
export { DEFAULT_RETRY_POLICY, isRetryable, type RetryPolicy, withRetry } from './retry.js';
export * from './errors.js';
export {
  validatePath,
  joinPath,
  parentOf,
  nodeNameOf,
  newProtectedPrefix,
  protectedName,
  protectedUuidOf,
  parseSequence,
  sequenceKey,
  sortBySequence,
  PROTECTED_PREFIX,
} from './paths.js';
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
} from './types.js';
export {
  SequentialQueue,
  leasePredicate,
  type QueueNode,
  type TurnDecision,
  type TurnPredicate,
  type SequentialQueueOptions,
  type WaitOptions,
} from './sequential-queue.js';
export * from './lock/index.js';
export { zooKeeperLease, zooKeeperLeaseParts, type ZooKeeperLeaseInit } from './zk-lease.js';
export { localAddressBytes } from './node-data.js';
export { TypedEvents, type EventMap } from './typed-events.js';
export {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsChannel,
  type DiagnosticsMessages,
  type Logger,
  SILENT_LOGGER,
  publish,
} from './diagnostics.js';
export { deadlineOf, WAIT_OVER, waitForWatch, type WatchWaitOptions } from './wait.js';
export { settleAcquire, settleByDeadline, settleClientWait, waitBudget, type DeadlineOptions } from './deadline.js';
export { MAX_TIMEOUT_MS, JUTE_MAX_BUFFER, checkTimeoutMs, checkQueueNodeData } from './limits.js';
