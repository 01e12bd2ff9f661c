/**
 * The package entry (`zk-recipes`): the core's public surface plus every ZooKeeper recipe. Node
 * names, predicates and the shared lock machinery stay inside (imported by module); every name
 * here is listed in docs/api-report.md.
 */
export * from '../src/index.js';
export { InterProcessMutex } from './mutex.js';
export { InterProcessReadWriteLock } from './read-write-lock.js';
export type { QueueLock, LockOptions, RevocationListener } from './queue-lock.js';
export { revoke } from './revocation.js';
export {
  InterProcessSemaphoreV2,
  type SemaphoreAcquireOptions,
  type SemaphoreLimit,
  type SemaphoreOptions,
  type SharedCountReader,
} from './semaphore.js';
export { InterProcessSemaphoreMutex } from './semaphore-mutex.js';
export { LeaderLatch, type LatchCloseMode, type LeaderLatchEvents, type LeaderLatchOptions } from './leader-latch.js';
export { LeaderSelector, type LeaderSelectorEvents, type LeaderSelectorOptions } from './leader-selector.js';
export type { Participant } from './participants.js';
export { inspectRecipe, type InspectedNode, type InspectReport, type NodeRole, type RecipeKind } from './inspect.js';
export { DistributedBarrier } from './barrier.js';
export { DistributedDoubleBarrier } from './double-barrier.js';
export { SharedCount, type SharedCountEvents, type VersionedValue } from './shared-count.js';
export { DistributedAtomicLong, type AtomicLongOptions, type AtomicValue } from './atomic-long.js';
export {
  PersistentWatcher,
  type PersistentWatcherEvents,
  type PersistentWatcherOptions,
  type PersistentWatchItem,
} from './cache/persistent-watcher.js';
export { CuratorCache, type CachedNode, type CuratorCacheEvents } from './cache/curator-cache.js';
export type { CacheMode, CacheWatchMode, CuratorCacheOptions } from './cache/cache-options.js';
export { PersistentNode, type PersistentNodeEvents, type PersistentNodeMode, type PersistentNodeOptions } from './nodes/persistent-node.js';
export { PersistentTtlNode, type PersistentTtlNodeOptions } from './nodes/persistent-ttl-node.js';
export { GroupMember, type GroupMemberEvents } from './nodes/group-member.js';
export {
  WorkPartitioner,
  type PartitionerState,
  type RevokeReason,
  type WorkPartitionerEvents,
  type WorkPartitionerOptions,
} from './partition/work-partitioner.js';
