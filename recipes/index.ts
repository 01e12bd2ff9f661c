/**
 * The package entry: the core plus every recipe.
 */
export * from '../src/index.js';
export { InterProcessMutex, MUTEX_NODE_NAME } from './mutex.js';
export { InterProcessReadWriteLock, READ_NODE_NAME, WRITE_NODE_NAME, readPredicate } from './read-write-lock.js';
export { QueueLock, type LockOptions, type QueueLockSpec, type RevocationListener } from './queue-lock.js';
export { revoke, REVOKE_MESSAGE } from './revocation.js';
export {
  InterProcessSemaphoreV2,
  LEASE_NODE_NAME,
  LEASE_PARENT,
  LOCK_PARENT,
  type SemaphoreAcquireOptions,
  type SemaphoreLimit,
  type SemaphoreOptions,
  type SharedCountReader,
} from './semaphore.js';
export { InterProcessSemaphoreMutex } from './semaphore-mutex.js';
export { LeaderLatch, LATCH_NODE_NAME, type LatchCloseMode, type LeaderLatchEvents, type LeaderLatchOptions } from './leader-latch.js';
export { LeaderSelector, type LeaderSelectorEvents, type LeaderSelectorOptions } from './leader-selector.js';
export type { Participant } from './participants.js';
export { inspectRecipe, type InspectedNode, type InspectReport, type NodeRole, type RecipeKind } from './inspect.js';
export { DistributedBarrier } from './barrier.js';
export { DistributedDoubleBarrier, READY_NODE } from './double-barrier.js';
export { SharedCount, type SharedCountEvents, type VersionedValue } from './shared-count.js';
export { DistributedAtomicLong, type AtomicLongOptions, type AtomicValue } from './atomic-long.js';
