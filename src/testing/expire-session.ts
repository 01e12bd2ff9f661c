/**
 * A real server-side session expiry (Curator's KillSession idea): open a second connection with
 * the same session id and password, then close it, which ends the session on the server.
 */
import zookeeper from 'node-zookeeper-client';
import type { ZkClient } from '../client.js';
import { ConnectionState } from '../connection-state.js';
import { InvalidArgumentError, ZkRecipesError } from '../errors.js';

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
  const timeoutMs = options.timeoutMs ?? 20_000;
  const lost =
    options.waitForLost === false
      ? undefined
      : new Promise<void>((resolve) => {
          const off = client.on('state', (s) => {
            if (s === ConnectionState.LOST || s === ConnectionState.CLOSED) {
              off();
              resolve();
            }
          });
        });
  await new Promise<void>((resolve, reject) => {
    const killer = zookeeper.createClient(options.connectString ?? client.connectString, {
      sessionId: credentials.sessionId,
      sessionPassword: credentials.password,
      sessionTimeout: client.sessionTimeoutMs,
      retries: 0,
      spinDelay: 100,
    } as zookeeper.Option);
    const timer = setTimeout(() => {
      killer.close();
      reject(
        new ZkRecipesError('EXPIRE_FAILED', `expireSession(): could not attach to session ${client.sessionId} within ${timeoutMs} ms.`),
      );
    }, timeoutMs);
    killer.once('connected', () => {
      killer.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
      killer.close();
    });
    killer.once('expired', () => {
      clearTimeout(timer);
      killer.close();
      resolve();
    });
    killer.connect();
  });
  if (lost) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      lost,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () => reject(new ZkRecipesError('EXPIRE_FAILED', `expireSession(): the client did not report LOST within ${timeoutMs} ms.`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
