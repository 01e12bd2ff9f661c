/**
 * The connection state machine of one client (docs/design.md §2): opens sessions, turns the wire
 * handle's events into Curator's states (CONNECTED, SUSPENDED, RECONNECTED, LOST, CLOSED),
 * declares LOST after SUSPENDED for a whole session timeout, replaces a lost session with a new
 * one, and closes for good on refused credentials or an untrusted certificate. Wire events are
 * handled after the wire library's socket handler has returned, so no listener runs on its stack.
 */
import type { Resolved } from './client-options.js';
import { ConnectionState, isConnectedState } from './connection-state.js';
import { publish } from '../core/diagnostics.js';
import {
  AuthFailedError,
  ClientClosedError,
  ClientNotStartedError,
  ConnectionLossError,
  SessionExpiredError,
  TlsError,
  type ZkRecipesError,
} from '../core/errors.js';
import { SessionHandle } from './session-handle.js';
import { settleWithin } from '../core/timing.js';
import type { TypedEvents } from '../core/typed-events.js';
import type { WireNotification } from './wire-watches.js';

/**
 * Events a {@link ZkClient} emits. Listeners run after the wire library has finished its own
 * work (never on its socket handler), in order; one that throws does not stop the others or the
 * client: its error goes to `error` listeners (without one, to a process warning).
 */
export interface ZkClientEvents {
  [event: string]: unknown[];
  /** Every connection-state change. */
  state: [state: ConnectionState];
  /** A `state` listener threw. */
  error: [error: unknown];
}

/** What the client does when sessions come and go. */
export interface SessionKeeperHooks {
  /** Ends every request in flight with `error` and every watch wait with `watchType`. */
  abandonAll(error: ZkRecipesError, watchType: 'CLIENT_CLOSED' | 'SESSION_LOST'): void;
  /** The session is gone: forget what belonged to it (its namespace check, its watches). */
  sessionGone(): void;
  /** A watch notification of the current session (on the socket handler's stack). */
  notification?(event: WireNotification): void;
  /** The persistent watches every new connection sets again. */
  persistentWatches?(): { persistent: string[]; persistentRecursive: string[] };
}

/** One client's sessions and connection state. */
export class SessionKeeper {
  readonly #options: Resolved;
  readonly #events: TypedEvents<ZkClientEvents>;
  readonly #hooks: SessionKeeperHooks;
  #handle: SessionHandle | undefined;
  #state: ConnectionState | 'LATENT' = 'LATENT';
  #started = false;
  #lostTimer: NodeJS.Timeout | undefined;
  /** Why the client closed by itself (refused credentials), for the errors its calls get. */
  #closedBy: ZkRecipesError | undefined;

  constructor(options: Resolved, events: TypedEvents<ZkClientEvents>, hooks: SessionKeeperHooks) {
    this.#options = options;
    this.#events = events;
    this.#hooks = hooks;
  }

  get state(): ConnectionState | 'LATENT' {
    return this.#state;
  }

  get connected(): boolean {
    return this.#state !== 'LATENT' && isConnectedState(this.#state);
  }

  get started(): boolean {
    return this.#started;
  }

  /** The current session's wire handle. */
  get handle(): SessionHandle | undefined {
    return this.#handle;
  }

  /** The error calls get once the client is closed. */
  closedError(what?: string): ZkRecipesError {
    return this.#closedBy ?? new ClientClosedError(what);
  }

