/**
 * Issue 25 items 3–5 on real servers: a wait that gives up says what it was behind (the holder,
 * the node ahead, the client's connection) and carries the underlying error as `cause`, in each
 * backend's own words; connect failures name the system error and the host; a long wait is
 * reported once, naming the holder; `inspect()` and the CLI show a Redis or PostgreSQL lock;
 * processes end by themselves after a failed start() or pool.end().
 */
import { describe, expect, it } from 'vitest';
import { PostgresLock } from '../../postgres/index.js';
import { ConnectionLossError, InterProcessMutex, LockTimeoutError, subscribeDiagnostics, ZkClient } from '../../recipes/index.js';
import { RedisLock, RedisUnavailableError } from '../../redis/index.js';
import type { Logger } from '../../src/index.js';
import { runJsonFixture } from '../support/child-lines.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';
import { lockName, useRedis } from '../support/redis.js';
import { useTestNamespace } from '../support/zk.js';

/** A logger that keeps what it is told. */
function recordingLogger(): Logger & { lines: { message: string; context?: Record<string, unknown> }[] } {
  const lines: { message: string; context?: Record<string, unknown> }[] = [];
  const keep = (message: string, context?: Record<string, unknown>) => void lines.push({ message, context });
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { cause?: unknown }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a rejection');
  return error;
}

describe('ZooKeeper', () => {
  const ns = useTestNamespace();

  it('a lock timeout names the node it was behind and its session; the queue node is gone', async () => {
    const a = await ns().client();
    const b = await ns().client();
    const held = await new InterProcessMutex(a, '/explained').acquire();
    const error = (await rejection(
      new InterProcessMutex(b, '/explained', { data: Buffer.from('b') }).acquire({ timeoutMs: 300 }),
    )) as LockTimeoutError;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.blockedOn).toMatch(new RegExp(`^behind _c_[0-9a-f-]+-lock-\\d{10} \\(session ${a.sessionId}, data "`));
    expect(error.message).toContain('our queue node was removed');
    expect((await b.getChildren('/explained')).children).toHaveLength(1);
    await held.release();
  });

  it('a long wait is reported once, on the channel and the logger, naming the holder', async () => {
    const a = await ns().client();
    const logger = recordingLogger();
    const b = await ns().client({ logger });
    const held = await new InterProcessMutex(a, '/slow', { data: Buffer.from('worker-a') }).acquire();
    const reports: unknown[] = [];
    const unsubscribe = subscribeDiagnostics('zk-recipes:acquire:slow', (m) => reports.push(m));
    try {
      const waiting = new InterProcessMutex(b, '/slow', { slowWaitMs: 150 }).acquire({ timeoutMs: 5000 });
      await expect.poll(() => reports.length, { timeout: 3000 }).toBe(1);
      expect(reports[0]).toMatchObject({ recipe: 'InterProcessMutex', path: '/slow' });
      expect((reports[0] as { holder: string }).holder).toContain(`session ${a.sessionId}, data "worker-a"`);
      expect(logger.lines.filter((l) => l.message.includes('still waiting'))).toHaveLength(1);
      await held.release();
      await (await waiting).release();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(reports).toHaveLength(1); // once per wait
    } finally {
      unsubscribe();
    }
  });

  it('start() against nothing names ECONNREFUSED and the host (as cause), and leaves the client restartable', async () => {
    const client = new ZkClient({ connectString: '127.0.0.1:1', connectionTimeoutMs: 400 });
    const error = await rejection(client.start());
    expect(error).toBeInstanceOf(ConnectionLossError);
    expect(error.message).toContain('connect ECONNREFUSED 127.0.0.1:1');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(client.state).toBe('LATENT');
    expect(await rejection(client.start())).toBeInstanceOf(ConnectionLossError); // again, the same way
    await client.close();
  });

  it('a host that does not resolve is named as such', async () => {
    const client = new ZkClient({ connectString: 'no-such-host.invalid:2181', connectionTimeoutMs: 1500 });
    const error = await rejection(client.start());
    expect(error.message).toMatch(/ENOTFOUND no-such-host\.invalid.*Check the host names/);
    await client.close();
  });

  it('a process whose start() failed exits by itself, without close()', async () => {
    const { lines, code, ms } = await runJsonFixture('test/fixtures/processes-that-end.ts', ['failed-start']);
    expect(lines[0]).toMatchObject({ error: 'ConnectionLossError', causeCode: 'ECONNREFUSED', state: 'LATENT' });
    expect(code).toBe(0);
    expect(ms).toBeLessThan(20_000); // killed at 25 s otherwise
  });
});

