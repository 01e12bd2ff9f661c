/**
 * One node-zookeeper-client handle (one ZooKeeper session), with the gaps of that library
 * closed. Used only by client.ts; together they are the wire boundary of the core.
 *
 * Internal API used here (pinned: node-zookeeper-client 1.1.3, covered by integration tests):
 * `connectionManager.socket`, `onSocketData`, `onSocketConnected`, `state`, `queue`,
 * `pendingQueue` and `register{Data,Child,Existence}Watcher`.
 */
import type { Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import zookeeper from 'node-zookeeper-client';
// The wire library's jute records, to send the 3.5+ creates it has no method for.
import jute from 'node-zookeeper-client/lib/jute/index.js';
import { type Acl, OPEN_ACL_UNSAFE, type Stat, type TransactionOp, type TransactionResult } from './types.js';
import {
  type Callback,
  type ConnectableManager,
  type ConnectionManagerInternals,
  OP_PING,
  SESSION_REQUIRES_AUTH,
  statFromWire,
  toWireAcl,
  type Watcher,
  WIRE_CLOSED,
  WIRE_CONNECTED,
  WIRE_CONNECTING,
  type WireStat,
  wireWatcher,
  XID_PING,
} from './wire-internals.js';
import {
  FrameSplitter,
  OP_CREATE_CONTAINER,
  OP_CREATE2,
  OP_DELETE,
  OP_EXISTS,
  OP_SET_DATA,
  OP_GET_CHILDREN2,
  OP_GET_DATA,
  OWN_OPCODES,
  parseOwnReply,
  parseReplyHeader,
} from './wire-replies.js';
import {
  encodeCreateTtl,
  encodePath,
  encodePathAndInt,
  encodePathAndWatch,
  encodeSetData,
  encodeSetWatches2,
  OP_ADD_WATCH,
  OP_CHECK_WATCHES,
  OP_CREATE_TTL,
  OP_REMOVE_WATCHES,
  OP_SET_WATCHES2,
  OP_SYNC,
  parseNotification,
  RawRecord,
  type WatchLists,
  type WireNotification,
  XID_SET_WATCHES,
} from './wire-watches.js';
import { formatSessionId } from './session-id.js';

export interface SessionHandleEvents {
  connected(): void;
  disconnected(): void;
  expired(): void;
  /** The server refused our credentials; the wire library will not reconnect. */
  authFailed(): void;
  /** The TLS handshake failed in a way a retry cannot cure (an untrusted or mismatched certificate). */
  tlsFailed(error: Error): void;
  /**
   * Every watch notification, on the socket handler's stack (persistent watches have no one-shot
   * watcher in the wire library, which would drop them).
   */
  notification?(event: WireNotification): void;
  /** The persistent watches to set again on each new connection (setWatches2). */
  persistentWatches?(): Pick<WatchLists, 'persistent' | 'persistentRecursive'>;
}

/** TLS settings of a handle (passed to `tls.connect` for every connection). */
export type WireTlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'servername' | 'rejectUnauthorized'>;

/** ZooKeeper's NONODE. */
const NO_NODE = -101;

/** TLS errors about the peer's certificate: retrying the same server cannot cure them. */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|ERR_TLS_CERT/;

export class SessionHandle {
  readonly #client: zookeeper.Client;
  readonly #cm: ConnectionManagerInternals;
  readonly #requestedTimeoutMs: number;
  #lastHeard = Date.now();
  /** When the last request (ping included) was queued: see #checkHeard. */
  #lastSent = Date.now();
  #watchdog: NodeJS.Timeout | undefined;
  #retired = false;
  #connectedOnce = false;
  /** Why the last connection attempt failed (a socket error names the system error and the host). */
  #lastConnectError: Error | undefined;
  readonly #frames = new FrameSplitter();
  #corked: Socket | undefined;

  constructor(
    connectString: string,
    sessionTimeoutMs: number,
    events: SessionHandleEvents,
    auth: readonly { scheme: string; credentials: string | Buffer }[] = [],
    tls?: WireTlsOptions,
  ) {
    this.#requestedTimeoutMs = sessionTimeoutMs;
    // retries: 0 — the wire library's own retry would re-send sequential creates blindly.
    this.#client = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 100, retries: 0 });
    this.#cm = (this.#client as unknown as { connectionManager: ConnectionManagerInternals }).connectionManager;
    this.#installHooks(events);
    if (tls) this.#useTls(tls, events);
    // Sent on every connection of this session, before any request (the wire library keeps them).
    for (const { scheme, credentials } of auth) {
      this.#client.addAuthInfo(scheme, Buffer.isBuffer(credentials) ? credentials : Buffer.from(credentials, 'utf8'));
    }
    this.#client.on('state', (state: { name: string }) => {
      if (this.#retired) return;
      if (state.name === 'SYNC_CONNECTED') {
        this.#connectedOnce = true;
        this.#lastHeard = Date.now();
        events.connected();
      } else if (state.name === 'DISCONNECTED') events.disconnected();
      else if (state.name === 'EXPIRED') events.expired();
      else if (state.name === 'AUTH_FAILED') events.authFailed();
    });
  }

  /**
   * Splits the reply stream into frames: records what is heard, answers the 3.5+ creates the wire
   * library cannot parse, hands every other frame to it, and guards its handler. Retired handles
   * never reconnect.
   */
  #installHooks(events: SessionHandleEvents): void {
    const cm = this.#cm;
    const onData = cm.onSocketData;
    const onConnected = cm.onSocketConnected;
    cm.onSocketData = (buffer: Buffer) => {
      const frames = this.#frames.push(buffer);
      // Bytes of a reply still arriving prove the server alive too: a large reply through a slow
      // link is not a silent server (a notification's bytes still do not count).
      const arriving = this.#frames.pendingXid;
      if (arriving !== undefined && arriving !== -1) this.#lastHeard = Date.now();
      for (const frame of frames) {
        // A watch notification (xid -1) proves the server can reach us, not that it hears us:
        // only replies (and pings) count, so a one-way partition still trips the read timeout.
        if (!(frame.length >= 8 && frame.readInt32BE(4) === -1)) this.#lastHeard = Date.now();
        try {
          if (cm.state !== WIRE_CONNECTING && frame.length >= 20 && frame.readInt32BE(16) === SESSION_REQUIRES_AUTH) {
            // The server enforces authentication and closed the session: final, like AUTH_FAILED
            // (the wire library does not know this code and would reconnect for ever).
            if (!this.#retired) events.authFailed();
            return;
          }
          if (cm.state !== WIRE_CONNECTING && this.#takeOwnReply(frame)) continue;
          if (cm.state !== WIRE_CONNECTING && frame.length >= 8 && frame.readInt32BE(4) === -1) {
            const event = parseNotification(frame);
            if (!this.#retired) events.notification?.(event);
            // The wire library throws on the watch-removed types (5–7); it needs only 1–4.
            if (event.type < 1 || event.type > 4) continue;
          }
          onData.call(cm, frame);
        } catch {
          // e.g. an error code the wire library does not know: drop the connection, do not crash.
          cm.socket?.destroy();
          return;
        }
      }
    };
    const onError = cm.onSocketError;
    cm.onSocketError = (error: Error) => {
      if (cm.state === WIRE_CONNECTING) this.#lastConnectError = error;
      onError.call(cm, error);
    };
    const onConnectTimeout = cm.onSocketConnectTimeout;
    cm.onSocketConnectTimeout = () => {
      const socket = cm.socket;
      const where = socket?.remoteAddress ? ` to ${socket.remoteAddress}:${socket.remotePort}` : '';
      this.#lastConnectError = new Error(`the TCP connect${where} got no answer within ${cm.connectTimeout} ms`);
      onConnectTimeout.call(cm);
    };
    const queue = cm.queue;
    cm.queue = (request, callback) => {
      this.#lastSent = Date.now();
      queue.call(cm, request, callback);
    };
    cm.onSocketConnected = () => {
      this.#frames.reset();
      if (this.#retired) {
        cm.socket?.destroy();
        return;
      }
      this.#lastHeard = Date.now();
      this.#lastConnectError = undefined;
      onConnected.call(cm);
      this.#setPersistentWatches(events);
    };
  }

  /**
   * The wire library opens plain TCP sockets: replace its connect step (same steps, the same
   * handlers) with a TLS connection; the protocol inside is unchanged. A certificate problem is
   * reported as final instead of being retried until the connection timeout.
   */
  #useTls(tls: WireTlsOptions, events: SessionHandleEvents): void {
    const cm = this.#cm as unknown as ConnectableManager;
    (cm as unknown as { connect: () => void }).connect = () => {
      cm.setState(WIRE_CONNECTING);
      cm.findNextServer((server) => {
        const socket = tlsConnect({ host: server.host, port: server.port, ...tls });
        cm.socket = socket;
        cm.connectTimeoutHandler = setTimeout(() => cm.onSocketConnectTimeout(), cm.connectTimeout);
        socket.setNoDelay();
        socket.on('secureConnect', () => cm.onSocketConnected());
        socket.on('data', (data: Buffer) => cm.onSocketData(data));
        socket.on('drain', () => cm.onSocketDrain());
        socket.on('close', (hadError: boolean) => cm.onSocketClosed(hadError));
        socket.on('error', (error: Error & { code?: string }) => {
          cm.onSocketError(error);
          if (!this.#retired && CERTIFICATE_ERRORS.test(`${error.code ?? ''} ${error.message}`)) events.tlsFailed(error);
        });
      });
    };
  }

  /**
   * Watches live per connection on the server: the wire library re-sends its one-shot ones, we
   * send the persistent ones (setWatches2, queued like its setWatches: after auth, before any
   * request). The server sets them again without replaying what it missed: a watcher re-reads.
   */
  #setPersistentWatches(events: SessionHandleEvents): void {
    const lists = events.persistentWatches?.();
    if (!lists || (lists.persistent.length === 0 && lists.persistentRecursive.length === 0)) return;
    const zxid = this.#cm.zxid && this.#cm.zxid.length === 8 ? this.#cm.zxid.readBigInt64BE(0) : 0n;
    this.#own(OP_SET_WATCHES2, encodeSetWatches2(zxid, lists), () => {}, XID_SET_WATCHES);
  }

  /** Queues one of our own requests; its reply is read by #takeOwnReply. */
  #own(type: number, payload: Buffer, cb: Callback<unknown>, xid = 0): void {
    const header = new jute.protocol.RequestHeader();
    header.type = type;
    header.xid = xid; // the wire library numbers every request it sends
    this.#cm.queue(new jute.Request(header, new RawRecord(payload)), cb);
  }

  /** Answers the reply to a request of ours (create2, createContainer, the watch requests) at the head of the queue. */
  #takeOwnReply(frame: Buffer): boolean {
    const pending = this.#cm.pendingQueue[0];
    if (!pending || !OWN_OPCODES.has(pending.request.header.type) || frame.length < 20) return false;
    const header = parseReplyHeader(frame);
    if (header.xid !== pending.request.header.xid) return false; // out of order: the wire library resets the connection
    this.#cm.pendingQueue.shift();
    if (header.zxid > 0n) this.#cm.zxid = Buffer.from(frame.subarray(8, 16));
    if (header.err !== 0) pending.callback({ code: header.err });
    else pending.callback(null, parseOwnReply(pending.request.header.type, frame, header));
    return true;
  }

  /**
   * Requests issued in one tick (a create and its listing, a delete and its parent's) leave in
   * one write: the wire library writes each request on its own, one syscall apiece.
   */
  #batch(): void {
    const socket = this.#cm.socket;
    if (!socket || this.#corked === socket || this.#cm.state !== WIRE_CONNECTED) return;
    this.#corked = socket;
    socket.cork();
    process.nextTick(() => {
      this.#corked = undefined;
      socket.uncork();
    });
  }

  /** The negotiated session timeout once connected. */
  get negotiatedTimeoutMs(): number | undefined {
    return this.#connectedOnce ? this.#cm.sessionTimeout : undefined;
  }

  /** Why the last connection attempt failed, until one succeeds. */
  get lastConnectError(): Error | undefined {
    return this.#lastConnectError;
  }

  /** The session id as ZooKeeper writes it (`0x…`, see session-id.ts). */
  get sessionIdHex(): string | undefined {
    if (!this.#connectedOnce) return undefined;
    return formatSessionId(this.#client.getSessionId().readBigUInt64BE(0));
  }

  credentials(): { sessionId: Buffer; password: Buffer } | undefined {
    if (!this.#connectedOnce) return undefined;
    return { sessionId: this.#client.getSessionId(), password: this.#client.getSessionPassword() };
  }

  connect(): void {
    this.#client.connect();
    // The wire library never notices a silent server (no read timeout): check it ourselves.
    const tick = Math.max(25, Math.floor(this.#requestedTimeoutMs / 12));
    this.#watchdog = setInterval(() => this.#checkHeard(), tick);
  }

  #checkHeard(): void {
    const socket = this.#cm.socket;
    if (!socket || socket.destroyed || socket.connecting) return;
    // The library pings only when the socket is idle both ways (Node's socket timeout): while a
    // large reply streams in, it never pings, and the server expires the session. Ping ourselves
    // when nothing went out for half a ping interval past the library's own (so never twice on an
    // idle link), still well within the session timeout (3 ping intervals).
    if (this.#cm.state === WIRE_CONNECTED && Date.now() - this.#lastSent >= 1.5 * this.#cm.pingTimeout) {
      const header = new jute.protocol.RequestHeader();
      header.xid = XID_PING;
      header.type = OP_PING;
      this.#cm.queue(new jute.Request(header, null));
    }
    // The Java client's read timeout: 2/3 of the session timeout. The wire library pings at 1/3.
    const readTimeout = ((this.negotiatedTimeoutMs ?? this.#requestedTimeoutMs) * 2) / 3;
    if (Date.now() - this.#lastHeard > readTimeout) {
      this.#lastHeard = Date.now();
      socket.destroy();
    }
  }

  /** Stops this handle for good without waiting for the server (the session is gone or given up). */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    clearInterval(this.#watchdog);
    if (this.#cm.state !== WIRE_CLOSED) {
      // close() moves the wire state to CLOSING so the socket's close event does not reconnect.
      this.#client.close();
      this.#cm.socket?.destroy();
    }
    this.#client.removeAllListeners();
  }

  /** Ends the session on the server (closeSession) when connected, then stops the handle. */
  async close(): Promise<void> {
    if (this.#retired) return;
    if (this.#cm.state === WIRE_CONNECTED) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        this.#cm.on('state', (state) => {
          if (state === WIRE_CLOSED) {
            clearTimeout(timer);
            resolve();
          }
        });
        this.#client.close();
      });
    }
    this.retire();
  }

  create(path: string, data: Buffer | null | undefined, acl: readonly Acl[], mode: number, cb: Callback<string>): void {
    this.#batch();
    const done = (error: unknown, created?: string) => cb(error, created);
    if (data) this.#client.create(path, data, toWireAcl(acl) as zookeeper.ACL[], mode, done as never);
    else this.#client.create(path, toWireAcl(acl) as zookeeper.ACL[], mode, done as never);
  }

  /**
   * ZooKeeper 3.5+ `create2` (opcode 15), or `createContainer` (opcode 19) for mode CONTAINER: the
   * reply carries the node's Stat. A 3.4 server answers UNIMPLEMENTED (-6).
   */
  create2(
    path: string,
    data: Buffer | null | undefined,
    acl: readonly Acl[],
    mode: number,
    cb: Callback<{ path: string; stat: Stat }>,
  ): void {
    this.#batch();
    const header = new jute.protocol.RequestHeader();
    header.type = mode === 4 ? OP_CREATE_CONTAINER : OP_CREATE2;
    const payload = new jute.protocol.CreateRequest();
    payload.path = path;
    payload.acl = toWireAcl(acl).map((a) => (a as { toRecord(): unknown }).toRecord());
    payload.flags = mode;
    if (data) payload.data = data;
    this.#cm.queue(new jute.Request(header, payload), cb as (error: unknown, result?: unknown) => void);
  }

  /** `createTTL` (opcode 21): a `*_WITH_TTL` node; replies like create2. UNIMPLEMENTED without extended types. */
  createTtl(
    path: string,
    data: Buffer | null | undefined,
    acl: readonly Acl[],
    mode: number,
    ttlMs: number,
    cb: Callback<{ path: string; stat: Stat }>,
  ): void {
    this.#batch();
    this.#own(OP_CREATE_TTL, encodeCreateTtl(path, data, acl, mode, ttlMs), cb as Callback<unknown>);
  }

  /** ZooKeeper 3.6+ `addWatch`: a persistent (mode 0) or persistent-recursive (mode 1) watch. */
  addWatch(path: string, mode: number, cb: Callback<unknown>): void {
    this.#batch();
    this.#own(OP_ADD_WATCH, encodePathAndInt(path, mode), cb);
  }

  /** `removeWatches` of a WatcherType (wire-watches.ts) on a path; NO_WATCHER (-121) when none. */
  removeWatches(path: string, type: number, cb: Callback<unknown>): void {
    this.#batch();
    this.#own(OP_REMOVE_WATCHES, encodePathAndInt(path, type), cb);
  }

  /** `checkWatches`: succeeds when this connection holds a watch of that type on the path, else NO_WATCHER. */
  checkWatches(path: string, type: number, cb: Callback<unknown>): void {
    this.#batch();
    this.#own(OP_CHECK_WATCHES, encodePathAndInt(path, type), cb);
  }

  /** `sync`: answers once the server has caught up with the leader; the result is the zxid it reached. */
  sync(path: string, cb: Callback<bigint>): void {
    this.#batch();
    this.#own(OP_SYNC, encodePath(path), cb as Callback<unknown>);
  }

  /**
   * The three reads go out and come back through our own records (wire-replies.ts) — the wire
   * library's generic ones allocate a Buffer per long of every Stat and retry through async.js —
   * and register their watch with it the way it does: after the reply, data watches for
   * getData and an existing node's exists, an existence watch for a missing one, child watches.
   */
  getData(path: string, watcher: Watcher | undefined, cb: Callback<{ data: Buffer; stat: Stat }>): void {
    this.#batch();
    const w = wireWatcher(watcher);
    this.#own(OP_GET_DATA, encodePathAndWatch(path, w !== undefined), (error, result) => {
      if (error) return cb(error);
      if (w) this.#cm.registerDataWatcher(path, w);
      cb(null, result as { data: Buffer; stat: Stat });
    });
  }

  exists(path: string, watcher: Watcher | undefined, cb: Callback<Stat | null>): void {
    this.#batch();
    const w = wireWatcher(watcher);
    this.#own(OP_EXISTS, encodePathAndWatch(path, w !== undefined), (error, result) => {
      const missing = (error as { code?: unknown } | null)?.code === NO_NODE;
      if (error && !missing) return cb(error);
      if (w) {
        if (missing) this.#cm.registerExistenceWatcher(path, w);
        else this.#cm.registerDataWatcher(path, w);
      }
      cb(null, missing ? null : (result as Stat));
    });
  }

  getChildren(path: string, watcher: Watcher | undefined, cb: Callback<{ children: string[]; stat: Stat }>): void {
    this.#batch();
    const w = wireWatcher(watcher);
    this.#own(OP_GET_CHILDREN2, encodePathAndWatch(path, w !== undefined), (error, result) => {
      if (error) return cb(error);
      if (w) this.#cm.registerChildWatcher(path, w);
      cb(null, result as { children: string[]; stat: Stat });
    });
  }

  getAcl(path: string, cb: Callback<Acl[]>): void {
    this.#batch();
    this.#client.getACL(path, ((error: unknown, acls?: { permission: number; id: { scheme: string; id: string } }[]) =>
      error
        ? cb(error)
        : cb(
            null,
            (acls ?? []).map((a) => ({ permissions: a.permission, scheme: a.id.scheme, id: a.id.id })),
          )) as never);
  }

  setAcl(path: string, acl: readonly Acl[], version: number, cb: Callback<Stat>): void {
    this.#batch();
    this.#client.setACL(path, toWireAcl(acl) as zookeeper.ACL[], version, ((error: unknown, stat?: WireStat) =>
      error ? cb(error) : cb(null, statFromWire(stat as WireStat))) as never);
  }

  setData(path: string, data: Buffer | null, version: number, cb: Callback<Stat>): void {
    this.#batch();
    this.#own(OP_SET_DATA, encodeSetData(path, data, version), (error, result) => (error ? cb(error) : cb(null, result as Stat)));
  }

  /** DeleteRequest `{ustring path; int version}` through our own record, as the reads. */
  remove(path: string, version: number, cb: Callback<void>): void {
    this.#batch();
    this.#own(OP_DELETE, encodePathAndInt(path, version), (error) => cb(error));
  }

  transaction(ops: readonly TransactionOp[], cb: Callback<TransactionResult[]>): void {
    this.#batch();
    const tx = this.#client.transaction() as unknown as {
      ops: { version?: number }[];
      create(path: string, data: Buffer | undefined, acls: unknown[], mode: number): void;
      setData(path: string, data: Buffer | null, version: number): void;
      remove(path: string, version: number): void;
      check(path: string, version: number): void;
      commit(cb: (error: unknown, results?: { type: number; path?: string; stat?: WireStat }[]) => void): void;
    };
    for (const op of ops) {
      if (op.type === 'create') tx.create(op.path, op.data, toWireAcl(op.acl ?? OPEN_ACL_UNSAFE), op.mode ?? 0);
      else {
        if (op.type === 'setData') tx.setData(op.path, op.data, -1);
        else if (op.type === 'delete') tx.remove(op.path, -1);
        else tx.check(op.path, -1);
        // The wire library turns version 0 into -1 (`version || -1`): set it ourselves.
        const last = tx.ops[tx.ops.length - 1];
        if (last) last.version = op.version ?? -1;
      }
    }
    tx.commit((error, results) => {
      if (error) return cb(error);
      cb(
        null,
        (results ?? []).map((r, i): TransactionResult => {
          const type = ops[i]?.type;
          if (type === 'create') return { type, path: r.path ?? '' };
          if (type === 'setData') return { type, stat: statFromWire(r.stat as WireStat) };
          return { type: type === 'delete' ? 'delete' : 'check' };
        }),
      );
    });
  }
}
