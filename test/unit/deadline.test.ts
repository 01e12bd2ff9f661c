/** settleByDeadline and waitBudget: pure timing logic, with stand-in work (no server). */
import { describe, expect, it } from 'vitest';
import { settleByDeadline, waitBudget } from '../../src/core/deadline.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timeout = () => new Error('deadline');

describe('settleByDeadline', () => {
  it('resolves with the work when it finishes in time', async () => {
    const value = await settleByDeadline(async () => 'ok', { deadline: Date.now() + 1000, onTimeout: timeout, discard: () => undefined });
    expect(value).toBe('ok');
  });

  it('not connected: rejects at the deadline although the work hangs; a late result is discarded', async () => {
    const discarded: string[] = [];
    let workSignal: AbortSignal | undefined;
    const started = Date.now();
    const result = settleByDeadline(
      async (signal) => {
        workSignal = signal;
        await sleep(300); // stuck behind a dead link, then it comes through anyway
        return 'late';
      },
      { deadline: Date.now() + 50, onTimeout: timeout, connected: () => false, discard: (v) => void discarded.push(v) },
    );
    await expect(result).rejects.toThrow('deadline');
    expect(Date.now() - started).toBeLessThan(250);
    expect(workSignal?.aborted).toBe(true);
    await sleep(400);
    expect(discarded).toEqual(['late']);
  });

  it('connected: waits for the work to clean up (bounded by graceMs) and still rejects with the deadline error', async () => {
    const steps: string[] = [];
    const result = settleByDeadline(
      async (signal) => {
        await new Promise((r) => (signal as AbortSignal).addEventListener('abort', r, { once: true }));
        await sleep(30); // removing our node
        steps.push('cleaned');
        throw new Error('the work’s own error while unwinding');
      },
      { deadline: Date.now() + 20, onTimeout: timeout, connected: () => true, graceMs: 500, discard: () => undefined },
    );
    await expect(result).rejects.toThrow('deadline');
    expect(steps).toEqual(['cleaned']);
  });

  it('connected but the clean-up hangs: answers after graceMs', async () => {
    const started = Date.now();
    const result = settleByDeadline(() => new Promise<never>(() => undefined), {
      deadline: Date.now() + 20,
      onTimeout: timeout,
      connected: () => true,
      graceMs: 100,
      discard: () => undefined,
    });
    await expect(result).rejects.toThrow('deadline');
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('an aborted caller signal rejects with its reason; a pre-aborted one does not even start the work', async () => {
    const controller = new AbortController();
    const result = settleByDeadline(() => new Promise<never>(() => undefined), {
      signal: controller.signal,
      onTimeout: timeout,
      discard: () => undefined,
    });
    controller.abort(new Error('stop'));
    await expect(result).rejects.toThrow('stop');
    let ran = false;
    await expect(
      settleByDeadline(
        async () => {
          ran = true;
        },
        { signal: AbortSignal.abort(new Error('already')), onTimeout: timeout, connected: () => true, discard: () => undefined },
      ),
    ).rejects.toThrow('already');
    expect(ran).toBe(false);
  });
});

describe('waitBudget', () => {
  it('a try answers within the operation timeout, clean-up included; a timed wait gets min(1 s, timeoutMs) of clean-up', () => {
    expect(waitBudget(undefined, 10_000, 0)).toEqual({ deadline: undefined, graceMs: 1000 });
    expect(waitBudget(0, 10_000, 0)).toEqual({ deadline: 9_000, graceMs: 1000 });
    expect(waitBudget(0, 1_000, 0)).toEqual({ deadline: 750, graceMs: 250 });
    expect(waitBudget(500, 10_000, 0)).toEqual({ deadline: 500, graceMs: 500 });
    expect(waitBudget(60_000, 10_000, 0)).toEqual({ deadline: 60_000, graceMs: 1000 });
  });
});
