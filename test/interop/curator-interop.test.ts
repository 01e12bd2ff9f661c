/**
 * Wire compatibility with Apache Curator 5.4 (Debian's libcurator-recipes-java): Curator
 * participants (CuratorPeer.java, separate JVMs and sessions) and zk-recipes participants
 * contend for the same paths on one real server.
 * Outside CI these skip with a one-line reason when Java or Curator is missing; under CI=true
 * they run (and fail if the tools are missing).
 */
import { describe, expect, it } from 'vitest';
import {
  DistributedAtomicLong,
  DistributedBarrier,
  InterProcessMutex,
  InterProcessReadWriteLock,
  InterProcessSemaphoreV2,
  LeaderLatch,
  LeaderSelector,
  revoke,
  SharedCount,
  type ZkClient,
} from '../../recipes/index.js';
import { eventually } from '../support/locks.js';
import { interopUnavailableReason, useCuratorPeers } from './curator-peer.js';

const unavailable = interopUnavailableReason();
const skip = unavailable !== undefined && !process.env.CI;
if (skip) console.warn(`interop tests skipped: ${unavailable}`);

const PROTECTED = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-/;

/** Records hold intervals of every contender; a recorded overlap is a real one (see note). */
class HoldLog {
  inside = 0;
  maxInside = 0;
  readonly holders: string[] = [];
  enter(node: string): void {
    this.inside++;
    this.maxInside = Math.max(this.maxInside, this.inside);
    this.holders.push(node);
  }
  exit(): void {
    this.inside--;
  }
}
// Note: a Java hold is recorded from its acquire reply to just before its release request, which
// lies inside the real hold; so any overlap recorded here really happened.

