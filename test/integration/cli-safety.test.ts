/**
 * Issue 13, item 14: `revoke` refuses anything that is not a revocable recipe's lock node and
 * leaves it untouched; `inspect` labels a downgraded read node as held; `inspect --watch` keeps
 * watching when the last holder leaves and the lock's parent is removed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InterProcessMutex, InterProcessReadWriteLock, type InspectReport, LeaderLatch, SharedCount } from '../../recipes/index.js';
import { runCli } from '../support/cli.js';
import { eventually, expectReaped } from '../support/locks.js';
import { sharedConnectString, useTestNamespace } from '../support/zk.js';

const ARGS = ['--import', 'tsx', 'bin/zk-recipes.ts'];

const cli = (...args: string[]) => runCli(...args, '--connect', sharedConnectString());

describe('zk-recipes CLI safety (real server)', () => {
  const ns = useTestNamespace();

  it('revoke refuses a SharedCount node, a lock parent, a semaphore gate node and a latch node, and writes nothing', async () => {
    const client = await ns().client();
    const count = new SharedCount(client, '/count', 7);
    await count.start();
    const refused = await cli('revoke', `${ns().namespace}/count`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not the lock node of a revocable recipe');
    expect((await client.getData('/count')).data.readInt32BE(0)).toBe(7);
    await count.close();
    const lease = await new InterProcessMutex(client, '/lock').acquire();
    const parentBefore = await client.getData('/lock');
    expect((await cli('revoke', `${ns().namespace}/lock`)).code).toBe(1);
    expect((await client.getData('/lock')).stat.version).toBe(parentBefore.stat.version);
    await client.mkdirp('/sem/leases');
    const gate = await new InterProcessMutex(client, '/sem/locks').acquire();
    expect((await cli('revoke', `${ns().namespace}${gate.nodePath}`)).code).toBe(1);
    await gate.release();
    const latch = new LeaderLatch(client, '/latch');
    await latch.start();
    expect((await cli('revoke', `${ns().namespace}${latch.nodePath}`)).code).toBe(1);
    await latch.close();
    const held = await cli('revoke', `${ns().namespace}${lease.nodePath}`);
    expect(held.code).toBe(0);
    await lease.release();
  });

  it('inspect labels a downgraded read node (its session holds the write lock) as a holder', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const rw = new InterProcessReadWriteLock(a, '/rw');
    const otherWriter = new InterProcessReadWriteLock(b, '/rw').writeLock();
    let waiting: Promise<{ release(): Promise<void> }> | undefined;
    await rw.writeLock().using(async () => {
      waiting = otherWriter.acquire({ timeoutMs: 10_000 });
      await eventually(async () => (await otherWriter.getParticipantNodes()).length === 2, 5_000, 'writer queued');
      const read = await rw.readLock().acquire(); // downgrade, with a writer already queued
      const report = JSON.parse((await cli('inspect', `${ns().namespace}/rw`, '--json')).stdout) as InspectReport;
      // The downgrade node shares the write node's sequence (either may list first).
      const roles = report.nodes.map((n) => `${n.name.includes('__WRIT__') ? 'W' : 'R'}:${n.role}`);
      expect([...roles].sort()).toEqual(['R:holder', 'W:holder', 'W:waiting']);
      expect(roles.at(-1)).toBe('W:waiting');
      await read.release();
    });
    await (await waiting)?.release();
  });

  it('inspect --watch keeps watching after the last holder leaves (the parent goes) and shows the next holder', async () => {
    const client = await ns().client();
    const mutex = new InterProcessMutex(client, '/w');
    const first = await mutex.acquire();
    const child = spawn(
      process.execPath,
      [...ARGS, 'inspect', `${ns().namespace}/w`, '--json', '--watch', '--connect', sharedConnectString()],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const reports: { kind: string; nodes: unknown[] }[] = [];
    let buffered = '';
    child.stdout.on('data', (d) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) reports.push(JSON.parse(line));
    });
    try {
      await eventually(() => reports.length >= 1, 15_000, 'first report');
      await first.release();
      await expectReaped(client, '/w');
      await eventually(() => reports.some((r) => r.kind === 'absent'), 10_000, 'an "absent" report');
      const second = await mutex.acquire();
      await eventually(() => reports.at(-1)?.kind === 'mutex-or-selector' && reports.at(-1)?.nodes.length === 1, 10_000, 'the next holder');
      expect(child.exitCode).toBeNull();
      await second.release();
    } finally {
      child.kill('SIGINT');
      await once(child, 'exit');
    }
  });
});
