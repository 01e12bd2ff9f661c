import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InterProcessMutex, InterProcessSemaphoreV2, type InspectReport, LeaderLatch, ZkClient } from '../../recipes/index.js';
import { freePort } from '../../src/testing/ports.js';
import { lines } from '../support/child-lines.js';
import { runCli } from '../support/cli.js';
import { eventually } from '../support/locks.js';
import { sharedConnectString, useTestNamespace } from '../support/zk.js';

const cli = runCli;

describe('zk-recipes CLI (real server)', () => {
  const ns = useTestNamespace();

  it('inspect shows a mutex holder and its queue in order, as a table and as JSON', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const held = await new InterProcessMutex(a, '/lock', { data: Buffer.from('worker-a') }).acquire();
    const waiting = new InterProcessMutex(b, '/lock', { data: Buffer.from('worker-b') }).acquire();
    await eventually(async () => (await new InterProcessMutex(a, '/lock').getParticipantNodes()).length === 2);
    const path = `${ns().namespace}/lock`;
    const text = await cli('inspect', path, '--connect', sharedConnectString());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('mutex-or-selector (2 nodes)');
    expect(text.stdout).toMatch(/1\s+holder\s+_c_\S+-lock-\d{10}\s+0x[0-9a-f]+\s+worker-a/);
    expect(text.stdout).toMatch(/2\s+waiting\s+_c_\S+-lock-\d{10}\s+0x[0-9a-f]+\s+worker-b/);
    const json = JSON.parse((await cli('inspect', path, '--connect', sharedConnectString(), '--json')).stdout) as InspectReport;
    expect(json.kind).toBe('mutex-or-selector');
    expect(json.nodes.map((n) => [n.role, n.data])).toEqual([
      ['holder', 'worker-a'],
      ['waiting', 'worker-b'],
    ]);
    expect(json.nodes[0]?.path).toBe(`${path}/${held.nodePath.split('/').pop()}`);
    await held.release();
    await (await waiting).release();
  });

  it('recognises a semaphore and a leader latch', async () => {
    const client = await ns().client();
    const leases = await new InterProcessSemaphoreV2(client, '/sem', { maxLeases: 2 }).acquire({ qty: 2 });
    const sem = JSON.parse(
      (await cli('inspect', `${ns().namespace}/sem`, '--connect', sharedConnectString(), '--json')).stdout,
    ) as InspectReport;
    expect(sem.kind).toBe('semaphore');
    expect(sem.nodes.filter((n) => n.role === 'lease')).toHaveLength(2);
    for (const l of leases) await l.release();
    const latch = new LeaderLatch(client, '/election', { id: 'boss' });
    await latch.start();
    await latch.awaitLeadership({ timeoutMs: 10_000 });
    const el = JSON.parse(
      (await cli('inspect', `${ns().namespace}/election`, '--connect', sharedConnectString(), '--json')).stdout,
    ) as InspectReport;
    expect(el.kind).toBe('leader-latch');
    expect(el.nodes.map((n) => [n.role, n.data])).toEqual([['leader', 'boss']]);
    await latch.close();
  });

  it('tree prints the subtree; revoke reaches a revocable holder', async () => {
    const client = await ns().client();
    const mutex = new InterProcessMutex(client, '/rev');
    let asked = false;
    mutex.makeRevocable(() => {
      asked = true;
    });
    const lease = await mutex.acquire();
    const tree = await cli('tree', ns().namespace, '--connect', sharedConnectString());
    expect(tree.code).toBe(0);
    expect(tree.stdout).toContain('  rev');
    expect(tree.stdout).toMatch(/_c_\S+-lock-\d{10} {2}\[ephemeral 0x[0-9a-f]+\]/);
    const revoked = await cli('revoke', `${ns().namespace}${lease.nodePath}`, '--connect', sharedConnectString());
    expect(revoked.code).toBe(0);
    await eventually(() => asked, 10_000, 'listener called');
    await lease.release();
  });

  it('clear errors: bad arguments, a missing path, an unreachable server; --help for every command', async () => {
    expect((await cli('inspect', 'no-slash', '--connect', sharedConnectString())).code).toBe(2);
    expect((await cli('frobnicate', '/x')).code).toBe(2);
    const missing = await cli('inspect', `${ns().namespace}/nothing-here`, '--connect', sharedConnectString());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no node at');
    const unreachable = await cli('tree', '/', '--connect', '127.0.0.1:1');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Could not connect to ZooKeeper at 127.0.0.1:1');
    for (const command of ['inspect', 'tree', 'revoke']) {
      const help = await cli(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`zk-recipes ${command}`);
    }
  });
});

describe('zk-recipes dev-server and --version', () => {
  it('dev-server starts a ZooKeeper a client can use, prints where, and stops on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/zk-recipes.ts', 'dev-server', '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const next = lines(child);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      expect(await next()).toContain(`ZooKeeper  127.0.0.1:${port}`);
      const client = new ZkClient({ connectString: `127.0.0.1:${port}` });
      await client.start();
      const lease = await new InterProcessMutex(client, '/dev/first-lock').acquire({ timeoutMs: 5000 });
      await lease.release();
      await client.close();
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const out = await cli('--version');
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(version);
  });
});