describe.skipIf(skip)('interop with Curator 5.4 (real server)', () => {
  const { ns, peer } = useCuratorPeers();

  async function tree(client: ZkClient, path: string): Promise<{ name: string; data: string }[]> {
    const { children } = await client.getChildren(path);
    return Promise.all(children.map(async (name) => ({ name, data: (await client.getData(`${path}/${name}`)).data.toString() })));
  }

  it('mutex: TS holds → Java waits → TS releases → Java gets it, and the reverse', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    const mutex = new InterProcessMutex(client, '/lock');
    const held = await mutex.acquire();
    expect((await java.request('j', 'mutex-acquire', '/lock', 300)).acquired).toBe(false);
    const javaWaits = java.request('j', 'mutex-acquire', '/lock');
    await eventually(async () => (await mutex.getParticipantNodes()).length === 2, 10_000, 'Java queued');
    await held.release();
    expect((await javaWaits).acquired).toBe(true);
    // Reverse: Java holds, TS waits.
    const tsWaits = mutex.acquire({ timeoutMs: 20_000 });
    await eventually(async () => (await mutex.getParticipantNodes()).length === 2, 10_000, 'TS queued');
    await java.request('j', 'mutex-release');
    await (await tsWaits).release();
    expect(await mutex.getParticipantNodes()).toEqual([]);
  });

  it('mutex: 2 Curator + 2 zk-recipes contenders × 50 rounds — never two holders, served in node order', async () => {
    const javas = [await peer(), await peer()];
    const clients = [await ns().client(), await ns().client()];
    const log = new HoldLog();
    const javaLoops = javas.map(async (java, i) => {
      for (let round = 0; round < 50; round++) {
        await java.request(`j${i}`, 'mutex-acquire', '/lock');
        const [holder] = (await java.request(`j${i}`, 'participants', '/lock')).nodes ?? [];
        const stat = holder ? await clients[0]!.exists(holder) : null;
        log.enter(String(stat?.czxid ?? -1n));
        await new Promise((r) => setTimeout(r, Math.random() * 2));
        log.exit();
        await java.request(`j${i}`, 'mutex-release');
      }
    });
    const tsLoops = clients.map(async (client) => {
      const mutex = new InterProcessMutex(client, '/lock');
      for (let round = 0; round < 50; round++) {
        await mutex.using(async (lease) => {
          log.enter(String(await lease.fencingToken()));
          await new Promise((r) => setTimeout(r, Math.random() * 2));
          log.exit();
        });
      }
    });
    await Promise.all([...javaLoops, ...tsLoops]);
    expect(log.maxInside).toBe(1);
    expect(log.holders).toHaveLength(200);
    // Served in node order: each holder's node was created after the previous holder's (creation
    // zxids grow; sequence numbers restart when an idle queue's parent is deleted and re-created).
    const created = log.holders.map((z) => BigInt(z));
    for (let i = 1; i < created.length; i++) expect(created[i]!).toBeGreaterThan(created[i - 1]!);
  });

  it("both sides list the same participants in the same order, and the nodes follow Curator's layout", async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    const mutex = new InterProcessMutex(client, '/lock');
    const held = await mutex.acquire();
    const javaWaits = java.request('j', 'mutex-acquire', '/lock');
    await eventually(async () => (await mutex.getParticipantNodes()).length === 2, 10_000, 'Java queued');
    const tsWaits = new InterProcessMutex(await ns().client(), '/lock').acquire();
    await eventually(async () => (await mutex.getParticipantNodes()).length === 3, 10_000, 'TS queued');
    const ours = await mutex.getParticipantNodes();
    const theirs = (await java.request('p', 'participants', '/lock')).nodes;
    expect(theirs).toEqual(ours);
    expect(ours[0]).toBe(held.nodePath);
    for (const { name, data } of await tree(client, '/lock')) {
      expect(name).toMatch(PROTECTED);
      expect(name).toMatch(/-lock-\d{10}$/);
      expect(data).toMatch(/^\d+\.\d+\.\d+\.\d+$/); // both sides write the host address (Curator's default data)
    }
    await held.release();
    expect((await javaWaits).acquired).toBe(true);
    await java.request('j', 'mutex-release');
    await (await tsWaits).release();
  });

  it('read-write lock: readers of both sides share; a writer of either side excludes the other’s readers', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    const rw = new InterProcessReadWriteLock(client, '/rw');
    // Shared reads across languages.
    const ourRead = await rw.readLock().acquire();
    expect((await java.request('r', 'rw-read', '/rw', 5000)).acquired).toBe(true);
    await ourRead.release();
    // A Java reader blocks our writer; our writer gets in when it leaves.
    expect(await rw.writeLock().tryAcquire()).toBeNull();
    const ourWrite = rw.writeLock().acquire({ timeoutMs: 20_000 });
    await eventually(async () => (await rw.writeLock().getParticipantNodes()).length === 1, 10_000, 'our writer queued');
    await java.request('r', 'rw-read-release');
    const write = await ourWrite;
    // Our writer blocks a Java reader.
    expect((await java.request('r', 'rw-read', '/rw', 300)).acquired).toBe(false);
    await write.release();
    expect((await java.request('r', 'rw-read', '/rw', 5000)).acquired).toBe(true);
    await java.request('r', 'rw-read-release');
    // A Java writer blocks our reader.
    expect((await java.request('w', 'rw-write', '/rw', 5000)).acquired).toBe(true);
    expect(await rw.readLock().tryAcquire()).toBeNull();
    await java.request('w', 'rw-write-release');
    const read = await rw.readLock().acquire({ timeoutMs: 5000 });
    await read.release();
  });

  it('read-write lock: a Curator downgrade (write → read, then write released) is handled', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    const rw = new InterProcessReadWriteLock(client, '/rw');
    expect((await java.request('d', 'rw-write', '/rw', 5000)).acquired).toBe(true);
    expect((await java.request('d', 'rw-read', '/rw', 5000)).acquired).toBe(true); // downgrade, same thread
    expect(await rw.readLock().tryAcquire()).toBeNull(); // the Java writer still holds
    expect(await rw.writeLock().tryAcquire()).toBeNull();
    await java.request('d', 'rw-write-release');
    // Only the downgraded Java read node is left (5.4.0 makes it sequential, after the writer's).
    const names = (await tree(client, '/rw')).map((n) => n.name);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(new RegExp(`${PROTECTED.source}__READ__\\d{10}$`));
    // Our reader shares with it; our writer waits for it.
    const read = await rw.readLock().acquire({ timeoutMs: 5000 });
    await read.release();
    expect(await rw.writeLock().tryAcquire()).toBeNull();
    const ourWriter = rw.writeLock().acquire({ timeoutMs: 20_000 });
    await java.request('d', 'rw-read-release');
    await (await ourWriter).release();
  });

  it('semaphore: 2 Curator + 2 zk-recipes clients with maxLeases 2 never exceed 2 holders', async () => {
    const javas = [await peer(), await peer()];
    const clients = [await ns().client(), await ns().client()];
    const log = new HoldLog();
    const javaLoops = javas.map(async (java, i) => {
      for (let round = 0; round < 15; round++) {
        await java.request(`s${i}`, 'sem-acquire', '/sem', 2);
        log.enter(`java${i}`);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        log.exit();
        await java.request(`s${i}`, 'sem-release');
      }
    });
    const tsLoops = clients.map(async (client, i) => {
      const semaphore = new InterProcessSemaphoreV2(client, '/sem', { maxLeases: 2 });
      for (let round = 0; round < 15; round++) {
        await semaphore.using(async () => {
          log.enter(`ts${i}`);
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          log.exit();
        });
      }
    });
    await Promise.all([...javaLoops, ...tsLoops]);
    expect(log.maxInside).toBeLessThanOrEqual(2);
    expect(log.holders).toHaveLength(60);
    // Deterministic share check: one Java lease + one of ours fill it; a third waits.
    await javas[0]!.request('s0', 'sem-acquire', '/sem', 2);
    const semaphore = new InterProcessSemaphoreV2(clients[0]!, '/sem', { maxLeases: 2 });
    const [ours] = await semaphore.acquire({ timeoutMs: 5000 });
    expect((await javas[1]!.request('s1', 'sem-acquire', '/sem', 2, 300)).acquired).toBe(false);
    const names = await clients[0]!.getChildren('/sem/leases');
    for (const name of names.children) expect(name).toMatch(new RegExp(`${PROTECTED.source}lease-\\d{10}$`));
    await ours!.release();
    await javas[0]!.request('s0', 'sem-release');
  });

  it('leader latch: mixed participants elect one leader, agree on it, and hand over across languages', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await java.request('l', 'latch-start', '/election', 'java-1');
    expect((await java.request('l', 'latch-await', 10_000)).leader).toBe(true);
    const ours = new LeaderLatch(client, '/election', { id: 'ts-1' });
    await ours.start();
    await eventually(async () => (await ours.getParticipants()).length === 2, 10_000, 'both joined');
    expect(ours.hasLeadership()).toBe(false);
    const javaView = (await java.request('l', 'latch-participants')).participants;
    const ourView = (await ours.getParticipants()).map((p) => ({ id: p.id, isLeader: p.isLeader }));
    expect(ourView).toEqual([
      { id: 'java-1', isLeader: true },
      { id: 'ts-1', isLeader: false },
    ]);
    expect(javaView).toEqual(ourView);
    for (const { name, data } of await tree(client, '/election')) {
      expect(name).toMatch(new RegExp(`${PROTECTED.source}latch-\\d{10}$`));
      expect(['java-1', 'ts-1']).toContain(data); // the id as UTF-8
    }
    await java.request('l', 'latch-close');
    await ours.awaitLeadership({ timeoutMs: 10_000 });
    // And back: a Java latch joining now follows us.
    await java.request('l2', 'latch-start', '/election', 'java-2');
    await eventually(async () => (await ours.getParticipants()).length === 2, 10_000, 'java-2 joined');
    expect((await java.request('l2', 'latch-leader?')).leader).toBe(false);
    await ours.close();
    expect((await java.request('l2', 'latch-await', 10_000)).leader).toBe(true);
    await java.request('l2', 'latch-close');
  });

  it('leader selector: Curator and zk-recipes selectors take turns on one path', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await java.request('s', 'selector-start', '/selector', 'java-sel');
    await eventually(async () => (await java.request('s', 'selector-leader?')).leader === true, 10_000, 'java leads');
    let ourTerms = 0;
    const ours = new LeaderSelector(client, '/selector', { id: 'ts-sel', takeLeadership: async () => void ourTerms++ });
    ours.start();
    await eventually(async () => (await ours.getParticipants()).length === 2, 10_000, 'both queued');
    expect((await ours.getLeader())?.id).toBe('java-sel');
    expect((await java.request('s', 'selector-participants')).participants?.map((x) => x.id)).toEqual(['java-sel', 'ts-sel']);
    expect(ourTerms).toBe(0);
    await java.request('s', 'selector-close');
    await eventually(() => ourTerms === 1, 10_000, 'our term after Java yields');
    await ours.close();
  });

  it('revocation: Curator’s Revoker reaches our listener, and our revoke() reaches Curator’s', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    const mutex = new InterProcessMutex(client, '/rev');
    let asked = 0;
    mutex.makeRevocable(() => asked++);
    const lease = await mutex.acquire();
    await java.request('x', 'revoke', lease.nodePath);
    await eventually(() => asked === 1, 10_000, 'our listener called');
    await lease.release();
    // The reverse.
    await java.request('m', 'mutex-revocable', '/rev');
    const [javaNode] = await new InterProcessMutex(client, '/rev').getParticipantNodes();
    expect((await client.getData(javaNode!)).data.length).toBe(0); // revocable nodes carry empty data
    await revoke(client, javaNode!);
    await eventually(async () => (await java.request('m', 'revoked?')).revoked === true, 10_000, 'Curator listener called');
    await java.request('m', 'mutex-release');
  });

  it('shared values: SharedCount and DistributedAtomicLong read back identically on both sides', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await java.request('c', 'count-set', '/count', 7);
    const count = new SharedCount(client, '/count', 0);
    await count.start();
    expect(count.getCount()).toBe(7);
    await count.setCount(-42);
    expect((await java.request('c', 'count-get', '/count')).value).toBe(-42);
    await count.close();
    expect((await java.request('a', 'along-add', '/along', 5)).value).toBe('5');
    const along = new DistributedAtomicLong(client, '/along');
    expect((await along.get()).postValue).toBe(5n);
    expect((await along.add(2n ** 40n)).postValue).toBe(5n + 2n ** 40n);
    expect((await java.request('a', 'along-get', '/along')).value).toBe(String(5n + 2n ** 40n));
  });

  it('barrier: a Curator barrier holds our waiter until Curator removes it, and the reverse', async () => {
    const [java, client] = await Promise.all([peer(), ns().client()]);
    await java.request('b', 'barrier-set', '/gate');
    const ours = new DistributedBarrier(client, '/gate');
    let released = false;
    const waiting = ours.waitOnBarrier({ timeoutMs: 20_000 }).then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(released).toBe(false);
    await java.request('b', 'barrier-remove', '/gate');
    await waiting;
    await ours.setBarrier();
    expect((await java.request('w', 'barrier-wait', '/gate', 300)).released).toBe(false);
    const javaWaits = java.request('w', 'barrier-wait', '/gate', 20_000);
    await ours.removeBarrier();
    expect((await javaWaits).released).toBe(true);
  });
});
