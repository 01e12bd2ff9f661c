/**
 * Typed errors. Every error thrown by zk-recipes is a {@link ZkRecipesError} with a stable
 * `code` and a message that says what to do about it.
 */

/** Base class of every error zk-recipes throws. */
export class ZkRecipesError extends Error {
  /** A stable machine-readable code, e.g. `LOCK_TIMEOUT` or `NO_NODE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A path broke ZooKeeper's path rules; nothing was sent to the server. */
export class InvalidPathError extends ZkRecipesError {
  readonly path: unknown;
  constructor(path: unknown, rule: string) {
    super('INVALID_PATH', `Invalid ZooKeeper path ${JSON.stringify(path)}: ${rule}.`);
    this.path = path;
  }
}

/** An argument or option had a bad value; nothing was sent to the server. */
export class InvalidArgumentError extends ZkRecipesError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** The client was closed; create a new ZkClient to go on. */
export class ClientClosedError extends ZkRecipesError {
  /**
   * @param what what could not run
   * @param closed what was closed and what to do (default: the ZkClient)
   */
  constructor(what = 'This operation', closed = 'the ZkClient is closed. Create and start a new client.', options?: { cause?: unknown }) {
    super('CLIENT_CLOSED', `${what} cannot run: ${closed}`, options);
  }
}

/** The client has not been started. */
export class ClientNotStartedError extends ZkRecipesError {
  constructor() {
    super('CLIENT_NOT_STARTED', 'The ZkClient is not started: call `await client.start()` first.');
  }
}

/** A wait for a lock, lease or leadership ran out of time. No node was left behind. */
export class LockTimeoutError extends ZkRecipesError {
  readonly path: string;
  readonly timeoutMs: number;
  /** What the wait was behind when it gave up — the holder or the node ahead, or why the server did not answer — when known. */
  readonly blockedOn: string | undefined;
  /**
   * @param details `blockedOn`: what the wait was behind; `cause`: the last error a look at the
   *   server met; `leftBehind`: what became of our place in line (backend wording).
   */
  constructor(path: string, timeoutMs: number, details: { blockedOn?: string; cause?: unknown; leftBehind?: string } = {}) {
    const behind = details.blockedOn ? ` (${details.blockedOn})` : '';
    super(
      'LOCK_TIMEOUT',
      `Timed out after ${timeoutMs} ms waiting for ${path}${behind}; ${details.leftBehind ?? 'our place in line was removed'}. Retry later or raise timeoutMs.`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.path = path;
    this.timeoutMs = timeoutMs;
    this.blockedOn = details.blockedOn;
  }
}

/** One ZooKeeper request got no answer within its deadline (the server may be slow or gone). */
export class OperationTimeoutError extends ZkRecipesError {
  constructor(operation: string, path: string, timeoutMs: number) {
    super(
      'OPERATION_TIMEOUT',
      `${operation} ${path} got no answer from ZooKeeper within ${timeoutMs} ms. Check the ensemble's health; the call is retried by the retry policy.`,
    );
  }
}

/** The connection to ZooKeeper is down (the session may still be alive). Retryable. */
export class ConnectionLossError extends ZkRecipesError {
  constructor(
    message = 'Lost the connection to ZooKeeper; the operation may or may not have been applied.',
    options?: { cause?: unknown },
  ) {
    super('CONNECTION_LOSS', message, options);
  }
}

/** The ZooKeeper session expired (or was declared lost): every ephemeral node of it is gone. */
export class SessionExpiredError extends ZkRecipesError {
  constructor(message = 'The ZooKeeper session expired: its ephemeral nodes (locks, leases, latches) are gone.') {
    super('SESSION_EXPIRED', message);
  }
}

/** The caller does not own what it tried to release. */
export class NotOwnerError extends ZkRecipesError {
  constructor(message: string) {
    super('NOT_OWNER', message);
  }
}

/** The lease or handle was already released. */
export class AlreadyReleasedError extends ZkRecipesError {
  constructor(what: string) {
    super('ALREADY_RELEASED', `${what} was already released; release each acquisition exactly once.`);
  }
}

/** Ownership can no longer be guaranteed (connection suspended or session lost). Used as a lease signal's reason. */
export class OwnershipLostError extends ZkRecipesError {
  /** Why: a connection state (`SUSPENDED`, `LOST`), `DELETED`, `RELEASED`, or a TTL backend's `EXPIRED` / `NOT_OWNER`. */
  readonly state: string;
  constructor(path: string, state: string, detail?: string) {
    super(
      'OWNERSHIP_LOST',
      `Ownership of ${path} can no longer be guaranteed (${detail ?? `connection ${state}`}). Stop work that relies on it.`,
    );
    this.state = state;
  }
}

/** Our own queue node disappeared while we waited (typically the session expired). */
export class NodeVanishedError extends ZkRecipesError {
  constructor(path: string) {
    super('NODE_VANISHED', `Our node ${path} disappeared while waiting (session expired or someone deleted it).`);
  }
}

/** A request that could never succeed, e.g. a reader asking for the write lock. */
export class IllegalStateError extends ZkRecipesError {
  constructor(message: string) {
    super('ILLEGAL_STATE', message);
  }
}

/** No ZooKeeper could be found or started (testing kit). */
export class ZooKeeperNotFoundError extends ZkRecipesError {
  constructor(message: string) {
    super('ZOOKEEPER_NOT_FOUND', message);
  }
}

/** ZooKeeper error codes surfaced as typed errors. */
export const ZK_ERROR_CODES = {
  [-1]: 'SYSTEM_ERROR',
  [-2]: 'RUNTIME_INCONSISTENCY',
  [-3]: 'DATA_INCONSISTENCY',
  [-4]: 'CONNECTION_LOSS',
  [-5]: 'MARSHALLING_ERROR',
  [-6]: 'UNIMPLEMENTED',
  [-7]: 'OPERATION_TIMEOUT',
  [-8]: 'BAD_ARGUMENTS',
  [-100]: 'API_ERROR',
  [-101]: 'NO_NODE',
  [-102]: 'NO_AUTH',
  [-103]: 'BAD_VERSION',
  [-108]: 'NO_CHILDREN_FOR_EPHEMERALS',
  [-110]: 'NODE_EXISTS',
  [-111]: 'NOT_EMPTY',
  [-112]: 'SESSION_EXPIRED',
  [-113]: 'INVALID_CALLBACK',
  [-114]: 'INVALID_ACL',
  [-115]: 'AUTH_FAILED',
  [-118]: 'SESSION_MOVED',
  [-121]: 'NO_WATCHER',
} as const;

/** An error answered by the ZooKeeper server for one request. */
export class ZooKeeperError extends ZkRecipesError {
  /** ZooKeeper's numeric error code (e.g. -101 for NO_NODE). */
  readonly zkCode: number;
  /** The path the request was about. */
  readonly path: string;
  constructor(code: string, zkCode: number, path: string, hint: string) {
    super(code, `ZooKeeper answered ${code} for ${path}${hint ? `: ${hint}` : ''}.`);
    this.zkCode = zkCode;
    this.path = path;
  }
}

/** The node does not exist. */
export class NoNodeError extends ZooKeeperError {
  constructor(path: string) {
    super('NO_NODE', -101, path, 'the node (or its parent) does not exist');
  }
}
/** The node already exists. */
export class NodeExistsError extends ZooKeeperError {
  constructor(path: string) {
    super('NODE_EXISTS', -110, path, 'the node already exists');
  }
}
/** The expected version did not match: someone changed the node first. */
export class BadVersionError extends ZooKeeperError {
  constructor(path: string) {
    super('BAD_VERSION', -103, path, 'the node changed since you read it; read it again and retry');
  }
}
/** The node has children and cannot be deleted. */
export class NotEmptyError extends ZooKeeperError {
  constructor(path: string) {
    super('NOT_EMPTY', -111, path, 'the node has children; delete them first');
  }
}

/** Maps a ZooKeeper numeric error code to our typed error. */
export function errorFromZkCode(zkCode: number, path: string): ZkRecipesError {
  switch (zkCode) {
    case -101:
      return new NoNodeError(path);
    case -110:
      return new NodeExistsError(path);
    case -103:
      return new BadVersionError(path);
    case -111:
      return new NotEmptyError(path);
    case -102:
      return new NoAuthError(path);
    case -115:
      return new AuthFailedError(path);
    case -4:
      return new ConnectionLossError(`Lost the connection to ZooKeeper during a request on ${path}.`);
    case -112:
      return new SessionExpiredError();
    default: {
      const name = (ZK_ERROR_CODES as Record<number, string>)[zkCode] ?? `ZK_${zkCode}`;
      return new ZooKeeperError(name, zkCode, path, '');
    }
  }
}

/** A wait for leadership ran out of time. */
export class LeadershipTimeoutError extends ZkRecipesError {
  constructor(path: string, timeoutMs: number) {
    super(
      'LEADERSHIP_TIMEOUT',
      `Not elected leader of ${path} within ${timeoutMs} ms; still a participant. Wait again or raise timeoutMs.`,
    );
  }
}

/** A wait (barrier, double barrier) ran out of time; nothing of ours was left behind. */
export class WaitTimeoutError extends ZkRecipesError {
  /** @param details `blockedOn`: what the wait was still waiting for; `cause`: the last error it met; `cleanedUp`: what was undone (default: our nodes were removed). */
  constructor(what: string, path: string, timeoutMs: number, details: { blockedOn?: string; cause?: unknown; cleanedUp?: string } = {}) {
    const behind = details.blockedOn ? ` (${details.blockedOn})` : '';
    super(
      'WAIT_TIMEOUT',
      `${what} on ${path} did not complete within ${timeoutMs} ms${behind}; ${details.cleanedUp ?? 'our nodes were removed'}. Retry or raise timeoutMs.`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
  }
}

/** Node data is not in the format a recipe expects (e.g. a counter that is not 4 or 8 bytes). */
export class CorruptDataError extends ZkRecipesError {
  constructor(path: string, expected: string, got: number) {
    super('CORRUPT_DATA', `${path} holds ${got} bytes; expected ${expected}. Another program wrote it, or it is not this recipe's node.`);
  }
}

/** The recipe (latch, selector, ...) was closed while a call waited on it. */
export class RecipeClosedError extends ZkRecipesError {
  constructor(what: string) {
    super('RECIPE_CLOSED', `${what} was closed while this call waited. Create a new one to take part again.`);
  }
}

/** The server does not speak a request this call needs (it answered UNIMPLEMENTED: an older ZooKeeper). */
export class UnsupportedByServerError extends ZkRecipesError {
  constructor(what: string, hint: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED_BY_SERVER', `The ZooKeeper server does not support ${what}. ${hint}`, options);
  }
}

/** A cache would hold more nodes than its `maxNodes` allows. */
export class CacheFullError extends ZkRecipesError {
  /** The node that was not cached. */
  readonly path: string;
  constructor(root: string, maxNodes: number, path: string) {
    super(
      'CACHE_FULL',
      `The cache of ${root} holds its maximum of ${maxNodes} nodes: ${path} was not cached. ` +
        'Raise maxNodes, cache a smaller subtree, or leave nodes out with a filter.',
    );
    this.path = path;
  }
}

/** The session's credentials do not allow this operation on this node (ZooKeeper's NO_AUTH). */
export class NoAuthError extends ZooKeeperError {
  constructor(path: string) {
    super('NO_AUTH', -102, path, "this session's credentials are not allowed that on the node (its ACL); pass auth: [...] to the ZkClient");
  }
}

/** The server refused the client's credentials (AUTH_FAILED): the client is closed, not retried. */
export class AuthFailedError extends ZkRecipesError {
  constructor(detail = '') {
    super(
      'AUTH_FAILED',
      `ZooKeeper refused this client's credentials${detail ? ` (${detail})` : ''}; the client is closed. Check the auth option (scheme and credentials) and create a new client.`,
    );
  }
}

/** The TLS connection failed in a way a retry cannot cure (e.g. a certificate the client does not trust): the client is closed. */
export class TlsError extends ZkRecipesError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      'TLS_FAILED',
      `TLS to ZooKeeper failed: ${detail}. The client is closed. Check tls.ca (the server's CA), tls.servername and the server's certificate.`,
      options,
    );
  }
}

