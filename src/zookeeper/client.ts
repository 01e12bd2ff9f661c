/**
 * ZkClient: a promise API over ZooKeeper with Curator's connection-state model — the operations
 * users call. Its rooms: session-keeper.ts (sessions and states), operation-runner.ts (retries,
 * waiting for a connection, watches), request-tracker.ts (a deadline per request),
 * wire-creates.ts (create2, containers, parent chains), session-handle.ts (the wire boundary).
 */
import { ConnectionState, type ErrorPolicy } from './connection-state.js';
import { ConnectionLossError, InvalidArgumentError } from '../core/errors.js';
import { checkAcl } from './acl.js';
import { type Resolved, resolveOptions, validateTimeout, type ZkClientOptions } from './client-options.js';
import type { Logger } from '../core/diagnostics.js';
import { checkRequestSize, createRecordBytes, setDataRecordBytes, transactionBytes } from './request-size.js';
import { validatePath } from './paths.js';
import type { RetryPolicy } from './retry.js';
import {
  type Acl,
  CreateMode,
  type CreateOptions,
  OPEN_ACL_UNSAFE,
  type OperationOptions,
  type Stat,
  type TransactionOp,
  type TransactionResult,
  type Watched,
} from './types.js';
import { SessionKeeper, type ZkClientEvents } from './session-keeper.js';
import { TypedEvents } from '../core/typed-events.js';
import { NamespaceMapping } from './namespace-mapping.js';
import { RequestTracker } from './request-tracker.js';
import { WireCreates } from './wire-creates.js';
import { checkData, checkVersion, OperationRunner } from './operation-runner.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../core/options.js';
import { PersistentWatchOps, type RemovePersistentWatch } from './persistent-watch-ops.js';
import type { PersistentWatchListener } from './persistent-watches.js';

const START_OPTION_KEYS: OptionKeys<{ signal?: AbortSignal }> = { signal: true };
const OPERATION_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };
const VERSIONED_KEYS: OptionKeys<OperationOptions & { version?: number }> = { ...OPERATION_KEYS, version: true };
const DELETE_KEYS: OptionKeys<OperationOptions & { version?: number; retry?: boolean }> = { ...VERSIONED_KEYS, retry: true };
const MKDIRP_KEYS: OptionKeys<OperationOptions & { container?: boolean }> = { ...OPERATION_KEYS, container: true };
const CREATE_KEYS: OptionKeys<CreateOptions> = { ...OPERATION_KEYS, mode: true, acl: true, createParents: true, retry: true, ttlMs: true };
/** The largest TTL the server takes (EphemeralType.TTL's 40 bits of milliseconds). */
const MAX_TTL_MS = 2 ** 40 - 1;

export { validateTimeout, type ZkClientOptions, type ZkTlsOptions } from './client-options.js';
export type { ZkClientEvents } from './session-keeper.js';

/** What {@link ZkClient.createInSession} created, and in which session. */
export interface CreatedNode {
  /** The node's path (with the sequence suffix for sequential modes). */
  readonly path: string;
  /** The session (16 hex digits) the create was sent in: the owner of an ephemeral node. */
  readonly sessionId: string;
  /** The new node's Stat (its `czxid` is a lock's fencing token), when the server speaks create2 (3.5+). */
  readonly stat?: Stat;
}

/** A `*_WITH_TTL` mode needs a TTL in ms (1 to 2^40 − 1); any other mode must not have one. */
function checkTtl(mode: number, ttlMs: unknown): number | undefined {
  const ttlMode = mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
  if (!ttlMode) {
    if (ttlMs !== undefined)
      throw new InvalidArgumentError('ttlMs is only for CreateMode.PERSISTENT_WITH_TTL and PERSISTENT_SEQUENTIAL_WITH_TTL.');
    return undefined;
  }
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS)
    throw new InvalidArgumentError(`a TTL node needs ttlMs, an integer from 1 to ${MAX_TTL_MS} ms, got ${describeValue(ttlMs)}.`);
  return ttlMs;
}

/**
 * A ZooKeeper client with promises, retries, namespaces, typed errors and Curator's connection
 * states. Create it, `await start()`, use it, `await close()`.
 */
export class ZkClient {
  readonly #options: Resolved;
  readonly #events = new TypedEvents<ZkClientEvents>();
  readonly #keeper: SessionKeeper;
  readonly #runner: OperationRunner;
  readonly #paths: NamespaceMapping;
  readonly #requests: RequestTracker;
  readonly #creates: WireCreates;
  readonly #watchOps: PersistentWatchOps;

