/**
 * Requests the wire library has no method for, encoded as jute records: the ZooKeeper 3.6+ watch
 * requests — `addWatch` (persistent and persistent-recursive watches), `removeWatches`,
 * `checkWatches`, `setWatches2` (re-registration after a reconnect) — `sync`, `createTTL`, the
 * reads' `{path, watch}`, and the watch notification record. Opcodes and layouts are the server's
 * own (`ZooDefs.OpCode`, `org.apache.zookeeper.proto.*` in zookeeper-jute 3.8). Pure: unit-tested
 * byte for byte against zookeeper-jute's serialisation and on bytes recorded from a 3.8 server.
 */

/** `sync`: the server catches up with the leader before answering. */
export const OP_SYNC = 9;
/** `checkWatches`: NO_WATCHER (-121) unless this connection holds such a watch on the path. */
export const OP_CHECK_WATCHES = 17;
/** `removeWatches`: drops this connection's watches of a type on a path. */
export const OP_REMOVE_WATCHES = 18;
/** `setWatches2`: re-registers every kind of watch, persistent ones included, on a new connection. */
export const OP_SET_WATCHES2 = 105;
/** `addWatch`: a watch that stays set after it fires. */
export const OP_ADD_WATCH = 106;
/** The xid of watch re-registration (ClientCnxn.SET_WATCHES_XID). */
export const XID_SET_WATCHES = -8;
/** `AddWatchModes`: fires for the node itself (and its child list). */
export const ADD_WATCH_PERSISTENT = 0;
/** `AddWatchModes`: fires for the node and every descendant (no child-list events). */
export const ADD_WATCH_PERSISTENT_RECURSIVE = 1;
/** `Watcher.WatcherType` values of removeWatches/checkWatches. */
export const WATCHER_TYPE = { children: 1, data: 2, any: 3 } as const;
/** NOWATCHER: checkWatches/removeWatches found no such watch. */
export const ERR_NO_WATCHER = -121;

/** A pre-encoded jute record, in the shape the wire library's `jute.Request` serialises. */
export class RawRecord {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  byteLength(): number {
    return this.#bytes.length;
  }
  serialize(buffer: Buffer, offset: number): number {
    this.#bytes.copy(buffer, offset);
    return this.#bytes.length;
  }
  /** The wire library calls this when it has a chroot; ours is applied before (namespace-mapping.ts). */
  setChrootPath(): void {}
}

function ustringBytes(value: string): number {
  return 4 + Buffer.byteLength(value, 'utf8');
}

function writeUstring(buffer: Buffer, offset: number, value: string): number {
  const length = buffer.write(value, offset + 4, 'utf8');
  buffer.writeInt32BE(length, offset);
  return offset + 4 + length;
}

/** `{ustring path; int n}`: AddWatchRequest, RemoveWatchesRequest, CheckWatchesRequest. */
export function encodePathAndInt(path: string, value: number): Buffer {
  const buffer = Buffer.alloc(ustringBytes(path) + 4);
  buffer.writeInt32BE(value, writeUstring(buffer, 0, path));
  return buffer;
}

/** SetDataRequest `{ustring path; buffer data; int version}`; null data is the null buffer (length -1). */
export function encodeSetData(path: string, data: Buffer | null, version: number): Buffer {
  const buffer = Buffer.alloc(ustringBytes(path) + 4 + (data?.length ?? 0) + 4);
  let offset = writeUstring(buffer, 0, path);
  buffer.writeInt32BE(data ? data.length : -1, offset);
  offset += 4;
  if (data) offset += data.copy(buffer, offset);
  buffer.writeInt32BE(version, offset);
  return buffer;
}

/** `{ustring path; boolean watch}`: ExistsRequest, GetDataRequest, GetChildren2Request. */
export function encodePathAndWatch(path: string, watch: boolean): Buffer {
  const buffer = Buffer.alloc(ustringBytes(path) + 1);
  buffer.writeUInt8(watch ? 1 : 0, writeUstring(buffer, 0, path));
  return buffer;
}

