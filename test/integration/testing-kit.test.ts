import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionState, ZkClient } from '../../src/index.js';
import { FaultProxy, fourLetterWord, TestingServer } from '../../src/testing/index.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason, sharedConnectString } from '../support/zk.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

function tsx(file: string, args: string[] = []) {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe.skipIf(faultsSkipReason)('testing kit', () => {
  it('TestingServer answers ruok, and stop() removes the process', async () => {
    const server = await TestingServer.start();
    const pid = server.pid!;
    expect(await fourLetterWord(server.host, server.port, 'ruok')).toBe('imok');
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    await server.stop(); // idempotent
  });

  it('no Java process outlives its parent, even one killed with SIGKILL', async () => {
    const child = tsx('test/fixtures/start-server-and-hang.ts');
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { pid } = JSON.parse(line.toString()) as { pid: number };
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    expect(await until(() => !isAlive(pid), 10_000)).toBe(true);
  });

  it('a client exits by itself after close(): no leaked timer, socket or listener', async () => {
    const child = tsx('test/fixtures/client-lifecycle.ts', [sharedConnectString()]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect(signal).toBeNull(); // it was not killed by the guard timer: it exited on its own
    expect(code).toBe(0);
    expect(out).toContain('closed');
    const admin = new ZkClient({ connectString: sharedConnectString() });
    await admin.start();
    await admin.delete('/lifecycle/n').catch(() => undefined);
    await admin.delete('/lifecycle').catch(() => undefined);
    await admin.close();
  });

  it('FaultProxy.cut() drops the connection: SUSPENDED, then RECONNECTED with the same session', async () => {
    const server = await TestingServer.start();
    cleanups.push(() => server.stop());
    const proxy = await FaultProxy.start(server.connectString);
    cleanups.push(() => proxy.close());
    const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 4000 });
    cleanups.push(() => client.close());
    await client.start();
    const session = client.sessionId;
    const suspended = waitForState(client, ConnectionState.SUSPENDED);
    const reconnected = waitForState(client, ConnectionState.RECONNECTED);
    proxy.cut();
    await suspended;
    await reconnected;
    expect(client.sessionId).toBe(session);
  });
});
