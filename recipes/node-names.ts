/**
 * Curator's node names (../shared/curator-layout.md): the wire layout every recipe shares with
 * Curator. A leaf module, so that recipes that recognise each other's nodes (revocation, inspect)
 * need not import each other.
 */

/** Curator's node name for mutexes (and LeaderSelector). */
export const MUTEX_NODE_NAME = 'lock-';
/** Curator's name of read-lock nodes. */
export const READ_NODE_NAME = '__READ__';
/** Curator's name of write-lock nodes (the same length as the read name, as Curator requires). */
export const WRITE_NODE_NAME = '__WRIT__';
/** Child holding the semaphore's internal mutex (Curator's layout). */
export const LOCK_PARENT = 'locks';
/** Child holding the lease nodes (Curator's layout). */
export const LEASE_PARENT = 'leases';
/** Curator's name of lease nodes. */
export const LEASE_NODE_NAME = 'lease-';
/** Curator's name of leader-latch nodes. */
export const LATCH_NODE_NAME = 'latch-';
/** Curator's name of the node that opens a double barrier. */
export const READY_NODE = 'ready';
