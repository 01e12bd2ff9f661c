/**
 * Recognises what lives at a path — mutex, read-write lock, semaphore, leader latch or selector
 * (Curator's nodes included), work partitioner — and describes holders and queue in order. Used
 * by the CLI.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { NoNodeError } from '../src/core/errors.js';
import { joinPath, parseSequence, protectedUuidOf, sortBySequence, validatePath } from '../src/zookeeper/paths.js';
import {
  LATCH_NODE_NAME,
  LEASE_NODE_NAME,
  LEASE_PARENT,
  LOCK_PARENT,
  MUTEX_NODE_NAME,
  READ_NODE_NAME,
  WRITE_NODE_NAME,
} from './node-names.js';
import { NO_SESSION } from '../src/zookeeper/session-id.js';

/** What `inspectRecipe` recognised at a path. */
export type RecipeKind = 'mutex-or-selector' | 'read-write-lock' | 'semaphore' | 'leader-latch' | 'work-partitioner' | 'plain';
/** A node's part in its recipe. */
export type NodeRole =
  | 'holder'
  | 'waiting'
  | 'leader'
  | 'follower'
  | 'lease'
  | 'gate-holder'
  | 'gate-waiting'
  | 'member'
  | 'assignment'
  | 'child';

/** One node of an inspected recipe. */
export interface InspectedNode {
  readonly path: string;
  readonly name: string;
  readonly role: NodeRole;
  readonly sequence: number | undefined;
  /** Owner session as ZooKeeper writes it (`0x10000a3c2f70001`); undefined for a persistent node. */
  readonly session: string | undefined;
  /** Data as text when printable, else hex prefixed with `0x`. */
  readonly data: string;
  readonly ageMs: number;
  /** True for Curator-style protected names (`_c_<uuid>-`). */
  readonly protectedName: boolean;
}

/** What {@link inspectRecipe} found. */
export interface InspectReport {
  readonly path: string;
  readonly kind: RecipeKind;
  readonly nodes: readonly InspectedNode[];
}

function printable(data: Buffer): string {
  const text = data.toString('utf8');
  return /^[\x20-\x7e\u00a0-\uffff]*$/.test(text) ? text : `0x${data.toString('hex')}`;
}

async function describeNodes(
  client: ZkClient,
  parent: string,
  names: readonly string[],
  sortNames: readonly string[],
  roleOf: (name: string, index: number) => NodeRole,
): Promise<InspectedNode[]> {
  const out: InspectedNode[] = [];
  for (const [index, name] of names.entries()) {
    const path = joinPath(parent, name);
    try {
      const { data, stat } = await client.getData(path);
      out.push({
        path,
        name,
        role: roleOf(name, index),
        sequence: parseSequence(name, sortNames),
        session: stat.ephemeralOwner === NO_SESSION ? undefined : stat.ephemeralOwner,
        data: printable(data),
        ageMs: Date.now() - stat.ctime,
        protectedName: protectedUuidOf(name) !== undefined,
      });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error; // gone meanwhile
    }
  }
  return out;
}

/**
 * Roles in a read-write lock: the first node, if a writer, holds the write lock; a reader holds
 * when no writer is ahead of it — or when the writer holding the lock is of its own session (a
 * downgrade: the write owner's read lock is granted wherever its node sorts).
 */
export function readWriteRoles(nodes: readonly InspectedNode[]): InspectedNode[] {
  const isWriter = (n: InspectedNode) => n.name.includes(WRITE_NODE_NAME);
  // The holding writer is the first writer with nothing ahead of it but downgrade read nodes,
  // which share its sequence number (Curator 5.5+, and ours) and may list before it.
  const firstWriter = nodes.findIndex(isWriter);
  const candidate = firstWriter === -1 ? undefined : nodes[firstWriter];
  const writeHolder = candidate && nodes.slice(0, firstWriter).every((n) => n.sequence === candidate.sequence) ? candidate : undefined;
  let writerAhead = false;
  return nodes.map((node) => {
    let role: NodeRole;
    if (isWriter(node)) role = node === writeHolder ? 'holder' : 'waiting';
    else if (!writerAhead && (!writeHolder || node.sequence === writeHolder.sequence)) role = 'holder';
    else role = writeHolder && writeHolder.session !== undefined && writeHolder.session === node.session ? 'holder' : 'waiting';
    if (isWriter(node)) writerAhead = true;
    return { ...node, role };
  });
}

