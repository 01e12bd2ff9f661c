/**
 * Cooperative revocation, as in Curator: anyone writes `__REVOKE__` into a holder's lock node;
 * the holder (if it made its lock revocable) is told and may release.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { BadVersionError, InvalidArgumentError, NoNodeError } from '../src/core/errors.js';
import { nodeNameOf, parentOf, parseSequence, validatePath } from '../src/zookeeper/paths.js';
import { LEASE_PARENT, LOCK_PARENT, MUTEX_NODE_NAME, READ_NODE_NAME, WRITE_NODE_NAME } from './node-names.js';
import { NO_SESSION } from '../src/zookeeper/session-id.js';

/** Node names of the recipes whose holders can be asked to revoke (Curator's mutex and read-write lock). */
// A function, not a constant: this module and mutex.ts import each other.
const revocableNames = () => [MUTEX_NODE_NAME, READ_NODE_NAME, WRITE_NODE_NAME];

function notRevocable(nodePath: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${nodePath} is not the lock node of a revocable recipe (${why}); refusing to write __REVOKE__ into it. ` +
      'Pass the holder node of an InterProcessMutex or read-write lock, e.g. as listed by `zk-recipes inspect <lock path>`.',
  );
}

/** The bytes Curator writes to ask for revocation. */
export const REVOKE_MESSAGE = Buffer.from('__REVOKE__', 'utf8');

/**
 * Asks the holder of `nodePath` to give its lock up (Curator's `Revoker.attemptRevoke`).
 * A missing node is fine: the hold is already gone. Anything that is not the ephemeral lock node
 * of a mutex or read-write lock (a counter, a lock's parent, a semaphore's lease or gate node, a
 * latch) is refused with InvalidArgumentError and left untouched: writing into it would corrupt it.
 */
export async function revoke(client: ZkClient, nodePath: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  validatePath(nodePath);
  const name = nodeNameOf(nodePath);
  const names = revocableNames();
  if (parseSequence(name, names) === undefined || !names.some((n) => name.includes(n))) {
    throw notRevocable(nodePath, `its name does not end in ${names.join(', ')} and a sequence number`);
  }
  const parent = parentOf(nodePath);
  if (nodeNameOf(parent) === LOCK_PARENT) {
    const siblings = await client.getChildren(parentOf(parent), { signal: options.signal }).catch(() => ({ children: [] as string[] }));
    if (siblings.children.includes(LEASE_PARENT)) throw notRevocable(nodePath, "it is a semaphore's internal gate node");
  }
  try {
    const stat = await client.exists(nodePath, { signal: options.signal });
    if (!stat) return;
    if (stat.ephemeralOwner === NO_SESSION) throw notRevocable(nodePath, 'it is a persistent node, not a lock holder');
    // Only the version we looked at: never write into a node that changed meanwhile.
    await client.setData(nodePath, REVOKE_MESSAGE, { signal: options.signal, version: stat.version });
  } catch (error) {
    if (error instanceof NoNodeError || error instanceof BadVersionError) return; // gone, or revoked by someone else
    throw error;
  }
}

/** Watches our own lock node for a revoke request while we hold it. */
export class RevocationWatch {
  readonly #controller = new AbortController();

  constructor(client: ZkClient, nodePath: string, onRevoke: () => void) {
    if (typeof onRevoke !== 'function') throw new InvalidArgumentError('onRevoke must be a function.');
    void this.#loop(client, nodePath, onRevoke);
  }

  async #loop(client: ZkClient, nodePath: string, onRevoke: () => void): Promise<void> {
    const signal = this.#controller.signal;
    try {
      while (!signal.aborted) {
        const watched = await client.watchData(nodePath, { signal });
        if (watched.value.data.equals(REVOKE_MESSAGE)) setImmediate(onRevoke);
        const event = await watched.changed;
        if (event.type !== 'NODE_DATA_CHANGED') return; // deleted, session lost or closed: nothing left to revoke
      }
    } catch {
      // Aborted by stop(), or the node is gone: the hold ended either way.
    }
  }

  stop(): void {
    this.#controller.abort();
  }
}
