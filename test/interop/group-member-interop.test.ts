/**
 * GroupMember interop with Apache Curator 5.4 (Debian's jars) on one real server: the same
 * layout (`<group>/<id>`, EPHEMERAL, the member's data), so a Curator GroupMember sees our
 * members and we see its — joins, data changes and leaves.
 */
import { describe, expect, it } from 'vitest';
import { GroupMember } from '../../recipes/index.js';
import { eventually } from '../support/locks.js';
import { interopUnavailableReason, useCuratorPeers } from './curator-peer.js';

const unavailable = interopUnavailableReason();
const skip = unavailable !== undefined && !process.env.CI;

describe.skipIf(skip)('GroupMember interop with Curator 5.4 (real server)', () => {
  const { ns, peer } = useCuratorPeers();

  it('a Curator member and ours see each other, their data, its changes, and leaving', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await java.request('g', 'group-join', '/workers', 'java-1', 'jvm-host');
    await using ours = new GroupMember(client, '/workers', 'node-1', Buffer.from('node-host'));
    await ours.start({ timeoutMs: 10_000 });
    const view = () => Object.fromEntries([...ours.members()].map(([id, data]) => [id, data.toString()]));
    await eventually(() => 'java-1' in view(), 10_000, 'we see the Curator member');
    expect(view()).toEqual({ 'java-1': 'jvm-host', 'node-1': 'node-host' });
    await eventually(
      async () =>
        JSON.stringify((await java.request('g', 'group-members')).nodes) === JSON.stringify(['java-1=jvm-host', 'node-1=node-host']),
      10_000,
      'Curator sees our member',
    );
    await ours.setData(Buffer.from('node-host-2'));
    await java.request('g', 'group-set', 'jvm-host-2');
    await eventually(() => view()['java-1'] === 'jvm-host-2', 10_000, 'we see its data change');
    await eventually(
      async () => ((await java.request('g', 'group-members')).nodes ?? []).includes('node-1=node-host-2'),
      10_000,
      'Curator sees our data change',
    );
    await java.request('g', 'group-close');
    await eventually(() => !('java-1' in view()), 10_000, 'we see it leave');
  });
});
