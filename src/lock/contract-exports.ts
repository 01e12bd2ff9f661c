/**
 * What every TTL backend's entry (`zk-recipes/redis`, `zk-recipes/postgres`) exports of the
 * shared lock contract: the lease, the wait options and the contract's errors — one list, so the
 * backends cannot drift apart.
 */
export { Lease } from './lease.js';
export type { AcquireOptions } from './acquire-options.js';
export type { LockInspection } from './ttl-engine.js';
export type { TtlLockOptions } from './ttl-options.js';
export {
  ZkRecipesError,
  InvalidArgumentError,
  LockTimeoutError,
  NotOwnerError,
  AlreadyReleasedError,
  OwnershipLostError,
  ClientClosedError,
} from '../core/errors.js';
export {
  subscribeDiagnostics,
  type DiagnosticsChannel,
  type DiagnosticsMessages,
  type Logger,
} from '../core/diagnostics.js';