describe('Redis', () => {
  const { server, client } = useRedis();

  it("a timeout names the holder's memo and its lease, in Redis's own words", async () => {
    const name = lockName();
    const held = await new RedisLock(await client(), name, { memo: 'worker-a' }).acquire();
    const error = (await rejection(new RedisLock(await client(), name).acquire({ timeoutMs: 300 }))) as LockTimeoutError;
    expect(error.blockedOn).toMatch(/^held by worker-a, lease \d+ ms left$/);
    expect(error.message).toContain('our place in line was removed');
    expect(error.message).not.toContain('queue node');
    await held.release();
  });

  it('a timeout while Redis does not answer carries the last error as cause', async () => {
    const name = lockName();
    const c = await client();
    const held = await new RedisLock(c, name).acquire();
    const waiter = new RedisLock(await client(), name, { operationTimeoutMs: 200 }); // connected before the freeze
    server().freeze();
    try {
      const error = await rejection(waiter.acquire({ timeoutMs: 900 }));
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect(error.cause).toBeInstanceOf(RedisUnavailableError);
      expect(error.message).toMatch(/the last look failed/);
    } finally {
      server().thaw();
    }
    await held.release();
  });

  it('inspect() and the CLI show the holder and the waiters in line order; a long wait names the holder', async () => {
    const name = lockName();
    const held = await new RedisLock(await client(), name, { memo: 'worker-a' }).acquire();
    const logger = recordingLogger();
    const w1 = new RedisLock(await client(), name, { memo: 'worker-b', slowWaitMs: 150, logger }).acquire({ timeoutMs: 10_000 });
    await expect.poll(async () => (await new RedisLock(await client(), name).inspect()).waiters.length).toBe(1);
    const w2 = new RedisLock(await client(), name, { memo: 'worker-c' }).acquire({ timeoutMs: 10_000 });
    await expect.poll(async () => (await new RedisLock(await client(), name).inspect()).waiters.length).toBe(2);
    const report = await new RedisLock(await client(), name).inspect();
    expect(report.holder).toMatchObject({ memo: 'worker-a' });
    expect(report.holder?.ttlMs).toBeGreaterThan(0);
    expect(typeof report.holder?.token).toBe('bigint');
    expect(report.waiters.map((w) => w.memo)).toEqual(['worker-b', 'worker-c']);
    await expect.poll(() => logger.lines.length).toBe(1);
    expect(logger.lines[0]?.message).toMatch(/still waiting after \d+ ms \(held by worker-a, lease \d+ ms left; 2 in line\)/);

    const json = await runCli('inspect', name, '--redis', server().url, '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { holder: { memo: string; token: string }; waiters: { memo: string }[] };
    expect(parsed.holder.memo).toBe('worker-a');
    expect(parsed.holder.token).toBe(String(report.holder?.token));
    const table = await runCli('inspect', name, '--redis', server().url);
    expect(table.stdout).toMatch(/held, 2 waiting\n.*\n1\s+holder\s+worker-a\s+lease \d+ms left\s+token \d+\n2\s+waiting\s+worker-b/);
    await held.release();
    await (await w1).release();
    await (await w2).release();
    expect((await new RedisLock(await client(), name).inspect()).holder).toBeUndefined();
  });
});

describe('PostgreSQL', () => {
  const { server, pool } = usePostgres();

  it('a timeout names the holder (its memo by inspection when the wait is long), and inspect() shows the line', async () => {
    const name = lockName();
    const p = pool();
    const held = await new PostgresLock(p, name, { memo: 'report-job' }).acquire();
    const reports: { holder?: string }[] = [];
    const unsubscribe = subscribeDiagnostics('zk-recipes:acquire:slow', (m) => reports.push(m));
    try {
      const error = (await rejection(
        new PostgresLock(p, name, { memo: 'second', slowWaitMs: 100 }).acquire({ timeoutMs: 600 }),
      )) as LockTimeoutError;
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect(error.blockedOn).toMatch(/^held by another owner, lease \d+ ms left$/);
      expect(error.message).toContain('our place in line was removed');
      expect(reports.at(-1)?.holder).toMatch(/^held by report-job, lease \d+ ms left; 1 in line$/);
    } finally {
      unsubscribe();
    }
    const waiting = new PostgresLock(p, name, { memo: 'third' }).acquire({ timeoutMs: 10_000 });
    await expect.poll(async () => (await new PostgresLock(p, name).inspect()).waiters.map((w) => w.memo)).toEqual(['third']);
    const report = await new PostgresLock(p, name).inspect();
    expect(report.holder).toMatchObject({ memo: 'report-job' });
    const cli = await runCli('inspect', name, '--postgres', server().url, '--json');
    expect(JSON.parse(cli.stdout)).toMatchObject({ name, holder: { memo: 'report-job' }, waiters: [{ memo: 'third' }] });
    await held.release();
    await (await waiting).release();
  });

  it('a process that ends its pool exits at once, although its idle listener would stay 60 s', async () => {
    const { lines, code, ms } = await runJsonFixture('test/fixtures/processes-that-end.ts', ['pg-idle', server().url]);
    expect(lines).toEqual([{ outcome: 'ended' }]);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(20_000); // killed at 25 s (and the listener would hold it 60 s)
  });

  it('the CLI names a missing lock table instead of failing obscurely', async () => {
    const cli = await runCli('inspect', 'x', '--postgres', server().url, '--table', 'no_such_locks');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('No lock table no_such_locks');
  });
});
