/**
 * What session-handle.ts knows of node-zookeeper-client's insides (pinned: 1.1.3, covered by the
 * integration tests) and the conversions between its records and ours: the wire boundary's
 * vocabulary, kept apart from the handle's behaviour.
 */
import type { Socket } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import type { Acl, Stat, WatchEventType } from './types.js';
import { formatSessionId } from './session-id.js';

export type Callback<T> = (error: unknown, result?: T) => void;
export type Watcher = (type: WatchEventType, path: string) => void;

export interface WireStat {
  czxid: Buffer;
  mzxid: Buffer;
  pzxid: Buffer;
  ctime: Buffer;
  mtime: Buffer;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: Buffer;
  dataLength: number;
  numChildren: number;
}

export interface PendingPacket {
  request: { header: { xid: number; type: number } };
  callback: (error: unknown, result?: unknown) => void;
}

export interface ConnectionManagerInternals {
  socket?: Socket;
  state: number;
  zxid?: Buffer;
  pendingQueue: PendingPacket[];
  queue(request: unknown, callback?: (error: unknown, result?: unknown) => void): void;
  sessionTimeout: number;
  /** 1/3 of the negotiated session timeout: the library pings after this long with no socket activity. */
  pingTimeout: number;
  onSocketData: (buffer: Buffer) => void;
  onSocketConnected: () => void;
  onSocketError: (error: Error) => void;
  onSocketConnectTimeout: () => void;
  connectTimeout: number;
  on(event: 'state', listener: (state: number) => void): void;
  registerDataWatcher(path: string, watcher: (event: { type: number; path: string }) => void): void;
  registerChildWatcher(path: string, watcher: (event: { type: number; path: string }) => void): void;
  registerExistenceWatcher(path: string, watcher: (event: { type: number; path: string }) => void): void;
}

export const WIRE_CONNECTING = 1;
/** ZooKeeper's ping: xid -2, opcode 11. */
export const XID_PING = -2;
export const OP_PING = 11;
/** SESSIONCLOSEDREQUIRESASLAUTH: a server with `enforce.auth.enabled` closed an unauthenticated session. */
export const SESSION_REQUIRES_AUTH = -124;
export const WIRE_CONNECTED = 2;
export const WIRE_CLOSED = -2;
const EVENT_TYPES: Record<number, WatchEventType> = {
  1: 'NODE_CREATED',
  2: 'NODE_DELETED',
  3: 'NODE_DATA_CHANGED',
  4: 'NODE_CHILDREN_CHANGED',
};

/** Converts the wire library's Stat (8-byte buffers for longs) to ours. */
export function statFromWire(stat: WireStat): Stat {
  return {
    czxid: stat.czxid.readBigInt64BE(0),
    mzxid: stat.mzxid.readBigInt64BE(0),
    pzxid: stat.pzxid.readBigInt64BE(0),
    ctime: Number(stat.ctime.readBigInt64BE(0)),
    mtime: Number(stat.mtime.readBigInt64BE(0)),
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: formatSessionId(stat.ephemeralOwner.readBigUInt64BE(0)),
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}

export function toWireAcl(acl: readonly Acl[]): unknown[] {
  return acl.map((a) => new zookeeper.ACL(a.permissions, new zookeeper.Id(a.scheme, a.id)));
}

export function wireWatcher(watcher: Watcher | undefined): ((event: { type: number; path: string }) => void) | undefined {
  if (!watcher) return undefined;
  // Cached on the watcher so the wire library's de-duplication (by function identity) works.
  const cached = (watcher as { wire?: (event: { type: number; path: string }) => void }).wire;
  if (cached) return cached;
  const wire = (event: { type: number; path: string }) => watcher(EVENT_TYPES[event.type] ?? 'NODE_DATA_CHANGED', event.path);
  (watcher as { wire?: typeof wire }).wire = wire;
  return wire;
}

/** The connect path of the wire library, which TLS replaces. */
export interface ConnectableManager {
  socket?: Socket;
  connectTimeout: number;
  connectTimeoutHandler?: NodeJS.Timeout;
  setState(state: number): void;
  findNextServer(cb: (server: { host: string; port: number }) => void): void;
  onSocketConnectTimeout(): void;
  onSocketConnected(): void;
  onSocketData(buffer: Buffer): void;
  onSocketDrain(): void;
  onSocketClosed(hadError: boolean): void;
  onSocketError(error: Error): void;
}