// A digest id is `user:hash`: the user says enough, the hash stays out of logs.
/** An ACL entry as the errors print it (ZooKeeper's `Acl`). */
type AclEntry = { readonly scheme: string; readonly id: string; readonly permissions: number };

const describeAcl = (acl: readonly AclEntry[]) =>
  `[${acl.map((a) => `${a.scheme}:${a.scheme === 'digest' ? `${a.id.split(':')[0]}:…` : a.id}:${a.permissions}`).join(', ')}]`;

/** A recipe parent (or a node under it) carries an ACL other than the client's aclProvider gives, and it could not be repaired. */
export class AclMismatchError extends ZkRecipesError {
  readonly path: string;
  constructor(
    path: string,
    found: readonly { readonly scheme: string; readonly id: string; readonly permissions: number }[],
    expected: readonly { readonly scheme: string; readonly id: string; readonly permissions: number }[],
    why: string,
  ) {
    super(
      'ACL_MISMATCH',
      `${path} exists with ACL ${describeAcl(found)}, not the ${describeAcl(expected)} your aclProvider gives: someone without your credentials may have made it (for example after the server reaped an empty container). ${why} Delete it as an administrator, and keep recipe paths under a namespace whose root carries your ACL so nobody else can re-create them.`,
    );
    this.path = path;
  }
}
