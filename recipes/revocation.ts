/**
 * Cooperative revocation, as in Curator: anyone writes `__REVOKE__` into a holder's lock node;
 * the holder (if it made its lock revocable) is told and may release.
 */
import { InvalidArgumentError, NoNodeError, validatePath, type ZkClient } from '../src/index.js';

/** The bytes Curator writes to ask for revocation. */
export const REVOKE_MESSAGE = Buffer.from('__REVOKE__', 'utf8');

/**
 * Asks the holder of `nodePath` to give its lock up (Curator's `Revoker.attemptRevoke`).
 * A missing node is fine: the hold is already gone.
 */
export async function revoke(client: ZkClient, nodePath: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  validatePath(nodePath);
  try {
    await client.setData(nodePath, REVOKE_MESSAGE, { signal: options.signal });
  } catch (error) {
    if (!(error instanceof NoNodeError)) throw error;
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
