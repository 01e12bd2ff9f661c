/** Which parent ACLs count as ours (the reaped-parent guard, issue 23 item 12). Pure logic. */
import { describe, expect, it } from 'vitest';
import { Acls, Permission } from '../../recipes/index.js';
import { aclMatches } from '../../src/zookeeper/parent-acl.js';

describe('aclMatches', () => {
  const alice = Acls.digest('alice', 'secret');
  it('the same entries in any order match; a world grant or a missing entry does not', () => {
    const bob = Acls.digest('bob', 'pw', Permission.READ);
    expect(aclMatches([bob, alice], [alice, bob])).toBe(true);
    expect(aclMatches([Acls.world()], [alice])).toBe(false);
    expect(aclMatches([alice, Acls.world(Permission.READ)], [alice])).toBe(false);
    expect(aclMatches([alice], [alice, bob])).toBe(false);
    expect(aclMatches([{ ...alice, permissions: Permission.READ }], [alice])).toBe(false);
  });
  it("with an `auth` (creator) entry the server's expansion is accepted, but not a grant to world or an address", () => {
    const creator = [Acls.creator()];
    expect(aclMatches([alice], creator)).toBe(true);
    expect(aclMatches([Acls.x509('CN=client')], creator)).toBe(true);
    expect(aclMatches([Acls.world()], creator)).toBe(false);
    expect(aclMatches([alice, Acls.ip('10.0.0.0/8')], creator)).toBe(false);
  });
});
