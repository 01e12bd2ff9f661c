/**
 * Issue 15 (part): Curator 5.4 and zk-recipes on an authenticated path — both sides use digest
 * credentials and give every node an ACL for that user alone. They share one mutex in both
 * directions; a client without the credentials can delete neither side's held node.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Acls, InterProcessMutex, NoAuthError } from '../../recipes/index.js';
import { TestNamespace } from '../../src/testing/index.js';
import { SUPER_PASSWORD } from '../support/global-setup.js';
import { eventually } from '../support/locks.js';
import { sharedConnectString } from '../support/zk.js';
import { CuratorPeer, interopUnavailableReason } from './curator-peer.js';

const unavailable = interopUnavailableReason();
const skip = (unavailable !== undefined && !process.env.CI) || process.env.ZK_CONNECT_STRING !== undefined;

const OPS = { auth: [{ scheme: 'digest', credentials: 'ops:pw' }], aclProvider: { defaultAcl: [Acls.digest('ops', 'pw')] } };

describe.skipIf(skip)('interop with Curator 5.4, both sides authenticated (real server)', () => {
  let ns: TestNamespace;
  let peer: CuratorPeer | undefined;
  beforeEach(() => {
    ns = new TestNamespace(sharedConnectString(), undefined, [{ scheme: 'digest', credentials: `super:${SUPER_PASSWORD}` }]);
  });
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
    await ns.cleanup();
  });

  it('a digest-ACL mutex is shared both ways; an unauthenticated client deletes neither holder', async () => {
    const client = await ns.client(OPS);
    const intruder = await ns.client();
    peer = await CuratorPeer.start(ns.connectString, ns.namespace, 'ops:pw');
    const java = peer;
    const mutex = new InterProcessMutex(client, '/lock');
    const held = await mutex.acquire();
    expect((await client.getAcl(held.nodePath))[0]?.id).toBe(Acls.digest('ops', 'pw').id);
    await expect(intruder.delete(held.nodePath)).rejects.toBeInstanceOf(NoAuthError);
    const javaWaits = java.request('j', 'mutex-acquire', '/lock');
    await eventually(async () => (await mutex.getParticipantNodes()).length === 2, 10_000, 'Java queued');
    await held.release();
    expect((await javaWaits).acquired).toBe(true);
    const [javaNode] = await mutex.getParticipantNodes();
    expect((await client.getAcl(javaNode as string))[0]?.id).toBe(Acls.digest('ops', 'pw').id); // Curator's node, same ACL
    await expect(intruder.delete(javaNode as string)).rejects.toBeInstanceOf(NoAuthError);
    const tsWaits = mutex.acquire({ timeoutMs: 20_000 });
    await eventually(async () => (await mutex.getParticipantNodes()).length === 2, 10_000, 'TS queued');
    await java.request('j', 'mutex-release');
    await (await tsWaits).release();
  });
});
