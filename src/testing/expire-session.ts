/**
 * A real server-side session expiry (Curator's KillSession idea): open a second connection with
 * the same session id and password, and close the session through it.
 */
import net from 'node:net';
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
    // The server has confirmed the close; the client reports LOST when it next hears from the
    // server (within a session timeout). Should it not, close again until it does.
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

/**
 * Attaches a second connection to the session and closes the session through it, which ends the
 * session on the server. Resolves once the server has answered the close (or said the session
 * is already gone).
 *
 * Our attach drops the owner's connection, and the owner reconnects within milliseconds, which
 * drops ours — sometimes before the server has read our close. A ZooKeeper client cannot tell
 * that apart from a close that worked, so this speaks the protocol itself: the attach and the
 * close go out in one write, and a connection dropped before the close's reply is a race lost,
 * tried again at once (on a busy machine the owner won several rounds in a row).
 */
export async function closeSessionFromOutside(
  connectString: string,
  credentials: { sessionId: Buffer; password: Buffer },
  sessionTimeoutMs: number,
  timeoutMs: number,
): Promise<void> {
  const hosts = parseHosts(connectString);
  const deadline = Date.now() + timeoutMs;
  let lastError: Error | undefined;
  for (let round = 0; Date.now() < deadline; round++) {
    const target = hosts[round % hosts.length]!;
    try {
      if ((await killThrough(target, credentials, sessionTimeoutMs, deadline - Date.now())) === 'closed') return;
    } catch (error) {
      lastError = error as Error; // unreachable member: try the next one
    }
    await new Promise((r) => setTimeout(r, Math.min(5 * round, 100)));
  }
  throw new ZkRecipesError(
    'EXPIRE_FAILED',
    `expireSession(): could not close the session within ${timeoutMs} ms.`,
    lastError ? { cause: lastError } : undefined,
  );
}

function parseHosts(connectString: string): { host: string; port: number }[] {
  const hostList = connectString.split('/')[0]!;
  return hostList.split(',').map((entry) => {
    const colon = entry.lastIndexOf(':');
    const host = colon < 0 ? entry : entry.slice(0, colon);
    return { host: host.replace(/^\[|\]$/g, ''), port: colon < 0 ? 2181 : Number(entry.slice(colon + 1)) };
  });
}

const CLOSE_SESSION = -11;

/**
 * One connection: attach + close in one write. `closed` when the server answered the close or
 * refused the attach because the session is gone; `dropped` when it hung up first.
 */
function killThrough(
  target: { host: string; port: number },
  credentials: { sessionId: Buffer; password: Buffer },
  sessionTimeoutMs: number,
  timeoutMs: number,
): Promise<'closed' | 'dropped'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host);
    let received = Buffer.alloc(0);
    let attached = false;
    const settle = (outcome: 'closed' | 'dropped' | Error) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => settle(new Error(`no answer from ${target.host}:${target.port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([connectFrame(credentials, sessionTimeoutMs), closeFrame()])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // Frames: the connect response, then the closeSession reply (header xid 1).
      while (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) {
        const frame = received.subarray(4, 4 + received.readInt32BE(0));
        received = received.subarray(4 + frame.length);
        if (!attached) {
          attached = true;
          // A timeout of 0 answers a session that is already gone: nothing left to end.
          if (frame.readInt32BE(4) <= 0) return settle('closed');
        } else if (frame.readInt32BE(0) === 1) {
          return settle('closed');
        }
      }
    });
    socket.on('close', () => settle('dropped'));
    socket.on('error', (error) => settle(error));
  });
}

/** ConnectRequest { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly }. */
function connectFrame(credentials: { sessionId: Buffer; password: Buffer }, sessionTimeoutMs: number): Buffer {
  const body = Buffer.alloc(4 + 8 + 4 + 8 + 4 + credentials.password.length + 1);
  let at = body.writeInt32BE(0, 0);
  at = body.writeBigInt64BE(0n, at);
  at = body.writeInt32BE(sessionTimeoutMs, at);
  at += credentials.sessionId.copy(body, at, 0, 8);
  at = body.writeInt32BE(credentials.password.length, at);
  at += credentials.password.copy(body, at);
  body.writeUInt8(0, at);
  return withLength(body);
}

/** RequestHeader { xid 1, type closeSession }, no body. */
function closeFrame(): Buffer {
  const body = Buffer.alloc(8);
  body.writeInt32BE(1, 0);
  body.writeInt32BE(CLOSE_SESSION, 4);
  return withLength(body);
}

function withLength(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}
