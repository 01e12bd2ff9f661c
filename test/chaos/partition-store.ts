/**
 * The partition run's guarded store and checker. One record per partition behind HTTP on
 * loopback, each fenced as the mutex run's single record is (a write needs a token at least as
 * high as the highest seen for that partition on a read or an accepted write). The checker then
 * asks of each partition what the mutex run asks of its record — one non-decreasing token
 * sequence and no lost update — so two owners of a partition at once would show; of each
 * assignment written, that it moved no more partitions than balance needed; and of each worker
 * killed, how long its partitions went without an owner.
 */
import { createServer, type Server } from 'node:http';
import { decodeAssignment, minimumMoves, moved } from '../../recipes/partition/assignment.js';

/** The partition count of the partition run (5 workers, 64 partitions). */
export const CHAOS_PARTITIONS = 64;

export interface PartitionWrite {
  readonly partition: string;
  readonly worker: string;
  readonly token: string;
  readonly value: number;
  readonly readValue: number;
  readonly accepted: boolean;
}

export class PartitionStore {
  readonly records = new Map<string, { value: number; highest: bigint }>();
  readonly log: PartitionWrite[] = [];
  readonly #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const partition = url.searchParams.get('partition') ?? '';
      const token = BigInt(url.searchParams.get('token') ?? '-1');
      const record = this.#record(partition);
      if (url.pathname === '/read') {
        if (token > record.highest) record.highest = token;
        res.end(JSON.stringify({ value: record.value }));
        return;
      }
      const worker = url.searchParams.get('worker') ?? '?';
      const value = Number(url.searchParams.get('value'));
      const readValue = Number(url.searchParams.get('readValue'));
      const accepted = token >= record.highest;
      if (accepted) {
        record.highest = token;
        record.value = value;
      }
      this.log.push({ partition, worker, token: String(token), value, readValue, accepted });
      res.end(JSON.stringify({ accepted }));
    });
  }

  #record(partition: string): { value: number; highest: bigint } {
    let record = this.records.get(partition);
    if (!record) {
      record = { value: 0, highest: -1n };
      this.records.set(partition, record);
    }
    return record;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Per partition: accepted tokens never go down, no update is lost, the value counts the writes. Returns the accepted count. */
export function checkPartitionLog(store: PartitionStore, violations: string[]): number {
  const byPartition = new Map<string, PartitionWrite[]>();
  for (const w of store.log) if (w.accepted) byPartition.set(w.partition, [...(byPartition.get(w.partition) ?? []), w]);
  let accepted = 0;
  for (const [partition, writes] of byPartition) {
    let expected = 0;
    let lastToken = -1n;
    for (const w of writes) {
      const token = BigInt(w.token);
      if (token < lastToken) violations.push(`${partition}: accepted token ${token} after ${lastToken} (${w.worker}): two owners`);
      if (w.readValue !== expected) violations.push(`${partition}: lost update: ${w.worker} read ${w.readValue}, record was ${expected}`);
      lastToken = token;
      expected = w.value;
    }
    accepted += writes.length;
    const final = store.records.get(partition)?.value;
    if (final !== writes.length) violations.push(`${partition}: final value ${final} != ${writes.length} accepted writes`);
  }
  return accepted;
}

/** One stored assignment as the harness's watcher saw it. */
export interface AssignmentVersion {
  readonly version: number;
  readonly data: Buffer;
}

/**
 * Each assignment against the one just before it (consecutive versions only: a watcher may miss
 * one under faults): at most `slack` × the moves balance needed. Returns the worst ratio.
 */
export function checkAssignmentMoves(
  history: readonly AssignmentVersion[],
  partitions: readonly string[],
  slack: number,
  violations: string[],
): number {
  let worst = 0;
  for (let i = 1; i < history.length; i++) {
    const [before, after] = [history[i - 1]!, history[i]!];
    if (after.version !== before.version + 1) continue;
    const [a, b] = [decodeAssignment(before.data), decodeAssignment(after.data)];
    if (!a || !b) continue;
    const members = [...new Set(b.values())];
    const needed = minimumMoves(a, members, partitions);
    const actual = moved(a, b).length;
    if (needed > 0) worst = Math.max(worst, actual / needed);
    if (actual > Math.max(needed * slack, needed))
      violations.push(`assignment v${after.version} moved ${actual} partitions where ${needed} would do`);
  }
  return worst;
}