  /** Throws unless the client is started and not closed. */
  assertUsable(): void {
    if (this.#state === ConnectionState.CLOSED) throw this.closedError();
    if (!this.#started) throw new ClientNotStartedError();
  }

  /** Opens the first session (once). */
  open(): void {
    if (this.#state === ConnectionState.CLOSED) throw this.closedError('start()');
    if (this.#started) return;
    this.#started = true;
    this.#openSession();
  }

  /**
   * A start() that failed before the first connection: stop trying, so that no socket or timer
   * keeps the process alive; start() may be called again.
   */
  abandonStart(): void {
    if (this.#state !== 'LATENT' || !this.#started) return;
    this.#handle?.retire();
    this.#handle = undefined;
    this.#started = false;
  }

  /** Waits until connected; ConnectionLossError after `timeoutMs`, the signal's reason on abort. */
  async blockUntilConnected(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    this.assertUsable();
    if (isConnectedState(this.#state as ConnectionState)) return;
    await settleWithin<void>(
      (resolve, reject) =>
        this.#events.on('state', (s) => {
          if (isConnectedState(s)) resolve();
          else if (s === ConnectionState.CLOSED) reject(this.closedError('blockUntilConnected()'));
        }),
      timeoutMs,
      () => this.notConnectedError(`within ${timeoutMs} ms`),
      signal,
    );
  }

  /** Why the last connection attempt failed, while not connected. */
  get lastConnectError(): Error | undefined {
    return this.connected ? undefined : this.#handle?.lastConnectError;
  }

  /** The error of a wait for a connection that did not come: names the last attempt's failure (its cause). */
  notConnectedError(when: string): ConnectionLossError {
    const last = this.lastConnectError;
    const why = last ? ` (last attempt: ${last.message})` : '';
    const hint =
      last && /ENOTFOUND|EAI_AGAIN/.test(last.message)
        ? 'Check the host names in connectString.'
        : 'Is a ZooKeeper server listening there (for a local one: npx zk-recipes dev-server)?';
    return new ConnectionLossError(
      `Could not connect to ZooKeeper at ${this.#options.connectString} ${when}${why}. ${hint}`,
      last ? { cause: last } : undefined,
    );
  }

  /** Closes the session (its ephemeral nodes go at once) and every timer and socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === ConnectionState.CLOSED) return;
    const wasStarted = this.#started;
    this.#setState(ConnectionState.CLOSED);
    this.#abandonAll(new ClientClosedError(), 'CLIENT_CLOSED');
    const handle = this.#handle;
    if (wasStarted && handle) await handle.close();
    this.#events.removeAllListeners();
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    const sessionId = this.#handle?.sessionIdHex;
    this.#options.logger.info(`zk-recipes: connection ${state}`, { sessionId, connectString: this.#options.connectString });
    publish('zk-recipes:connection', { state, sessionId, connectString: this.#options.connectString });
    this.#events.emit('state', state);
  }

  #openSession(): void {
    // Wire events arrive on the wire library's socket handler: handle them once it has returned
    // (a microtask: before any other I/O), so no listener of ours or of the user's runs on its
    // stack, where a throw would leave the wire library half-way through its own state change.
    const handle = new SessionHandle(
      this.#options.connectString,
      this.#options.sessionTimeoutMs,
      {
        connected: () => queueMicrotask(() => this.#onConnected(handle)),
        disconnected: () => queueMicrotask(() => this.#onDisconnected(handle)),
        expired: () => queueMicrotask(() => this.#onSessionGone(handle)),
        authFailed: () =>
          queueMicrotask(() => this.#terminate(handle, new AuthFailedError(this.#options.auth.map((a) => a.scheme).join(', ')))),
        tlsFailed: (error) => queueMicrotask(() => this.#terminate(handle, new TlsError(error.message, { cause: error }))),
        notification: (event) => {
          if (handle === this.#handle) this.#hooks.notification?.(event);
        },
        persistentWatches: () => this.#hooks.persistentWatches?.() ?? { persistent: [], persistentRecursive: [] },
      },
      this.#options.auth,
      this.#options.tls,
    );
    this.#handle = handle;
    handle.connect();
  }

  #onConnected(handle: SessionHandle): void {
    if (handle !== this.#handle || this.#state === ConnectionState.CLOSED) return;
    clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
    this.#setState(this.#state === 'LATENT' ? ConnectionState.CONNECTED : ConnectionState.RECONNECTED);
  }

  #onDisconnected(handle: SessionHandle): void {
    if (handle !== this.#handle || this.#state === ConnectionState.CLOSED) return;
    // Before the first connection there is nothing to suspend (Curator's model, too).
    if (this.#state === 'LATENT' || this.#state === ConnectionState.LOST || this.#state === ConnectionState.SUSPENDED) return;
    this.#setState(ConnectionState.SUSPENDED);
    // Suspended for a whole session timeout: the server has surely expired us by now, even if
    // we cannot hear it say so until the network heals (Curator's simulated expiry).
    clearTimeout(this.#lostTimer);
    this.#lostTimer = setTimeout(() => this.#onSessionGone(handle), handle.negotiatedTimeoutMs ?? this.#options.sessionTimeoutMs);
  }

  /** Refused credentials or an untrusted certificate are final: close the client with the reason instead of reconnecting. */
  #terminate(handle: SessionHandle, error: ZkRecipesError): void {
    if (handle !== this.#handle || this.#state === ConnectionState.CLOSED) return;
    this.#closedBy = error;
    this.#abandonAll(error, 'CLIENT_CLOSED');
    handle.retire();
    this.#setState(ConnectionState.CLOSED);
  }

  #abandonAll(error: ZkRecipesError, watchType: 'CLIENT_CLOSED' | 'SESSION_LOST'): void {
    clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
    this.#hooks.abandonAll(error, watchType);
  }

  #onSessionGone(handle: SessionHandle): void {
    if (handle !== this.#handle || this.#state === ConnectionState.CLOSED) return;
    handle.retire();
    this.#abandonAll(new SessionExpiredError(), 'SESSION_LOST');
    this.#hooks.sessionGone();
    this.#setState(ConnectionState.LOST);
    if (this.#state === ConnectionState.LOST) this.#openSession();
  }
}
