/** The TTL lease watchdog (pure logic, a fake renew): renewal cadence, NOT_OWNER, EXPIRED by the local deadline. */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Watchdog } from '../../src/lock/watchdog.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Watchdog', () => {
  it('renews every ttl/3 while answers come, and stops when told', async () => {
    let renewals = 0;
    const dog = new Watchdog({ ttlMs: 150, driftMs: 5, grantSentAt: performance.now(), renew: async () => ++renewals > 0 });
    const losses: string[] = [];
    dog.onLoss((state) => losses.push(state));
    await sleep(520);
    dog.stop();
    const seen = renewals;
    expect(seen).toBeGreaterThanOrEqual(5);
    expect(seen).toBeLessThanOrEqual(12);
    await sleep(120);
    expect(renewals).toBe(seen);
    expect(losses).toEqual([]);
  });

  it('a renewal that finds the lease gone reports NOT_OWNER once', async () => {
    const dog = new Watchdog({ ttlMs: 90, driftMs: 2, grantSentAt: performance.now(), renew: async () => false });
    const losses: string[] = [];
    dog.onLoss((state) => losses.push(state));
    await sleep(150);
    expect(losses).toEqual(['NOT_OWNER']);
    expect(dog.lostState).toBe('NOT_OWNER');
    dog.onLoss((state) => losses.push(`late ${state}`)); // told at once
    expect(losses).toEqual(['NOT_OWNER', 'late NOT_OWNER']);
  });

  it('with no answer, reports EXPIRED at the grant time + ttl − drift (before the server can expire it)', async () => {
    const sent = performance.now();
    const dog = new Watchdog({ ttlMs: 200, driftMs: 50, grantSentAt: sent, renew: () => new Promise(() => undefined) });
    const lost = await new Promise<number>((resolve) => dog.onLoss(() => resolve(performance.now())));
    expect(lost - sent).toBeGreaterThanOrEqual(149);
    expect(lost - sent).toBeLessThan(200);
    expect(dog.lostState).toBe('EXPIRED');
  });

  it('failed renewals are retried; one that gets through in time keeps the lease', async () => {
    let calls = 0;
    const dog = new Watchdog({
      ttlMs: 300,
      driftMs: 5,
      grantSentAt: performance.now(),
      renew: async () => {
        calls++;
        if (calls <= 3) throw new Error('BUSY');
        return true;
      },
    });
    const losses: string[] = [];
    dog.onLoss((state) => losses.push(state));
    await sleep(450);
    dog.stop();
    expect(calls).toBeGreaterThan(4);
    expect(losses).toEqual([]);
  });
});