/** `createTTL` (3.5.3+, with `zookeeper.extendedTypesEnabled=true`): replies like create2. */
export const OP_CREATE_TTL = 21;

/** CreateTTLRequest `{ustring path; buffer data; vector<ACL> acl; int flags; long ttl}`. */
export function encodeCreateTtl(
  path: string,
  data: Buffer | null | undefined,
  acl: readonly { permissions: number; scheme: string; id: string }[],
  flags: number,
  ttlMs: number,
): Buffer {
  let size = ustringBytes(path) + 4 + (data?.length ?? 0) + 4 + 4 + 8;
  for (const a of acl) size += 4 + ustringBytes(a.scheme) + ustringBytes(a.id);
  const buffer = Buffer.alloc(size);
  let offset = writeUstring(buffer, 0, path);
  if (data) {
    buffer.writeInt32BE(data.length, offset);
    data.copy(buffer, offset + 4);
    offset += 4 + data.length;
  } else {
    buffer.writeInt32BE(-1, offset);
    offset += 4;
  }
  buffer.writeInt32BE(acl.length, offset);
  offset += 4;
  for (const a of acl) {
    buffer.writeInt32BE(a.permissions, offset);
    offset = writeUstring(buffer, writeUstring(buffer, offset + 4, a.scheme), a.id);
  }
  buffer.writeInt32BE(flags, offset);
  buffer.writeBigInt64BE(BigInt(ttlMs), offset + 4);
  return buffer;
}

/** `{ustring path}`: SyncRequest. */
export function encodePath(path: string): Buffer {
  const buffer = Buffer.alloc(ustringBytes(path));
  writeUstring(buffer, 0, path);
  return buffer;
}

/** The watches one connection re-registers. */
export interface WatchLists {
  readonly data?: readonly string[];
  readonly exist?: readonly string[];
  readonly child?: readonly string[];
  readonly persistent: readonly string[];
  readonly persistentRecursive: readonly string[];
}

/** SetWatches2: `{long relativeZxid; vector<ustring> data, exist, child, persistent, persistentRecursive}`. */
export function encodeSetWatches2(relativeZxid: bigint, lists: WatchLists): Buffer {
  const vectors = [lists.data ?? [], lists.exist ?? [], lists.child ?? [], lists.persistent, lists.persistentRecursive];
  let size = 8;
  for (const vector of vectors) size += 4 + vector.reduce((n, path) => n + ustringBytes(path), 0);
  const buffer = Buffer.alloc(size);
  buffer.writeBigInt64BE(relativeZxid, 0);
  let offset = 8;
  for (const vector of vectors) {
    buffer.writeInt32BE(vector.length, offset);
    offset += 4;
    for (const path of vector) offset = writeUstring(buffer, offset, path);
  }
  return buffer;
}

/** A watch notification (xid -1): WatcherEvent `{int type; int state; ustring path}`. */
export interface WireNotification {
  /** EventType: 1 created, 2 deleted, 3 data changed, 4 children changed, 5–7 watch removed. */
  readonly type: number;
  readonly state: number;
  /** The wire path (namespace included). */
  readonly path: string;
}

/** Parses a notification frame (length prefix, 16-byte reply header, WatcherEvent). */
export function parseNotification(frame: Buffer): WireNotification {
  const offset = 4 + 16;
  if (frame.length < offset + 12) throw new RangeError('WatcherEvent truncated');
  const length = frame.readInt32BE(offset + 8);
  if (length < 0 || frame.length < offset + 12 + length) throw new RangeError('WatcherEvent truncated');
  return {
    type: frame.readInt32BE(offset),
    state: frame.readInt32BE(offset + 4),
    path: frame.toString('utf8', offset + 12, offset + 12 + length),
  };
}
