/**
 * ZooKeeper's side of a {@link Lease}: loss is a connection state (per the error policy), a new
 * session, or our node deleted; the fencing token is the node's czxid.
 */
import type { ZkClient } from './client.js';
import { ConnectionState, isConnectedState, isErrorState } from './connection-state.js';
import { NodeVanishedError, NoNodeError } from '../core/errors.js';
import { Lease, type LeaseInit, type LossReporter } from '../lock/lease.js';
import type { HoldLeaseParts } from '../lock/owned-lock.js';

/** What a ZooKeeper recipe knows of a hold. */
export interface ZooKeeperLeaseInit extends Omit<LeaseInit, 'fencingToken' | 'watchLoss' | 'watchWhenObserved' | 'warn'> {
  readonly client: ZkClient;
  /** The session that owns the node. */
  readonly sessionId: string;
  /** The node's czxid when the create reply carried it (create2): no round trip for fencingToken(). */
  readonly fencingToken?: bigint;
}

/**
 * One client-state listener per client, shared by every lease of that client: many held leases
 * must not pile listeners on the client. Leases are told synchronously with the state change, so
 * their signals abort before anything else can be granted.
 */
const stateWatchers = new WeakMap<ZkClient, { handlers: Set<(state: ConnectionState) => void>; off: () => void }>();

function watchStates(client: ZkClient, onState: (state: ConnectionState) => void): () => void {
  let entry = stateWatchers.get(client);
  if (!entry) {
    const handlers = new Set<(state: ConnectionState) => void>();
    const off = client.on('state', (state) => {
      for (const handler of [...handlers]) handler(state);
    });
    entry = { handlers, off };
    stateWatchers.set(client, entry);
  }
  const current = entry;
  current.handlers.add(onState);
  return () => {
    current.handlers.delete(onState);
    if (current.handlers.size === 0 && stateWatchers.get(client) === current) {
      current.off();
      stateWatchers.delete(client);
    }
  };
}

/** Watches our node until the signal aborts: its deletion by someone else is a loss. */
async function watchNode(client: ZkClient, nodePath: string, signal: AbortSignal, lost: LossReporter): Promise<void> {
  try {
    for (;;) {
      const watched = await client.watchData(nodePath, { signal });
      const event = await watched.changed;
      if (event.type === 'NODE_DELETED') return lost('DELETED', 'our node was deleted');
      if (event.type !== 'NODE_DATA_CHANGED') return; // session lost or client closed: the state listener handles it
    }
  } catch (error) {
    if (error instanceof NoNodeError) lost('DELETED', 'our node was deleted');
    // otherwise: released (the signal aborted) or a connection problem the state listener reports
  }
}

/** ZooKeeper's lease pieces for a hold of `nodePath`, made in session `sessionId`. */
export function zooKeeperLeaseParts(client: ZkClient, nodePath: string, sessionId: string, fencingToken?: bigint): HoldLeaseParts {
  const policy = client.errorPolicy;
  return {
    nodePath,
    fencingToken:
      fencingToken ??
      (async () => {
        try {
          const stat = await client.exists(nodePath);
          if (!stat) throw new NodeVanishedError(nodePath);
          return stat.czxid;
        } catch (error) {
          if (error instanceof NoNodeError) throw new NodeVanishedError(nodePath);
          throw error;
        }
      }),
    watchLoss: (lost) => {
      const off = watchStates(client, (state) => {
        if (isErrorState(policy, state)) lost(state);
      });
      const now = client.state;
      if (client.sessionId !== sessionId) lost(ConnectionState.LOST);
      else if (now !== 'LATENT' && !isConnectedState(now) && isErrorState(policy, now)) lost(now);
      return off;
    },
    // Watch our own node only for callers who look at the signal: it also aborts when an operator
    // deletes the node, at the cost of one request that plain acquire/release loops do not pay.
    watchWhenObserved: (signal, lost) => void watchNode(client, nodePath, signal, lost),
    warn: (message, details) => client.logger.warn(message, details),
  };
}

/** The lease of a ZooKeeper hold that needs no owner scope (a semaphore's lease node). */
export function zooKeeperLease(init: ZooKeeperLeaseInit): Lease {
  return new Lease({ ...init, ...zooKeeperLeaseParts(init.client, init.nodePath, init.sessionId, init.fencingToken) });
}
