import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { faultsSkipReason } from '../support/zk.js';

describe.skipIf(faultsSkipReason)('leaks', () => {
  it('10,000 acquire/release cycles: heap, listeners and server watches stay flat; the process then exits by itself', async () => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/fixtures/leak-loop.ts', '10000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(guard);
    expect(signal).toBeNull(); // exited on its own, not killed by the guard
    expect(code).toBe(0);
    const samples = JSON.parse(out.trim().split('\n').pop() ?? '[]') as {
      heapMB: number;
      stateListeners: number;
      clientWatches: number;
      serverWatches: number;
    }[];
    expect(samples).toHaveLength(4);
    for (const s of samples) {
      expect(s.stateListeners).toBe(0); // nothing listens once every lease is released
      expect(s.clientWatches).toBe(0);
      expect(s.serverWatches).toBeLessThanOrEqual(1); // at most a fired-but-unread own-node watch
    }
    // Flat heap: between the first quarter and the end, growth stays within noise (not per cycle).
    expect(samples[3]!.heapMB - samples[0]!.heapMB).toBeLessThan(8);
  }, 300_000);
});
