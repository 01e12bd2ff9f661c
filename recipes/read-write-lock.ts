/**
 * InterProcessReadWriteLock: readers share, a writer excludes everyone. Wire-compatible with
 * Curator's (`_c_<uuid>-__READ__<seq>` and `_c_<uuid>-__WRIT__<seq>` under one parent).
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { IllegalStateError } from '../src/core/errors.js';
import { sequenceKey } from '../src/zookeeper/paths.js';
import { leasePredicate, type TurnPredicate } from '../src/zookeeper/sequential-queue.js';
import { CreateMode } from '../src/zookeeper/types.js';
import { type LockOptions, QueueLock } from './queue-lock.js';
import { READ_NODE_NAME, WRITE_NODE_NAME } from './node-names.js';

const SORT_NAMES = [READ_NODE_NAME, WRITE_NODE_NAME] as const;

/** A reader holds the lock when no write node is ahead of it; it watches the nearest writer ahead. */
export function readPredicate(): TurnPredicate {
  return (sorted, ours) => {
    const index = sorted.indexOf(ours);
    for (let i = index - 1; i >= 0; i--) {
      const name = sorted[i] as string;
      if (name.includes(WRITE_NODE_NAME)) return { acquired: false, watch: name };
    }
    return { acquired: true };
  };
}

/**
 * A read-write lock. The write-lock owner may take the read lock (downgrade); a reader asking for
 * the write lock is refused with IllegalStateError (it could never succeed). Both halves have the
 * full lock API: `acquire`, `tryAcquire`, `using`, `release`, re-entrancy, revocation.
 *
 * ```ts
 * const rw = new InterProcessReadWriteLock(client, '/locks/catalog');
 * await rw.readLock().using(() => readCatalog());
 * await rw.writeLock().using(() => rebuildCatalog());
 * ```
 */
export class InterProcessReadWriteLock {
  readonly #read: QueueLock;
  readonly #write: QueueLock;

  constructor(client: ZkClient, path: string, options: LockOptions = {}) {
    this.#write = new QueueLock(
      client,
      path,
      {
        recipe: 'InterProcessReadWriteLock.writeLock',
        nodeName: WRITE_NODE_NAME,
        sortNames: SORT_NAMES,
        predicate: () => leasePredicate(1),
        beforeJoin: () => {
          if (this.#read.isOwnedByCurrentScope()) {
            throw new IllegalStateError(
              `A holder of the read lock on ${path} cannot take the write lock: it would wait for itself forever. Release the read lock first.`,
            );
          }
        },
        isParticipant: (name) => name.includes(WRITE_NODE_NAME),
      },
      options,
    );
    this.#read = new QueueLock(
      client,
      path,
      {
        recipe: 'InterProcessReadWriteLock.readLock',
        nodeName: READ_NODE_NAME,
        sortNames: SORT_NAMES,
        // Downgrade: the write owner's read node is granted at once, wherever it sorts — but only
        // on a write hold still in force (a lost one throws OwnershipLostError).
        predicate: () => {
          if (!this.#write.isOwnedByCurrentScope()) return readPredicate();
          this.#write.assertScopeHoldValid();
          // Checked again when our node is judged: the session may change while we join.
          return () => {
            this.#write.assertScopeHoldValid();
            return { acquired: true };
          };
        },
        isParticipant: (name) => name.includes(READ_NODE_NAME),
        // Curator 5.5+ (CURATOR-621): the downgrade read node is a plain EPHEMERAL node named
        // with the write node's sequence, so it sorts at the writer's place. With a fresh
        // sequence it would sort behind writers already queued, and the first of them would be
        // granted the write lock as soon as we release ours — while we still hold the read lock.
        joinAs: () => {
          const writeNode = this.#write.isOwnedByCurrentScope() ? this.#write.scopeNodeName() : undefined;
          if (!writeNode) return undefined;
          return { name: `${READ_NODE_NAME}${sequenceKey(writeNode, [WRITE_NODE_NAME])}`, mode: CreateMode.EPHEMERAL };
        },
      },
      options,
    );
  }

  /** The shared half. */
  readLock(): QueueLock {
    return this.#read;
  }

  /** The exclusive half. */
  writeLock(): QueueLock {
    return this.#write;
  }
}
