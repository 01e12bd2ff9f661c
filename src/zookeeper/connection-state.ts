/**
 * Connection states (Curator's model) and the error policy that decides when ownership is lost.
 */

/** The states a {@link ZkClient} reports. */
export const ConnectionState = {
  /** First connection of the client. */
  CONNECTED: 'CONNECTED',
  /** The connection dropped; the session may still be alive. */
  SUSPENDED: 'SUSPENDED',
  /** Connected again: the same session, or a new one after LOST. */
  RECONNECTED: 'RECONNECTED',
  /** The session is gone (expired on the server, or suspended for a whole session timeout). */
  LOST: 'LOST',
  /** `close()` was called. */
  CLOSED: 'CLOSED',
} as const;

export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/**
 * `standard` (default, Curator's): SUSPENDED already counts as loss of ownership.
 * `session`: only LOST does.
 */
export type ErrorPolicy = 'standard' | 'session';

/** True when `state` means held locks and leadership can no longer be trusted under `policy`. */
export function isErrorState(policy: ErrorPolicy, state: ConnectionState): boolean {
  if (state === ConnectionState.LOST || state === ConnectionState.CLOSED) return true;
  return policy === 'standard' && state === ConnectionState.SUSPENDED;
}

/** True for states in which requests can reach the server. */
export function isConnectedState(state: ConnectionState): boolean {
  return state === ConnectionState.CONNECTED || state === ConnectionState.RECONNECTED;
}