/** Looks at `path` and describes the recipe living there. NoNodeError when nothing is there. */
export async function inspectRecipe(client: ZkClient, path: string): Promise<InspectReport> {
  validatePath(path);
  const { children } = await client.getChildren(path);
  // Before the semaphore: a partitioner has a `locks` child too, next to `members`.
  if (children.includes('members') && (children.includes('assignment') || children.includes('locks'))) {
    return { path, kind: 'work-partitioner', nodes: await describePartitioner(client, path, children) };
  }
  if (children.includes(LEASE_PARENT) || children.includes(LOCK_PARENT)) {
    const list = async (sub: string) =>
      (await client.getChildren(joinPath(path, sub)).catch(() => ({ children: [] as string[] }))).children;
    const leases = sortBySequence(await list(LEASE_PARENT), [LEASE_NODE_NAME]);
    const gate = sortBySequence(await list(LOCK_PARENT), [MUTEX_NODE_NAME]);
    const nodes = [
      ...(await describeNodes(client, joinPath(path, LEASE_PARENT), leases, [LEASE_NODE_NAME], () => 'lease')),
      ...(await describeNodes(client, joinPath(path, LOCK_PARENT), gate, [MUTEX_NODE_NAME], (_, i) =>
        i === 0 ? 'gate-holder' : 'gate-waiting',
      )),
    ];
    return { path, kind: 'semaphore', nodes };
  }
  if (children.some((c) => c.includes(READ_NODE_NAME) || c.includes(WRITE_NODE_NAME))) {
    const sortNames = [READ_NODE_NAME, WRITE_NODE_NAME];
    const sorted = sortBySequence(children, sortNames);
    const described = await describeNodes(client, path, sorted, sortNames, () => 'waiting');
    return { path, kind: 'read-write-lock', nodes: readWriteRoles(described) };
  }
  if (children.some((c) => c.includes(LATCH_NODE_NAME))) {
    const sorted = sortBySequence(children, [LATCH_NODE_NAME]);
    return {
      path,
      kind: 'leader-latch',
      nodes: await describeNodes(client, path, sorted, [LATCH_NODE_NAME], (_, i) => (i === 0 ? 'leader' : 'follower')),
    };
  }
  if (children.some((c) => c.includes(MUTEX_NODE_NAME))) {
    const sorted = sortBySequence(children, [MUTEX_NODE_NAME]);
    return {
      path,
      kind: 'mutex-or-selector',
      nodes: await describeNodes(client, path, sorted, [MUTEX_NODE_NAME], (_, i) => (i === 0 ? 'holder' : 'waiting')),
    };
  }
  return { path, kind: 'plain', nodes: await describeNodes(client, path, [...children].sort(), [], () => 'child') };
}

/**
 * A WorkPartitioner: its members, its assignment (who should own what, as JSON) and, per
 * partition, the lock queue (the holder owns the partition now; a waiter is the member it moves to).
 */
async function describePartitioner(client: ZkClient, path: string, children: readonly string[]): Promise<InspectedNode[]> {
  const list = async (sub: string) => (await client.getChildren(joinPath(path, sub)).catch(() => ({ children: [] as string[] }))).children;
  const nodes = await describeNodes(client, joinPath(path, 'members'), [...(await list('members'))].sort(), [], () => 'member');
  if (children.includes('assignment')) nodes.push(...(await describeNodes(client, path, ['assignment'], [], () => 'assignment')));
  const partitions = [...(await list('locks'))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const partition of partitions) {
    const queue = sortBySequence(await list(joinPath('locks', partition)), [MUTEX_NODE_NAME]);
    nodes.push(
      ...(await describeNodes(client, joinPath(joinPath(path, 'locks'), partition), queue, [MUTEX_NODE_NAME], (_, i) =>
        i === 0 ? 'holder' : 'waiting',
      )),
    );
  }
  return nodes;
}
