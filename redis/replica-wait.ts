/**
 * `replicas: n` on a Redis lock: a grant or a renewal counts only once `n` replicas have it
 * (`WAIT n timeout` on the connection that wrote it, on a cluster the node of the lock's slot).
 * Replication is asynchronous: without this, a primary that crashes right after a grant can take
 * the grant with it, and the replica promoted in its place hands the lock to a second holder.
 * WAIT narrows that window to what WAIT itself cannot promise (a replica that acknowledged but is
 * not the one promoted, with several replicas); it does not make Redis a consensus system.
 */
import { RedisUnavailableError } from './errors.js';
import type { RedisClientLike } from './client-like.js';
import { sendBy } from './scripts.js';

/** Kept of the caller's deadline for WAIT's answer to travel back after its own timeout. */
const ANSWER_SLACK_MS = 50;

/** What a lock with `replicas` waits for. */
export interface ReplicaWait {
  /** How many replicas must acknowledge. */
  readonly count: number;
  /** WAIT's timeout (ms): how long the connection may block for them. */
  readonly waitMs: number;
}

/**
 * Resolves once `wait.count` replicas acknowledged every write sent on `key`'s connection so far;
 * throws RedisUnavailableError (transient: the caller tries again within its deadline) when fewer
 * did within `wait.waitMs`, or by `deadline` (epoch ms), whichever is sooner.
 */
export async function waitForReplicas(
  client: RedisClientLike,
  key: string,
  wait: ReplicaWait,
  deadline: number,
  what: string,
): Promise<void> {
  // WAIT times out on the server a little before our deadline, so its answer (how many did
  // acknowledge) arrives in time; the call never outlives the caller's deadline by more than that.
  const timeoutMs = Math.max(1, Math.min(wait.waitMs, deadline - Date.now() - ANSWER_SLACK_MS));
  const args = ['WAIT', String(wait.count), String(timeoutMs)];
  const answerBy = Math.max(deadline, Date.now() + timeoutMs + ANSWER_SLACK_MS);
  const acknowledged = Number(await sendBy(client, args, answerBy, what, key));
  if (acknowledged < wait.count) {
    throw new RedisUnavailableError(
      `${what}: only ${acknowledged} of the ${wait.count} replicas asked for (replicas: ${wait.count}) acknowledged it within ${timeoutMs} ms, so it is not counted yet. A replica is down or lagging: see INFO replication on the primary, or lower \`replicas\`.`,
    );
  }
}
