import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { DIAGNOSTICS_CHANNELS, type DiagnosticsMessages, InterProcessMutex, LeaderLatch, type Logger } from '../../recipes/index.js';
import { useTestNamespace } from '../support/zk.js';

describe('observability', () => {
  const ns = useTestNamespace();
  const seen: { channel: string; message: unknown }[] = [];
  const handlers = DIAGNOSTICS_CHANNELS.map((channel) => {
    const handler = (message: unknown) => seen.push({ channel, message });
    return { channel, handler };
  });
  for (const { channel, handler } of handlers) diagnostics_channel.subscribe(channel, handler);
  afterEach(() => {
    seen.length = 0;
  });

  it('publishes acquire start/end, release, leadership and connection events', async () => {
    const client = await ns().client();
    await new InterProcessMutex(client, '/lock').using(() => new Promise((r) => setTimeout(r, 10)));
    const latch = new LeaderLatch(client, '/election', { id: 'me' });
    await latch.start();
    await latch.awaitLeadership({ timeoutMs: 10_000 });
    await latch.close();
    await client.close();
    const channels = seen.map((s) => s.channel);
    expect(channels).toContain('zk-recipes:connection');
    const start = seen.find((s) => s.channel === 'zk-recipes:acquire:start')?.message as DiagnosticsMessages['zk-recipes:acquire:start'];
    expect(start).toEqual({ recipe: 'InterProcessMutex', path: '/lock' });
    const end = seen.find((s) => s.channel === 'zk-recipes:acquire:end')?.message as DiagnosticsMessages['zk-recipes:acquire:end'];
    expect(end).toMatchObject({ recipe: 'InterProcessMutex', path: '/lock', ok: true });
    expect(end.waitMs).toBeGreaterThanOrEqual(0);
    const release = seen.find((s) => s.channel === 'zk-recipes:release')?.message as DiagnosticsMessages['zk-recipes:release'];
    expect(release.holdMs).toBeGreaterThanOrEqual(10);
    const leadership = seen.filter((s) => s.channel === 'zk-recipes:leadership').map((s) => s.message);
    expect(leadership).toEqual([{ recipe: 'LeaderLatch', path: '/election', id: 'me', leader: true }]);
  });

  it('logs through the given logger only', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (m) => lines.push(`debug ${m}`),
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${m}`),
    };
    const client = await ns().client({ logger });
    await client.close();
    expect(lines).toEqual(['info zk-recipes: connection CONNECTED', 'info zk-recipes: connection CLOSED']);
  });
});
