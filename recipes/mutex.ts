/**
 * InterProcessMutex: a re-entrant lock across processes, wire-compatible with Curator's
 * (`<path>/_c_<uuid>-lock-<seq>`; each waiter watches only its predecessor).
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { leasePredicate } from '../src/zookeeper/sequential-queue.js';
import { type LockOptions, QueueLock } from './queue-lock.js';
import { MUTEX_NODE_NAME } from './node-names.js';

/**
 * A re-entrant mutex. Ownership is per async call tree: inside `using(fn)` or `lease.run(fn)`,
 * acquiring the same mutex object again re-enters without a round trip. Two concurrent flows of
 * one process contend exactly as two processes would.
 *
 * ```ts
 * const mutex = new InterProcessMutex(client, '/locks/reports');
 * await mutex.using(async (lease) => {
 *   await render({ signal: lease.signal });
 * }, { timeoutMs: 10_000 });
 * ```
 */
export class InterProcessMutex extends QueueLock {
  constructor(client: ZkClient, path: string, options: LockOptions = {}) {
    super(
      client,
      path,
      {
        recipe: 'InterProcessMutex',
        nodeName: MUTEX_NODE_NAME,
        sortNames: [MUTEX_NODE_NAME],
        predicate: () => leasePredicate(1),
        sequencesOnlyGrow: true,
      },
      options,
    );
  }
}
