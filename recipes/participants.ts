/**
 * Participants of an election (LeaderLatch or LeaderSelector): every node in queue order with
 * the id it carries as UTF-8 data; the first one leads (Curator's `getParticipants`).
 */
import { NoNodeError } from '../src/core/errors.js';
import { joinPath } from '../src/zookeeper/paths.js';
import type { SequentialQueue } from '../src/zookeeper/sequential-queue.js';

/** One participant of an election. */
export interface Participant {
  /** The id the participant chose (its node's data as UTF-8). */
  readonly id: string;
  /** True for the first node in queue order. */
  readonly isLeader: boolean;
  /** Its node's path. */
  readonly nodePath: string;
}

export async function readParticipants(queue: SequentialQueue): Promise<Participant[]> {
  const sorted = await queue.sortedChildren();
  const out: Participant[] = [];
  for (const name of sorted) {
    const nodePath = joinPath(queue.parentPath, name);
    try {
      const { data } = await queue.client.getData(nodePath);
      out.push({ id: data.toString('utf8'), isLeader: out.length === 0, nodePath });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error; // left meanwhile: skip it, as Curator does
    }
  }
  return out;
}
