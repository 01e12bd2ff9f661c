/**
 * What the partition run's harness watches: every assignment version written (through a
 * CuratorCache on the ensemble) and, from the workers' events, who holds which partition — so
 * that after a worker is killed it can tell how long its partitions went without an owner.
 */
import { CuratorCache, type ZkClient } from '../../recipes/index.js';
import { CHAOS_PARTITIONS } from './partition-store.js';
import type { AssignmentVersion } from './partition-store.js';

/** The partition run's partition names (the WorkPartitioner's for a count). */
export function partitionNames(): string[] {
  return Array.from({ length: CHAOS_PARTITIONS }, (_, i) => String(i));
}

export class PartitionWatch {
  readonly history: AssignmentVersion[] = [];
  readonly #holders = new Map<string, string>();
  /** Partitions of killed workers not yet owned again: since when. */
  readonly #orphans = new Map<string, number>();
  readonly #reown: number[] = [];
  readonly #cache: CuratorCache<Buffer>;

  constructor(
    client: ZkClient,
    assignmentPath: string,
    readonly now: () => number,
  ) {
    this.#cache = new CuratorCache(client, assignmentPath, { mode: 'node' });
    const record = (node: { data: Buffer; stat: { version: number } }) =>
      this.history.push({ version: node.stat.version, data: node.data });
    this.#cache.on('created', record);
    this.#cache.on('changed', record);
    this.#cache.on('error', () => undefined); // the ensemble is under faults: the cache rebuilds
  }

  async start(): Promise<void> {
    await this.#cache.start();
  }

  async stop(): Promise<void> {
    await this.#cache.close();
  }

  assigned(worker: string, partition: string): void {
    this.#holders.set(partition, worker);
    const since = this.#orphans.get(partition);
    if (since !== undefined) {
      this.#orphans.delete(partition);
      this.#reown.push(this.now() - since);
    }
  }

  revoked(worker: string, partition: string): void {
    if (this.#holders.get(partition) === worker) this.#holders.delete(partition);
  }

  /** A worker was SIGKILLed: its partitions are orphans from now until someone is assigned them. */
  killed(worker: string): void {
    for (const [partition, holder] of this.#holders) {
      if (holder !== worker) continue;
      this.#holders.delete(partition);
      if (!this.#orphans.has(partition)) this.#orphans.set(partition, this.now());
    }
  }

  /** After healing: waits until every partition has a holder; a violation if not within `limitMs`. */
  async waitAllOwned(limitMs: number, violations: string[]): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (this.#holders.size < CHAOS_PARTITIONS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (this.#holders.size < CHAOS_PARTITIONS) {
      const missing = partitionNames().filter((p) => !this.#holders.has(p));
      violations.push(`${missing.length} partition(s) without an owner ${limitMs} ms after healing: ${missing.join(', ')}`);
    }
  }

  /** The re-own times; a violation for one past `limitMs`, or an orphan older than that at the end. */
  reownTimes(limitMs: number, violations: string[]): number[] {
    for (const ms of this.#reown)
      if (ms > limitMs) violations.push(`a killed worker's partition went ${ms} ms without an owner (bound ${limitMs} ms)`);
    for (const [partition, since] of this.#orphans) {
      const waited = this.now() - since;
      if (waited > limitMs) violations.push(`partition ${partition} had no owner for ${waited} ms after its worker was killed`);
    }
    return [...this.#reown];
  }
}
