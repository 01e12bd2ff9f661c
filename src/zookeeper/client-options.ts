/**
 * The options of a ZkClient and their validation (before anything is sent).
 */
import type { ConnectionOptions } from 'node:tls';
import { type AclProvider, type AuthInfo, checkAcl, checkAuth, OPEN_ACL_PROVIDER } from './acl.js';
import type { ErrorPolicy } from './connection-state.js';
import { checkLogger, type Logger, SILENT_LOGGER } from '../core/diagnostics.js';
import { InvalidArgumentError } from '../core/errors.js';
import { checkTimeoutMs } from '../core/limits.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../core/options.js';
import { validatePath } from './paths.js';
import { type RetryPolicy, resolveRetryPolicy } from './retry.js';

/** Options of {@link ZkClient}. */
export interface ZkClientOptions {
  /**
   * `host:port[,host:port...]` — host names or IPv4 addresses, each with its port (ZooKeeper's
   * default client port is 2181). Use `namespace` for a chroot, not a `/path` suffix.
   */
  readonly connectString: string;
  /** Requested session timeout; the server negotiates it into [2, 20] ticks. @default 30000 */
  readonly sessionTimeoutMs?: number;
  /** How long an operation waits for a connection before failing with CONNECTION_LOSS. @default 15000 */
  readonly connectionTimeoutMs?: number;
  /** Deadline of one request attempt. @default 10000 */
  readonly operationTimeoutMs?: number;
  /** A chroot prepended to every path, e.g. `/my-app`; created on first use. */
  readonly namespace?: string;
  /** Retry policy for transient errors. */
  readonly retry?: Partial<RetryPolicy>;
  /** When held locks and leadership count as lost. @default 'standard' */
  readonly errorPolicy?: ErrorPolicy;
  /** Where the client and its recipes log. @default silent */
  readonly logger?: Logger;
  /**
   * Credentials sent on every connection of every session (`addauth`), e.g.
   * `[{ scheme: 'digest', credentials: 'alice:secret' }]`. Refused credentials close the client
   * with {@link AuthFailedError}; they are not retried.
   */
  readonly auth?: readonly AuthInfo[];
  /**
   * The ACL of every node created without an explicit `acl` — by the client and by every recipe
   * (lock and lease nodes, parents, latch and barrier nodes, counters). @default open to anyone
   */
  readonly aclProvider?: AclProvider;
  /**
   * Speak TLS to the servers' `secureClientPort` (the ports in `connectString`): `ca` to trust,
   * `cert`+`key` (or `pfx`) for mutual TLS, as for `tls.connect`. A certificate the client does not
   * trust closes the client with {@link TlsError} at once.
   */
  readonly tls?: ZkTlsOptions;
}

/** TLS options of {@link ZkClient}: the `tls.connect` options that matter for a ZooKeeper client. */
export type ZkTlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'servername' | 'rejectUnauthorized'>;

/** The options with defaults filled in. */
export type Resolved = Required<Omit<ZkClientOptions, 'namespace' | 'retry' | 'logger' | 'auth' | 'aclProvider' | 'tls'>> & {
  tls: ZkTlsOptions | undefined;
  namespace: string;
  retry: RetryPolicy;
  logger: Logger;
  auth: readonly AuthInfo[];
  aclProvider: AclProvider;
};

const CLIENT_OPTION_KEYS: OptionKeys<ZkClientOptions> = {
  connectString: true,
  sessionTimeoutMs: true,
  connectionTimeoutMs: true,
  operationTimeoutMs: true,
  namespace: true,
  retry: true,
  errorPolicy: true,
  logger: true,
  auth: true,
  aclProvider: true,
  tls: true,
};

