/** ACL helpers and the auth/aclProvider options: pure logic and validation (no server). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Acls, digestId, InvalidArgumentError, Permission, ZkClient } from '../../src/index.js';

const cs = '127.0.0.1:1';

describe('ACL helpers', () => {
  it("digestId is ZooKeeper's digest: user:base64(sha1('user:password'))", () => {
    const expected = createHash('sha1').update('alice:secret').digest('base64');
    expect(digestId('alice', 'secret')).toBe(`alice:${expected}`);
    expect(Acls.digest('alice', 'secret', Permission.READ)).toEqual({ permissions: 1, scheme: 'digest', id: `alice:${expected}` });
    expect(() => digestId('a:b', 'x')).toThrow(InvalidArgumentError);
  });

  it('scheme helpers', () => {
    expect(Acls.world()).toEqual({ permissions: 31, scheme: 'world', id: 'anyone' });
    expect(Acls.creator()).toEqual({ permissions: 31, scheme: 'auth', id: '' });
    expect(Acls.ip('10.0.0.0/8', Permission.READ)).toEqual({ permissions: 1, scheme: 'ip', id: '10.0.0.0/8' });
    expect(Acls.x509('CN=worker').scheme).toBe('x509');
  });

  it.each([
    [{ auth: 'alice:secret' }],
    [{ auth: [{ scheme: '', credentials: 'x' }] }],
    [{ auth: [{ scheme: 'digest', credentials: 5 }] }],
    [{ aclProvider: { defaultAcl: [] } }],
    [{ aclProvider: { defaultAcl: [{ scheme: 'world' }] } }],
    [{ aclProvider: { defaultAcl: [Acls.world()], forPath: 'x' } }],
  ])('rejects client options %j before anything is sent', (options) => {
    expect(() => new ZkClient({ connectString: cs, ...(options as object) })).toThrow(InvalidArgumentError);
  });
});
