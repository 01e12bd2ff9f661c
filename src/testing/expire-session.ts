/**
 * A real server-side session expiry (Curator's KillSession idea): open a second connection with
 * the same session id and password, then close it, which ends the session on the server.
 */
import zookeeper from 'node-zookeeper-client';
import type { ZkClient } from '../zookeeper/client.js';
import { ConnectionState } from '../zookeeper/connection-state.js';
import { InvalidArgumentError, ZkRecipesError } from '../core/errors.js';

/**
 * Expires `client`'s current session on the server. By default resolves once the client has
 * reported LOST (its ephemeral nodes are gone by then).
 */
export async function expireSession(
  client: ZkClient,
  options: { connectString?: string; waitForLost?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const credentials = client.sessionCredentials();
  if (!credentials) throw new InvalidArgumentError('expireSession(): the client has no session yet; await client.start() first.');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const connectString = options.connectString ?? client.connectString;
  if (options.waitForLost === false) {
    await closeSessionFromOutside(connectString, credentials, client.sessionTimeoutMs, timeoutMs);
    return;
  }
  const sessionId = client.sessionId;
  let lost = false;
  const off = client.on('state', (s) => {
    if (s === ConnectionState.LOST || s === ConnectionState.CLOSED) lost = true;
  });
  try {
    // The client may win its session back by reconnecting between our attach and our close;
    // then the session survives, so try again until the client reports LOST.
    while (!lost && Date.now() < deadline) {
      if (client.sessionId !== sessionId) break;
      await closeSessionFromOutside(connectString, credentials, client.sessionTimeoutMs, deadline - Date.now());
      const waitUntil = Math.min(deadline, Date.now() + client.sessionTimeoutMs * 2);
      while (!lost && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    off();
  }
  if (!lost) throw new ZkRecipesError('EXPIRE_FAILED', `expireSession(): the client did not report LOST within ${timeoutMs} ms.`);
}

/** Attaches a second connection to the session and closes it, which ends the session on the server. */
export function closeSessionFromOutside(
  connectString: string,
  credentials: { sessionId: Buffer; password: Buffer },
  sessionTimeoutMs: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const killer = zookeeper.createClient(connectString, {
      sessionId: credentials.sessionId,
      sessionPassword: credentials.password,
      sessionTimeout: sessionTimeoutMs,
      retries: 0,
      spinDelay: 100,
    } as zookeeper.Option);
    const finish = () => {
      clearTimeout(timer);
      killer.removeAllListeners();
      resolve();
    };
    const timer = setTimeout(() => {
      killer.close();
      reject(new ZkRecipesError('EXPIRE_FAILED', `expireSession(): could not attach to the session within ${timeoutMs} ms.`));
    }, timeoutMs);
    killer.once('connected', () => {
      killer.once('disconnected', finish);
      killer.close();
    });
    killer.once('expired', () => {
      killer.close();
      finish();
    });
    killer.connect();
  });
}
