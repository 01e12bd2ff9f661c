import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionState, InvalidArgumentError, LeaderSelector, type OwnershipLostError, ZkClient } from '../../recipes/index.js';
import { FaultProxy, TestingServer } from '../../src/testing/index.js';
import { eventually, expectNothingLeft } from '../support/locks.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

describe('LeaderSelector (real server)', () => {
  const ns = useTestNamespace();
  const selectors: LeaderSelector[] = [];
  afterEach(async () => {
    await Promise.all(selectors.splice(0).map((s) => s.close()));
    await expectNothingLeft(ns());
  });

  it('autoRequeue rotates leadership among 3 participants, one term at a time', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => ns().client()));
    const terms: string[] = [];
    let leading = 0;
    let maxLeading = 0;
    for (const [i, client] of clients.entries()) {
      const selector = new LeaderSelector(client, '/sel', {
        id: `s${i}`,
        autoRequeue: true,
        takeLeadership: async () => {
          leading++;
          maxLeading = Math.max(maxLeading, leading);
          terms.push(`s${i}`);
          await new Promise((r) => setTimeout(r, 20));
          leading--;
        },
      });
      selectors.push(selector);
      selector.start();
    }
    await eventually(() => terms.length >= 9, 20_000, '9 terms');
    await Promise.all(selectors.splice(0).map((s) => s.close()));
    expect(maxLeading).toBe(1);
    for (const id of ['s0', 's1', 's2']) expect(terms.filter((t) => t === id).length).toBeGreaterThanOrEqual(2);
  });

  it('an error thrown by takeLeadership is an error event; the next leader is elected', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    const errors: unknown[] = [];
    const failing = new LeaderSelector(a, '/sel', {
      id: 'failing',
      takeLeadership: async () => {
        throw new Error('leader crashed');
      },
    });
    failing.on('error', (e) => errors.push(e));
    selectors.push(failing);
    failing.start();
    await eventually(() => errors.length === 1, 10_000, 'error event');
    let bLed = false;
    const next = new LeaderSelector(b, '/sel', {
      id: 'next',
      takeLeadership: async () => {
        bLed = true;
      },
    });
    selectors.push(next);
    next.start();
    await eventually(() => bLed, 10_000, 'next leader elected');
    expect((errors[0] as Error).message).toBe('leader crashed');
  });

  it('ids as node data: getLeader and getParticipants agree; requeue runs one more term', async () => {
    const [a, b] = await Promise.all([ns().client(), ns().client()]);
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    let aTerms = 0;
    const sa = new LeaderSelector(a, '/sel', { id: 'alpha', takeLeadership: async () => (aTerms++ === 0 ? hold : undefined) });
    const sb = new LeaderSelector(b, '/sel', { id: 'beta', takeLeadership: async () => undefined });
    selectors.push(sa, sb);
    sa.start();
    await eventually(() => sa.hasLeadership(), 10_000, 'alpha leads');
    sb.start();
    await eventually(async () => (await sb.getParticipants()).length === 2, 10_000, 'beta queued');
    expect((await sb.getLeader())?.id).toBe('alpha');
    expect((await sa.getParticipants()).map((p) => p.id)).toEqual(['alpha', 'beta']);
    release();
    await eventually(() => aTerms === 1 && !sa.hasLeadership(), 10_000, 'alpha term over');
    expect(sa.requeue()).toBe(true);
    await eventually(() => aTerms === 2, 10_000, 'alpha led again after requeue');
  });

  it('close() aborts takeLeadership’s signal and leaves nothing behind', async () => {
    const client = await ns().client();
    let reason: unknown;
    const selector = new LeaderSelector(client, '/sel', {
      takeLeadership: (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            resolve();
          });
        }),
    });
    selector.start();
    await eventually(() => selector.hasLeadership(), 10_000, 'leading');
    await selector.close();
    expect(reason).toBeDefined();
    expect(selector.hasLeadership()).toBe(false);
    expect(client.pendingWatchCount).toBe(0);
  });

  it('bad input gets typed errors', async () => {
    const client = await ns().client();
    expect(() => new LeaderSelector(client, '/s', {} as never)).toThrow(InvalidArgumentError);
    const s = new LeaderSelector(client, '/s', { takeLeadership: async () => undefined });
    expect(() => s.requeue()).toThrow(InvalidArgumentError);
  });
});

describe.skipIf(faultsSkipReason)('LeaderSelector under a paused link (dedicated server)', () => {
  it("standard policy: takeLeadership's signal aborts on SUSPENDED", async () => {
    const server = await TestingServer.start();
    const proxy = await FaultProxy.start(server.connectString);
    const client = new ZkClient({ connectString: proxy.connectString, sessionTimeoutMs: 2000, namespace: '/sel' });
    try {
      await client.start();
      let reason: unknown;
      const selector = new LeaderSelector(client, '/sel', {
        takeLeadership: (signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => {
              reason = signal.reason;
              resolve();
            }),
          ),
      });
      selector.start();
      await eventually(() => selector.hasLeadership(), 10_000, 'leading');
      proxy.pause();
      await waitForState(client, ConnectionState.SUSPENDED);
      await eventually(() => reason !== undefined, 5000, 'signal aborted');
      expect((reason as OwnershipLostError).state).toBe(ConnectionState.SUSPENDED);
      proxy.resume();
      await selector.close();
    } finally {
      await client.close();
      await proxy.close();
      await server.stop();
    }
  });
});
