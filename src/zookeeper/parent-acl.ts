/**
 * A recipe parent whose ACL is not ours is never silently adopted. Container parents are reaped
 * by the server once empty; anyone may then make the path again (with no namespace, or under an
 * open one) with an ACL that lets them delete our held node or plant one that blocks everyone.
 * With an aclProvider, the first join under each incarnation of a parent (its czxid, and the
 * version of its ACL) compares the parent's ACL with the provider's: repaired when we may, else
 * refused with a typed error. One getAcl per incarnation: nothing on the hot path.
 */
import type { ZkClient } from './client.js';
import { AclMismatchError, NoAuthError, NoNodeError } from '../core/errors.js';
import { joinPath } from './paths.js';
import { type Acl, Permission, type Stat } from './types.js';

const isOpen = (acl: readonly Acl[]) =>
  acl.length === 1 && acl[0]?.scheme === 'world' && acl[0].id === 'anyone' && acl[0].permissions === Permission.ALL;

/**
 * True when `found` grants nothing `expected` does not. An `auth` entry (whoever created it) is
 * expanded by the server into the creator's ids, which we cannot know here: then any grant to
 * `world` or `ip` beyond the provider's counts as foreign.
 */
export function aclMatches(found: readonly Acl[], expected: readonly Acl[]): boolean {
  const key = (a: Acl) => `${a.scheme}\u0000${a.id}\u0000${a.permissions}`;
  const wanted = new Set(expected.map(key));
  if (expected.some((a) => a.scheme === 'auth')) {
    return found.every((a) => wanted.has(key(a)) || (a.scheme !== 'world' && a.scheme !== 'ip'));
  }
  return found.length === wanted.size && found.every((a) => wanted.has(key(a)));
}

/** Remembers which incarnation of one parent was found (or made) with our ACL. */
export class ParentAclGuard {
  readonly #client: ZkClient;
  readonly #path: string;
  #trusted: string | undefined;
  /** The provider's ACL for the parent (the provider and the path are fixed: asked once). */
  #expected: readonly Acl[] | undefined;

  constructor(client: ZkClient, path: string) {
    this.#client = client;
    this.#path = path;
  }

  /** Checks the parent whose stat a listing returned (undefined: look it up); repairs or throws. `ours` is our own node's name. */
  async check(parentStat: Stat | undefined, ours: string, signal?: AbortSignal): Promise<void> {
    this.#expected ??= this.#client.aclFor(this.#path);
    const expected = this.#expected;
    if (isOpen(expected)) return; // no aclProvider: every node is open anyway
    const incarnation = parentStat ? `${parentStat.czxid}/${parentStat.aversion}` : undefined;
    if (incarnation !== undefined && incarnation === this.#trusted) return;
    let found: Acl[];
    try {
      found = await this.#client.getAcl(this.#path, { signal });
    } catch (error) {
      if (error instanceof NoNodeError) return; // gone again: the next join looks at the next one
      throw error;
    }
    if (aclMatches(found, expected)) {
      this.#trusted = incarnation;
      return;
    }
    try {
      const stat = await this.#client.setAcl(this.#path, expected, { signal });
      // Children made while the parent was open may be planted: refuse any that is not ours.
      await this.#checkChildren(ours, signal);
      this.#trusted = `${stat.czxid}/${stat.aversion}`;
    } catch (error) {
      if (error instanceof AclMismatchError) throw error;
      if (error instanceof NoAuthError)
        throw new AclMismatchError(
          this.#path,
          found,
          expected,
          'This session may not change its ACL (no ADMIN permission), so it was refused.',
        );
      throw error;
    }
  }

  async #checkChildren(ours: string, signal: AbortSignal | undefined): Promise<void> {
    const { children } = await this.#client.getChildren(this.#path, { signal });
    for (const child of children) {
      if (child === ours) continue;
      const path = joinPath(this.#path, child);
      const acl = await this.#client.getAcl(path, { signal }).catch((error: unknown) => {
        if (error instanceof NoNodeError) return undefined;
        throw error;
      });
      const expected = this.#client.aclFor(path);
      if (acl && !aclMatches(acl, expected)) {
        throw new AclMismatchError(
          path,
          acl,
          expected,
          `Its parent ${this.#path} had a foreign ACL (now repaired); this node under it is refused, not waited for.`,
        );
      }
    }
  }
}
