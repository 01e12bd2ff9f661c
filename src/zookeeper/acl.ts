/**
 * ACL helpers (ZooKeeper's schemes) and the ACL provider every node the core and the recipes
 * create goes through (Curator's ACLProvider idea: a default ACL, optionally per path).
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { type Acl, OPEN_ACL_UNSAFE, Permission } from './types.js';

/** Chooses the ACL of every node the client creates without an explicit `acl` option. */
export interface AclProvider {
  /** The ACL of nodes `forPath` says nothing about. */
  readonly defaultAcl: readonly Acl[];
  /** The ACL of one path (relative to the client's namespace), or undefined for the default. */
  forPath?(path: string): readonly Acl[] | undefined;
}

/** Credentials sent on every connection of a session (ZooKeeper's `addauth`), e.g. `{ scheme: 'digest', credentials: 'user:password' }`. */
export interface AuthInfo {
  readonly scheme: string;
  readonly credentials: string | Buffer;
}

/** The id ZooKeeper's digest scheme gives `user` with `password`: `user:base64(sha1("user:password"))`. */
export function digestId(user: string, password: string): string {
  if (typeof user !== 'string' || user === '' || user.includes(':'))
    throw new InvalidArgumentError('user must be a non-empty string without ":".');
  if (typeof password !== 'string') throw new InvalidArgumentError('password must be a string.');
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** ACL entries for ZooKeeper's schemes. `permissions` is a bitwise OR of {@link Permission} values. */
export const Acls = {
  /** Anyone (scheme `world`, id `anyone`). */
  world: (permissions: number = Permission.ALL): Acl => ({ permissions, scheme: 'world', id: 'anyone' }),
  /** Whoever is authenticated on the creating session (scheme `auth`): Curator's CREATOR_ALL_ACL. */
  creator: (permissions: number = Permission.ALL): Acl => ({ permissions, scheme: 'auth', id: '' }),
  /** A digest user (scheme `digest`), the hash computed here. */
  digest: (user: string, password: string, permissions: number = Permission.ALL): Acl => ({
    permissions,
    scheme: 'digest',
    id: digestId(user, password),
  }),
  /** A client address or CIDR range (scheme `ip`). */
  ip: (address: string, permissions: number = Permission.ALL): Acl => ({ permissions, scheme: 'ip', id: address }),
  /** A client certificate's subject (scheme `x509`, over TLS). */
  x509: (subject: string, permissions: number = Permission.ALL): Acl => ({ permissions, scheme: 'x509', id: subject }),
} as const;

/** The provider used when none is given: every node open to anyone (ZooKeeper's OPEN_ACL_UNSAFE). */
export const OPEN_ACL_PROVIDER: AclProvider = Object.freeze({ defaultAcl: OPEN_ACL_UNSAFE });

/** Validates an ACL list (non-empty, well-formed entries). */
export function checkAcl(acl: unknown, what = 'acl'): readonly Acl[] {
  if (!Array.isArray(acl) || acl.length === 0)
    throw new InvalidArgumentError(`${what} must be a non-empty array of { permissions, scheme, id }.`);
  for (const entry of acl as Acl[]) {
    if (!entry || typeof entry.scheme !== 'string' || typeof entry.id !== 'string' || !Number.isInteger(entry.permissions)) {
      throw new InvalidArgumentError(`${what} entries must be { permissions: integer, scheme: string, id: string }.`);
    }
  }
  return acl as readonly Acl[];
}

/** Validates the client's `auth` option. */
export function checkAuth(auth: unknown): readonly AuthInfo[] {
  if (auth === undefined) return [];
  if (!Array.isArray(auth))
    throw new InvalidArgumentError("auth must be an array like [{ scheme: 'digest', credentials: 'user:password' }].");
  for (const entry of auth as AuthInfo[]) {
    if (
      !entry ||
      typeof entry.scheme !== 'string' ||
      entry.scheme === '' ||
      !(typeof entry.credentials === 'string' || Buffer.isBuffer(entry.credentials))
    ) {
      throw new InvalidArgumentError('each auth entry must be { scheme: non-empty string, credentials: string | Buffer }.');
    }
  }
  return auth as readonly AuthInfo[];
}
