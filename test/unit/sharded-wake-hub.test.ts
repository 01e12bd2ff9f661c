/**
 * The Redis Cluster wake-up hub's edges, on a fake cluster client (pure logic: the real cluster
 * is in test/integration/redis-cluster.test.ts): a hub closed while its SSUBSCRIBE is in flight
 * ends that subscription when it is answered, instead of leaving it behind.
 */
import { describe, expect, it } from 'vitest';
import { ShardedWakeHub } from '../../redis/sharded-wake-hub.js';

function fakeCluster() {
  let answer: (() => void) | undefined;
  const unsubscribed: string[] = [];
  const client = {
    cluster: true,
    isOpen: true,
    isReady: true,
    sendCommand: async () => undefined,
    duplicate: () => {
      throw new Error('not on a cluster');
    },
    shardedSubscribe: () =>
      new Promise<void>((resolve) => {
        answer = resolve;
      }),
    shardedUnsubscribe: async (channel: string) => {
      unsubscribed.push(channel);
    },
  };
  return { client, answer: () => answer?.(), unsubscribed };
}

describe('ShardedWakeHub', () => {
  it('closed while SSUBSCRIBE is in flight: the subscription is ended once answered, and the hub is not listening', async () => {
    const fake = fakeCluster();
    const hub = ShardedWakeHub.of(fake.client, 'orders', 5_000);
    const subscribing = hub.subscribe(Date.now() + 5_000);
    hub.closeIfIdle(); // nobody waits: the hub closes now, its SSUBSCRIBE still unanswered
    fake.answer();
    await subscribing;
    await Promise.resolve();
    expect(fake.unsubscribed).toEqual([hub.channel]);
    expect(hub.listening).toBe(false);
    expect(ShardedWakeHub.of(fake.client, 'orders', 5_000)).not.toBe(hub); // the next waiter gets a fresh hub
  });

  it('a subscription answered with the hub still open is kept', async () => {
    const fake = fakeCluster();
    const hub = ShardedWakeHub.of(fake.client, 'invoices', 5_000);
    const off = hub.register('a.b.c', () => undefined);
    const subscribing = hub.subscribe(Date.now() + 5_000);
    fake.answer();
    await subscribing;
    expect(hub.listening).toBe(true);
    expect(fake.unsubscribed).toEqual([]);
    off();
    hub.closeIfIdle();
    expect(fake.unsubscribed).toEqual([hub.channel]);
  });
});
