/**
 * The WorkPartitioner's assignment: which member owns which partition. Pure functions, so every
 * member computes the same thing from the same inputs.
 *
 * Sticky and balanced: a rebalance starts from the previous assignment, keeps every partition
 * whose owner is still a member and within its share, and hands out only the rest (the departed
 * members' and the excess over a share) — the fewest moves that reach balance (shares differ by
 * at most one). Which partitions go where is decided by rendezvous scores, so ties break the
 * same way everywhere without coordination.
 */
import { createHash } from 'node:crypto';

/** Owners by partition. */
export type Assignment = ReadonlyMap<string, string>;

/** The rendezvous score of `member` for `partition` (highest wins). */
export function score(member: string, partition: string): bigint {
  return createHash('md5').update(member).update('\u0000').update(partition).digest().readBigUInt64BE(0);
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The next assignment of `partitions` among `members`, moving as few partitions as balance
 * needs. Every partition gets exactly one member (none when there are no members).
 */
export function rebalance(previous: Assignment, members: readonly string[], partitions: readonly string[]): Map<string, string> {
  const ids = [...new Set(members)].sort(byId);
  const next = new Map<string, string>();
  if (ids.length === 0) return next;
  const held = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const partition of partitions) {
    const owner = previous.get(partition);
    if (owner !== undefined) held.get(owner)?.push(partition);
  }
  // Shares: floor(P/N) each, one more for P mod N members — those holding the most already,
  // so the fewest partitions have to leave them.
  const base = Math.floor(partitions.length / ids.length);
  const extra = partitions.length % ids.length;
  const byHolding = [...ids].sort((a, b) => (held.get(b)?.length ?? 0) - (held.get(a)?.length ?? 0) || byId(a, b));
  const share = new Map(byHolding.map((id, rank) => [id, base + (rank < extra ? 1 : 0)]));
  const room = new Map<string, number>();
  for (const id of ids) {
    // Keep what scores highest for this member, up to its share.
    const mine = (held.get(id) ?? []).sort((a, b) => compareScores(score(id, b), score(id, a)) || byId(a, b));
    const keep = mine.slice(0, share.get(id));
    for (const partition of keep) next.set(partition, id);
    room.set(id, (share.get(id) ?? 0) - keep.length);
  }
  for (const partition of partitions) {
    if (next.has(partition)) continue;
    let best: string | undefined;
    let bestScore = -1n;
    for (const id of ids) {
      if ((room.get(id) ?? 0) <= 0) continue;
      const s = score(id, partition);
      if (s > bestScore || (s === bestScore && best !== undefined && id < best)) {
        best = id;
        bestScore = s;
      }
    }
    if (best === undefined) break; // cannot happen: the shares add up to the partitions
    next.set(partition, best);
    room.set(best, (room.get(best) ?? 0) - 1);
  }
  return next;
}

function compareScores(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Partitions whose owner differs between two assignments (one with no owner counts). */
export function moved(before: Assignment, after: Assignment): string[] {
  const partitions = new Set([...before.keys(), ...after.keys()]);
  return [...partitions].filter((p) => before.get(p) !== after.get(p)).sort(byId);
}

/** The fewest moves any balanced assignment needs from `before` to one among `members`. */
export function minimumMoves(before: Assignment, members: readonly string[], partitions: readonly string[]): number {
  const ids = [...new Set(members)];
  if (ids.length === 0) return 0;
  const base = Math.floor(partitions.length / ids.length);
  const extra = partitions.length % ids.length;
  const counts = ids.map((id) => partitions.filter((p) => before.get(p) === id).length).sort((a, b) => b - a);
  // The most a member can keep is its share; the biggest holders get the bigger shares.
  const kept = counts.reduce((sum, count, rank) => sum + Math.min(count, base + (rank < extra ? 1 : 0)), 0);
  return partitions.length - kept;
}

/** The stored form: `{"version":1,"owners":{"<partition>":"<member>",...}}`. */
export function encodeAssignment(assignment: Assignment): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, owners: Object.fromEntries([...assignment].sort(([a], [b]) => byId(a, b))) }));
}

/** Reads the stored form; undefined for anything else (the coordinator then writes a fresh one). */
export function decodeAssignment(data: Buffer): Map<string, string> | undefined {
  try {
    const parsed = JSON.parse(data.toString('utf8')) as { version?: unknown; owners?: unknown };
    if (parsed.version !== 1 || typeof parsed.owners !== 'object' || parsed.owners === null) return undefined;
    const owners = new Map<string, string>();
    for (const [partition, owner] of Object.entries(parsed.owners)) if (typeof owner === 'string') owners.set(partition, owner);
    return owners;
  } catch {
    return undefined;
  }
}

/** Same owners for the same partitions. */
export function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [partition, owner] of a) if (b.get(partition) !== owner) return false;
  return true;
}
