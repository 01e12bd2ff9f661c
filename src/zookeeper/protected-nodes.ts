/**
 * Protected nodes (Curator's `_c_<uuid>-` names) of the sequential queue: which of them this
 * process owns, finding our own after a create whose reply was lost, and deleting one we gave up
 * on in whichever session it landed.
 */
import type { ZkClient } from './client.js';
import { ConnectionState } from './connection-state.js';
import { NoNodeError } from '../core/errors.js';
import { joinPath } from './paths.js';
import { isRetryable } from './retry.js';
import { NO_SESSION, sameSession } from './session-id.js';

/**
 * The protected uuids of every node a live join or hold of this process owns, per client. A node
 * of the client's current session whose uuid is not here belongs to no one (a ghost): a waiter
 * that finds one ahead of it deletes it rather than wait for it for ever.
 */
const liveUuids = new WeakMap<ZkClient, Set<string>>();

/** The live protected uuids of `client`. */
export function liveSet(client: ZkClient): Set<string> {
  let set = liveUuids.get(client);
  if (!set) {
    set = new Set();
    liveUuids.set(client, set);
  }
  return set;
}

/**
 * Deletes the node whose name starts with `prefix` (a create we gave up on), in the background,
 * while the session it was sent in lasts: a wait that gives up leaves nothing behind.
 */
export async function deleteProtectedNode(client: ZkClient, parentPath: string, prefix: string): Promise<void> {
  const sessionId = client.sessionId;
  for (let tries = 0; tries < 20 && client.sessionId === sessionId && client.state !== ConnectionState.CLOSED; tries++) {
    try {
      const { children } = await client.getChildren(parentPath);
      const name = children.find((c) => c.startsWith(prefix));
      if (name) await client.delete(joinPath(parentPath, name));
      return;
    } catch (error) {
      if (error instanceof NoNodeError) return;
      if (!isRetryable(error)) return;
    }
  }
}

/**
 * Our own node (its name starts with `prefix`) after a create whose reply was lost: it may have
 * landed. One made by an earlier session that is gone is deleted, never let stand in the queue.
 */
export async function findOwnNode(
  client: ZkClient,
  parentPath: string,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<{ path: string; name: string; sessionId: string } | undefined> {
  const { children } = await client.getChildren(parentPath, { signal }).catch((error: unknown) => {
    if (error instanceof NoNodeError) return { children: [] as string[] };
    throw error;
  });
  const name = children.find((c) => c.startsWith(prefix));
  if (!name) return undefined;
  const path = joinPath(parentPath, name);
  const stat = await client.exists(path, { signal });
  if (!stat) return undefined;
  if (sameSession(client.sessionId, stat.ephemeralOwner) || stat.ephemeralOwner === NO_SESSION) {
    return { path, name, sessionId: stat.ephemeralOwner === NO_SESSION ? (client.sessionId ?? '') : stat.ephemeralOwner };
  }
  // Made by an earlier session that is gone (or going): never let it stand in our queue.
  await client.delete(path).catch((error: unknown) => {
    if (!(error instanceof NoNodeError)) throw error;
  });
  return undefined;
}