const TLS_OPTION_KEYS: OptionKeys<ZkTlsOptions> = {
  ca: true,
  cert: true,
  key: true,
  pfx: true,
  passphrase: true,
  servername: true,
  rejectUnauthorized: true,
};

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checks `host:port[,host:port...]` before any attempt, with an error that says what to write instead. */
export function checkConnectString(value: unknown): string {
  const format = 'connectString must be "host:port[,host:port...]" (e.g. "127.0.0.1:2181" or "zk1:2181,zk2:2181,zk3:2181")';
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidArgumentError(`${format}, got ${describeValue(value)}.`);
  const url = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (url) throw new InvalidArgumentError(`${format}, not a URL: drop the "${url[1]}://" from ${JSON.stringify(value)}.`);
  if (value.includes('/')) {
    throw new InvalidArgumentError(`connectString ${JSON.stringify(value)} has a chroot; pass it as the namespace option instead.`);
  }
  for (const entry of value.split(',')) {
    const m = /^\s*([^:\s]*)(?::(\d*))?\s*$/.exec(entry);
    const host = m?.[1] ?? '';
    const port = m?.[2];
    if (!m || !HOST.test(host))
      throw new InvalidArgumentError(`${format}: ${JSON.stringify(entry.trim())} is not a host name or IPv4 address with a port.`);
    if (port === undefined || port === '')
      throw new InvalidArgumentError(`${format}: ${JSON.stringify(entry.trim())} has no port (ZooKeeper's default is ${host}:2181).`);
    const n = Number(port);
    if (n < 1 || n > 65_535) throw new InvalidArgumentError(`${format}: port ${port} of ${JSON.stringify(entry.trim())} is out of range.`);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : checkTimeoutMs(name, value, 1);
}

/**
 * Validates an optional per-call timeout (an integer from 0 to 2^31−1 ms: Node's timer range);
 * `whenLeftOut` says what leaving it out means.
 */
export function validateTimeout(name: string, value: unknown, whenLeftOut: string): number | undefined {
  return value === undefined ? undefined : checkTimeoutMs(name, value, 0, whenLeftOut);
}

function resolveAclProvider(provider: AclProvider | undefined): AclProvider {
  if (provider === undefined) return OPEN_ACL_PROVIDER;
  if (!provider || typeof provider !== 'object') throw new InvalidArgumentError('aclProvider must be { defaultAcl, forPath? }.');
  checkAcl(provider.defaultAcl, 'aclProvider.defaultAcl');
  if (provider.forPath !== undefined && typeof provider.forPath !== 'function')
    throw new InvalidArgumentError('aclProvider.forPath must be a function.');
  return provider;
}

function resolveTls(tls: ZkTlsOptions | undefined): ZkTlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (!tls || typeof tls !== 'object') throw new InvalidArgumentError('tls must be an object like { ca, cert?, key? }.');
  checkOptionKeys('tls', tls, TLS_OPTION_KEYS);
  return { ...tls };
}

export function resolveOptions(options: ZkClientOptions): Resolved {
  if (!options || typeof options !== 'object')
    throw new InvalidArgumentError('ZkClient needs options like { connectString: "127.0.0.1:2181" }.');
  checkOptionKeys('ZkClient options', options, CLIENT_OPTION_KEYS);
  checkConnectString(options.connectString);
  const errorPolicy = options.errorPolicy ?? 'standard';
  if (errorPolicy !== 'standard' && errorPolicy !== 'session') {
    throw new InvalidArgumentError(`errorPolicy must be 'standard' or 'session', got ${describeValue(errorPolicy)}.`);
  }
  const namespace = options.namespace === undefined || options.namespace === '/' ? '' : validatePath(options.namespace);
  return {
    connectString: options.connectString,
    sessionTimeoutMs: positive('sessionTimeoutMs', options.sessionTimeoutMs, 30_000),
    connectionTimeoutMs: positive('connectionTimeoutMs', options.connectionTimeoutMs, 15_000),
    operationTimeoutMs: positive('operationTimeoutMs', options.operationTimeoutMs, 10_000),
    namespace,
    retry: resolveRetryPolicy(options.retry),
    errorPolicy,
    logger: options.logger === undefined ? SILENT_LOGGER : checkLogger(options.logger),
    auth: checkAuth(options.auth),
    aclProvider: resolveAclProvider(options.aclProvider),
    tls: resolveTls(options.tls),
  };
}