  constructor(options: ZkClientOptions) {
    this.#options = resolveOptions(options);
    this.#paths = new NamespaceMapping(this.#options.namespace);
    this.#requests = new RequestTracker(this.#paths);
    this.#creates = new WireCreates(this.#requests, this.#paths, (path) => this.#aclFor(path, undefined));
    this.#keeper = new SessionKeeper(this.#options, this.#events, {
      abandonAll: (error, watchType) => {
        this.#requests.failAll(error);
        this.#runner.settleWatches(watchType);
      },
      sessionGone: () => this.#runner.forgetSession(),
      notification: (event) => this.#watchOps.deliver(event),
      persistentWatches: () => this.#watchOps.watches.lists(),
    });
    this.#runner = new OperationRunner(this.#options, this.#keeper, this.#paths, this.#creates);
    this.#watchOps = new PersistentWatchOps(
      () => this.#runner,
      this.#requests,
      this.#paths,
      this.#options.logger,
      () => this.#keeper.connected,
    );
  }

  /** The current connection state ('LATENT' until the first connection). */
  get state(): ConnectionState | 'LATENT' {
    return this.#keeper.state;
  }

  /** True while connected (CONNECTED or RECONNECTED): requests can reach the server. */
  get connected(): boolean {
    return this.#keeper.connected;
  }

  /**
   * True when the server creates CONTAINER nodes (and answers create2), false on a 3.4 server,
   * undefined until a create has told us.
   */
  get containersSupported(): boolean | undefined {
    return this.#creates.containersSupported;
  }

  /** True once `start()` was called (the connection may still be on its way). */
  get started(): boolean {
    return this.#keeper.started;
  }

  /** The error policy recipes apply to this client's connection states. */
  get errorPolicy(): ErrorPolicy {
    return this.#options.errorPolicy;
  }

  /** @internal Why the last connection attempt failed, while not connected (a socket error naming the host). */
  get lastConnectError(): Error | undefined {
    return this.#keeper.lastConnectError;
  }

  /** The logger this client and its recipes use. */
  get logger(): Logger {
    return this.#options.logger;
  }

  /** The deadline of one request attempt (the `operationTimeoutMs` option). */
  get operationTimeoutMs(): number {
    return this.#options.operationTimeoutMs;
  }

  /** The retry policy of this client's operations. */
  get retryPolicy(): RetryPolicy {
    return this.#options.retry;
  }

  /** The namespace (chroot) of this client, '' when none. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /** The current session id as ZooKeeper's logs write it (`0x10000a3c2f70001`), or undefined before the first connection. */
  get sessionId(): string | undefined {
    return this.#keeper.handle?.sessionIdHex;
  }

  /** The negotiated session timeout of the current session (the requested one before connecting). */
  get sessionTimeoutMs(): number {
    return this.#keeper.handle?.negotiatedTimeoutMs ?? this.#options.sessionTimeoutMs;
  }

  /** The connect string this client uses. */
  get connectString(): string {
    return this.#options.connectString;
  }

  /** The session's id and password, for tools that must act on the session itself (e.g. a real expiry in tests). */
  sessionCredentials(): { sessionId: Buffer; password: Buffer } | undefined {
    return this.#keeper.handle?.credentials();
  }

  /** Number of live one-shot watch listeners held by this client (0 when nothing is waiting). */
  get pendingWatchCount(): number {
    return this.#runner.pendingWatchCount;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends keyof ZkClientEvents>(event: K, listener: (...args: ZkClientEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Listeners currently subscribed to `event` (for leak checks). */
  listenerCount(event: keyof ZkClientEvents): number {
    return this.#events.listenerCount(event);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof ZkClientEvents>(event: K, listener: (...args: ZkClientEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /**
   * Connects. Resolves once connected; rejects with ConnectionLossError after connectionTimeoutMs
   * (its message and `cause` name why the last attempt failed, e.g. `connect ECONNREFUSED
   * 127.0.0.1:2181`), or with the signal's reason. A start() that fails leaves nothing running —
   * no socket, no timer: call start() again to retry.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    checkOptionKeys('start() options', options, START_OPTION_KEYS);
    this.#keeper.open();
    try {
      await this.#keeper.blockUntilConnected(this.#options.connectionTimeoutMs, options.signal);
    } catch (error) {
      // connected in the same instant the wait gave up: a timeout is moot then, an abort is not
      if (!this.#keeper.connected || options.signal?.aborted) {
        this.#keeper.abandonStart();
        throw error;
      }
    }
    if (this.#options.auth.length > 0) await this.#confirmAuth(options.signal);
  }

  /**
   * ZooKeeper answers a session's requests in order and checks credentials before the requests
   * sent after them: once one round trip is answered, our credentials were accepted. Refused ones
   * close the connection instead, and start() rejects with AuthFailedError — not the next call.
   */
  async #confirmAuth(signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.exists('/', { signal });
    } catch (error) {
      if (this.#keeper.state === ConnectionState.CLOSED) throw this.#keeper.closedError();
      if (!(error instanceof ConnectionLossError)) throw error;
      // a dropped connection says nothing about the credentials: the next session re-sends them
    }
  }

  /** Waits until the client is connected. Rejects with ConnectionLossError on timeout, the signal's reason on abort. */
  async blockUntilConnected(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    checkOptionKeys('blockUntilConnected() options', options, OPERATION_KEYS);
    const timeoutMs =
      validateTimeout('timeoutMs', options.timeoutMs, "for the client's connectionTimeoutMs") ?? this.#options.connectionTimeoutMs;
    await this.#keeper.blockUntilConnected(timeoutMs, options.signal);
  }

  /** Closes the session (its ephemeral nodes go at once) and releases every timer and socket. Idempotent. */
  async close(): Promise<void> {
    await this.#keeper.close();
    this.#watchOps.watches.clear();
  }

  /** `await using client = ...`: closes the client. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- operations -------------------------------------------------------------------------

  /** Creates a node; resolves to its path (with the sequence suffix for sequential modes). */
  async create(path: string, data?: Buffer | null, options: CreateOptions = {}): Promise<string> {
    checkOptionKeys('create() options', options, CREATE_KEYS);
    return (await this.#create(path, data, options, options.signal, false)).path;
  }

  /**
   * Creates a node and tells which session the request went out in: for an ephemeral node, its
   * owner. That can differ from {@link sessionId} at call time when the session changes while the
   * call waits for a connection. `signal` stops the wait for a connection (nothing was sent
   * then), never a create already sent: its answer is awaited (within the operation timeout) so
   * the caller always learns what it created and can delete it.
   */
  async createInSession(path: string, data?: Buffer | null, options: CreateOptions = {}): Promise<CreatedNode> {
    checkOptionKeys('createInSession() options', options, CREATE_KEYS);
    return this.#create(path, data, options, undefined, true);
  }

  async #create(
    path: string,
    data: Buffer | null | undefined,
    options: CreateOptions,
    inflightSignal: AbortSignal | undefined,
    wantStat: boolean,
  ): Promise<CreatedNode> {
    const mode = options.mode ?? CreateMode.PERSISTENT;
    if (!(Object.values(CreateMode) as number[]).includes(mode))
      throw new InvalidArgumentError(`mode must be a CreateMode value, got ${describeValue(mode)}.`);
    validatePath(path);
    const ttlMs = checkTtl(mode, options.ttlMs);
    const acl = this.#aclFor(path, options.acl);
    checkData(data);
    // createTTL carries the TTL (a long) after the create record's fields
    const ttlBytes = ttlMs === undefined ? 0 : 8;
    checkRequestSize(`create ${path}`, createRecordBytes(this.#paths.toWire(path), data?.length ?? 0, acl) + ttlBytes, data?.length ?? 0);
    // A blind retry of a sequential create can make a duplicate node; SequentialQueue recovers
    // those with protected names instead, so sequential creates are attempted once here.
    const sequential =
      mode === CreateMode.PERSISTENT_SEQUENTIAL ||
      mode === CreateMode.EPHEMERAL_SEQUENTIAL ||
      mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
    return this.#runner.run(
      'create',
      path,
      { ...options, noRetry: sequential || options.retry === false },
      async (handle, full, deadline) => {
        const parents = options.createParents === 'container' ? 'container' : options.createParents ? 'persistent' : undefined;
        const request = { full, data, acl, mode, timeoutMs: deadline, signal: inflightSignal, wantStat, ttlMs };
        const created = await this.#creates.createWithParents(handle, request, parents);
        return { path: this.#paths.toUser(created.path), sessionId: handle.sessionIdHex ?? '', stat: created.stat };
      },
    );
  }

  /**
   * Creates `path` and any missing ancestors as empty persistent nodes (`container: true`: as
   * CONTAINER nodes, which the server reaps once empty — how Curator makes recipe parents);
   * existing nodes are fine.
   */
  async mkdirp(path: string, options: OperationOptions & { container?: boolean } = {}): Promise<void> {
    checkOptionKeys('mkdirp() options', options, MKDIRP_KEYS);
    validatePath(path);
    await this.#runner.run('mkdirp', path, options, (handle, full, deadline) =>
      this.#creates.mkdirp(handle, full, deadline, options.signal, options.container === true),
    );
  }

  /** Reads a node's data and stat. */
  async getData(path: string, options: OperationOptions = {}): Promise<{ data: Buffer; stat: Stat }> {
    checkOptionKeys('getData() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.run('getData', path, options, (handle, full, deadline) =>
      this.#requests.call('getData', full, deadline, options.signal, (cb) => handle.getData(full, undefined, cb)),
    );
  }

  /** Reads a node's data and sets a one-shot watch (data change or deletion). NO_NODE if missing. */
  async watchData(path: string, options: OperationOptions = {}): Promise<Watched<{ data: Buffer; stat: Stat }>> {
    checkOptionKeys('watchData() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.watched('getData', 'node', path, options, (handle, full, deadline, watcher) =>
      this.#requests.call('getData', full, deadline, options.signal, (cb) => handle.getData(full, watcher, cb)),
    );
  }

  /** The node's stat, or null if it does not exist. */
  async exists(path: string, options: OperationOptions = {}): Promise<Stat | null> {
    checkOptionKeys('exists() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.run('exists', path, options, (handle, full, deadline) =>
      this.#requests.call('exists', full, deadline, options.signal, (cb) => handle.exists(full, undefined, cb)),
    );
  }

  /** Like {@link exists}, and sets a one-shot watch (creation, change or deletion). */
  async watchExists(path: string, options: OperationOptions = {}): Promise<Watched<Stat | null>> {
    checkOptionKeys('watchExists() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.watched('exists', 'node', path, options, (handle, full, deadline, watcher) =>
      this.#requests.call('exists', full, deadline, options.signal, (cb) => handle.exists(full, watcher, cb)),
    );
  }

  /** A node's ACL. */
  async getAcl(path: string, options: OperationOptions = {}): Promise<Acl[]> {
    checkOptionKeys('getAcl() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.run('getAcl', path, options, (handle, full, deadline) =>
      this.#requests.call('getAcl', full, deadline, options.signal, (cb) => handle.getAcl(full, cb)),
    );
  }

  /** Replaces a node's ACL (needs ADMIN on it); with `version`, only if its ACL is still at that `aversion`. */
  async setAcl(path: string, acl: readonly Acl[], options: OperationOptions & { version?: number } = {}): Promise<Stat> {
    checkOptionKeys('setAcl() options', options, VERSIONED_KEYS);
    validatePath(path);
    const checked = checkAcl(acl);
    const version = checkVersion(options.version);
    return this.#runner.run('setAcl', path, options, (handle, full, deadline) =>
      this.#requests.call('setAcl', full, deadline, options.signal, (cb) => handle.setAcl(full, checked, version, cb)),
    );
  }

  /** The ACL this client gives a node it creates at `path` without an explicit `acl` (its aclProvider's). */
  aclFor(path: string): readonly Acl[] {
    validatePath(path);
    return this.#aclFor(path, undefined);
  }

  /** Lists a node's children (names, unsorted) with its stat. */
  async getChildren(path: string, options: OperationOptions = {}): Promise<{ children: string[]; stat: Stat }> {
    checkOptionKeys('getChildren() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.run('getChildren', path, options, (handle, full, deadline) =>
      this.#requests.call('getChildren', full, deadline, options.signal, (cb) => handle.getChildren(full, undefined, cb)),
    );
  }

  /** Like {@link getChildren}, and sets a one-shot watch on the child list (or the node's deletion). */
  async watchChildren(path: string, options: OperationOptions = {}): Promise<Watched<{ children: string[]; stat: Stat }>> {
    checkOptionKeys('watchChildren() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#runner.watched('getChildren', 'children', path, options, (handle, full, deadline, watcher) =>
      this.#requests.call('getChildren', full, deadline, options.signal, (cb) => handle.getChildren(full, watcher, cb)),
    );
  }

  /** Writes data; with `version`, only if the node is still at that version (else BAD_VERSION). */
  async setData(path: string, data: Buffer | null, options: OperationOptions & { version?: number } = {}): Promise<Stat> {
    checkOptionKeys('setData() options', options, VERSIONED_KEYS);
    validatePath(path);
    checkData(data);
    checkRequestSize(`setData ${path}`, setDataRecordBytes(this.#paths.toWire(path), data?.length ?? 0), data?.length ?? 0);
    const version = checkVersion(options.version);
    return this.#runner.run('setData', path, options, (handle, full, deadline) =>
      this.#requests.call('setData', full, deadline, options.signal, (cb) => handle.setData(full, data, version, cb)),
    );
  }

  /** Deletes a node; with `version`, only if it is still at that version. `retry: false` skips retries on connection loss. */
  async delete(path: string, options: OperationOptions & { version?: number; retry?: boolean } = {}): Promise<void> {
    checkOptionKeys('delete() options', options, DELETE_KEYS);
    validatePath(path);
    const version = checkVersion(options.version);
    await this.#runner.run('delete', path, { ...options, noRetry: options.retry === false }, (handle, full, deadline) =>
      this.#requests.call('delete', full, deadline, options.signal, (cb) => handle.remove(full, version, cb)),
    );
  }

  /**
   * Makes the server this client is connected to catch up with the ensemble's leader (ZooKeeper's
   * `sync`): reads sent after it see every write committed before it. Resolves to the zxid the
   * server had reached.
   */
  async sync(path = '/', options: OperationOptions = {}): Promise<bigint> {
    checkOptionKeys('sync() options', options, OPERATION_KEYS);
    validatePath(path);
    return this.#watchOps.sync(path, options);
  }

  /**
   * @internal A ZooKeeper 3.6+ persistent watch (`recursive`: on the whole subtree), kept across
   * reconnections and sessions; events the server sent while disconnected are not replayed.
   * Resolves to its remover. Users call PersistentWatcher.
   */
  async addPersistentWatch(
    path: string,
    listener: PersistentWatchListener,
    options: OperationOptions & { recursive: boolean },
  ): Promise<RemovePersistentWatch> {
    validatePath(path);
    return this.#watchOps.add(path, options.recursive, listener, options);
  }

  /** @internal True when the server holds a watch of this client's connection on `path` (checkWatches). */
  async hasServerWatch(path: string, options: OperationOptions = {}): Promise<boolean> {
    validatePath(path);
    return this.#watchOps.check(path, options);
  }

  /** @internal Live persistent watch listeners (for leak checks). */
  get persistentWatchCount(): number {
    return this.#watchOps.watches.size;
  }

  /** Runs operations atomically: all apply or none. Rejects with the first failing operation's error. */
  async transaction(ops: readonly TransactionOp[], options: OperationOptions = {}): Promise<TransactionResult[]> {
    checkOptionKeys('transaction() options', options, OPERATION_KEYS);
    if (!Array.isArray(ops) || ops.length === 0) throw new InvalidArgumentError('transaction() needs a non-empty array of operations.');
    for (const op of ops) {
      validatePath(op?.path);
      if (op.type === 'create' && (op.mode === CreateMode.PERSISTENT_WITH_TTL || op.mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL))
        throw new InvalidArgumentError('TTL nodes cannot be created in a transaction yet; create them with create().');
      if (op.type === 'create') continue;
      else if (op.type === 'setData' || op.type === 'delete' || op.type === 'check') checkVersion(op.version);
      else throw new InvalidArgumentError(`Unknown transaction operation type ${JSON.stringify((op as { type: unknown }).type)}.`);
      if (op.type === 'setData') checkData(op.data);
    }
    // Creates get their ACL now (the provider's when none is given), and their data checked.
    const resolved = ops.map((op): TransactionOp => {
      if (op.type !== 'create') return op;
      checkData(op.data);
      return { ...op, acl: this.#aclFor(op.path, op.acl) };
    });
    const dataBytes = ops.reduce((n, op) => n + ((op.type === 'create' || op.type === 'setData') && op.data ? op.data.length : 0), 0);
    checkRequestSize(
      'transaction',
      transactionBytes(resolved, (p) => this.#paths.toWire(p), OPEN_ACL_UNSAFE),
      dataBytes,
    );
    return this.#runner.run('transaction', ops[0]?.path ?? '/', options, (handle, _full, deadline) => {
      const wireOps = resolved.map((op) => ({ ...op, path: this.#paths.toWire(op.path) }));
      return this.#requests
        .call<TransactionResult[]>('transaction', wireOps[0]?.path ?? '/', deadline, options.signal, (cb) =>
          handle.transaction(wireOps, cb),
        )
        .then((results) => results.map((r) => (r.type === 'create' ? { type: 'create', path: this.#paths.toUser(r.path) } : r)));
    });
  }

  /** The explicit ACL, else the provider's for this (user) path. */
  #aclFor(path: string, acl: readonly Acl[] | undefined): readonly Acl[] {
    if (acl !== undefined) return checkAcl(acl);
    const provider = this.#options.aclProvider;
    return provider.forPath?.(path) ?? provider.defaultAcl;
  }
}
