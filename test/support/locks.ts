/** Helpers shared by the lock tests. */
import { expect } from 'vitest';
import type { ZkClient } from '../../src/index.js';
import type { TestNamespace } from '../../src/testing/index.js';

/** Polls until `check()` is true (for states reached asynchronously, e.g. a waiter's node appearing). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Asserts nothing is left under the test's namespace and no client waits on a watch. Recipe
 * parents are CONTAINER nodes that the server reaps once empty (the test server checks every
 * 100 ms), so the tree is given a few seconds to empty.
 */
export async function expectNothingLeft(ns: TestNamespace, reapWithinMs = 5_000): Promise<void> {
  for (const client of ns.clients) {
    if (client.state !== 'CLOSED') expect(client.pendingWatchCount, 'watch listeners left on a client').toBe(0);
  }
  const open = ns.clients.find((c) => c.state !== 'CLOSED');
  const deadline = Date.now() + reapWithinMs;
  let left = await ns.listTree(open);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = await ns.listTree(open);
  }
  expect(left).toEqual([]);
}

/** Asserts that `path` disappears within `withinMs`: an empty CONTAINER parent is reaped by the server. */
export async function expectReaped(client: ZkClient, path: string, withinMs = 5_000): Promise<void> {
  await eventually(async () => (await client.exists(path)) === null, withinMs, `${path} reaped by the server`);
}

/** A counter that fails the test if two holders are ever inside at once. */
export class ExclusionProbe {
  inside = 0;
  maxInside = 0;
  entries = 0;
  async hold(ms: number): Promise<void> {
    this.inside++;
    this.entries++;
    this.maxInside = Math.max(this.maxInside, this.inside);
    await new Promise((r) => setTimeout(r, ms));
    this.inside--;
  }
}
