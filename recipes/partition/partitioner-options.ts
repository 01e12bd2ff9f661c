/**
 * The WorkPartitioner's public types and option checks.
 */
import type { Lease } from '../../src/lock/lease.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { describeValue, type OptionKeys } from '../../src/core/options.js';
import type { OperationOptions } from '../../src/zookeeper/types.js';

/**
 * Where a partitioner stands (Kazoo's SetPartitioner states): `allocating` while it waits for
 * partitions assigned to it, `releasing` while it gives some up, `acquired` when it owns exactly
 * its share, `failure` while its connection is down, `closed`.
 */
export type PartitionerState = 'latent' | 'allocating' | 'acquired' | 'releasing' | 'failure' | 'closed';

/** Why a partition was given up. */
export type RevokeReason = 'rebalanced' | 'lost' | 'closed';

/** Events of a {@link WorkPartitioner}. */
export interface WorkPartitionerEvents {
  [event: string]: unknown[];
  /** This member now owns `partition`; stop working on it when `lease.signal` aborts. */
  assigned: [partition: string, lease: Lease];
  /** This member no longer owns `partition` (given to another, lost, or closing). */
  revoked: [partition: string, reason: RevokeReason];
  /** The state changed. */
  state: [state: PartitionerState];
  /** A background failure; the partitioner keeps trying. */
  error: [error: unknown];
}

/** Options of {@link WorkPartitioner}. */
export interface WorkPartitionerOptions {
  /** This member's id: a node name, unique in the group. */
  readonly id: string;
  /** The partitions (node names), or a count `n` for `'0'`…`'n-1'`. Give every member the same. */
  readonly partitions: readonly string[] | number;
  /** This member's data in the group. @default null */
  readonly data?: Buffer | null;
}

export const OPTION_KEYS: OptionKeys<WorkPartitionerOptions> = { id: true, partitions: true, data: true };
export const WAIT_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };

export function checkPartitions(value: unknown): string[] {
  const list =
    typeof value === 'number' && Number.isInteger(value) && value > 0 ? Array.from({ length: value }, (_, i) => String(i)) : value;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidArgumentError(`partitions must be a non-empty list of names or a positive count, got ${describeValue(value)}.`);
  for (const name of list) {
    if (typeof name !== 'string' || name === '' || name.includes('/') || name === '.' || name === '..')
      throw new InvalidArgumentError(`a partition must be a node name (not empty, no '/'), got ${describeValue(name)}.`);
  }
  if (new Set(list).size !== list.length) throw new InvalidArgumentError('partitions must not repeat a name.');
  return [...list] as string[];
}
