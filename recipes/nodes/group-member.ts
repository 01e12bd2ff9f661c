/**
 * GroupMember (Curator's layout): each member is an EPHEMERAL node `<groupPath>/<id>` holding
 * the member's data, kept by a {@link PersistentNode}; a children cache of `<groupPath>` shows
 * the group. A Curator GroupMember on the same path sees our members and we see its.
 */
import { networkInterfaces } from 'node:os';
import type { ZkClient } from '../../src/zookeeper/client.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../../src/core/options.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import { validateTimeout } from '../../src/zookeeper/client-options.js';
import { joinPath, nodeNameOf, parentOf, validatePath } from '../../src/zookeeper/paths.js';
import type { OperationOptions } from '../../src/zookeeper/types.js';
import { CuratorCache } from '../cache/curator-cache.js';
import type { CachedNode } from '../cache/cache-view.js';
import { PersistentNode } from './persistent-node.js';

/** Events of a {@link GroupMember}: the group as this member's cache sees it (itself included). */
export interface GroupMemberEvents {
  [event: string]: unknown[];
  /** A member's node appeared. */
  joined: [id: string, data: Buffer];
  /** A member's data changed. */
  changed: [id: string, data: Buffer];
  /** A member's node went (it closed, or its session ended). */
  left: [id: string];
  /** A background failure (the node or the cache); both keep trying. */
  error: [error: unknown];
}

const WAIT_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };

/** This host's first external IPv4 address, as Curator's default member data (its local address). */
function localAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

/** A member id is one node name. */
export function checkMemberId(id: unknown): string {
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\u0000'))
    throw new InvalidArgumentError(`a member id must be a node name (not empty, no '/'), got ${describeValue(id)}.`);
  return id;
}

/**
 * ```ts
 * const member = new GroupMember(client, '/workers', 'worker-1', Buffer.from('10.0.0.7'));
 * await member.start({ timeoutMs: 10_000 });
 * member.on('left', (id) => console.log(`${id} left`));
 * console.log([...member.members().keys()]); // ['worker-1', 'worker-2', ...]
 * ```
 */
export class GroupMember implements AsyncDisposable {
  readonly client: ZkClient;
  readonly groupPath: string;
  readonly id: string;
  readonly #node: PersistentNode;
  readonly #cache: CuratorCache<Buffer>;
  readonly #events = new TypedEvents<GroupMemberEvents>();
  #started = false;

  constructor(client: ZkClient, groupPath: string, id: string, data: Buffer | null = Buffer.from(localAddress())) {
    if (!client || typeof client.create !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.groupPath = validatePath(groupPath);
    this.id = checkMemberId(id);
    this.#node = new PersistentNode(client, joinPath(this.groupPath, id), data, { mode: 'ephemeral' });
    this.#cache = new CuratorCache(client, this.groupPath, { mode: 'children' });
    const isMember = (node: CachedNode<Buffer>) => node.path !== this.groupPath && parentOf(node.path) === this.groupPath;
    this.#cache.on('created', (node) => isMember(node) && this.#events.emit('joined', nodeNameOf(node.path), node.data));
    this.#cache.on('changed', (node) => isMember(node) && this.#events.emit('changed', nodeNameOf(node.path), node.data));
    this.#cache.on('deleted', (node) => isMember(node) && this.#events.emit('left', nodeNameOf(node.path)));
    this.#cache.on('error', (error) => this.#events.emit('error', error));
    this.#node.on('error', (error) => this.#events.emit('error', error));
  }

  /**
   * Joins: starts this member's node and the group cache, and resolves once both are there.
   * Rejects with WaitTimeoutError after `timeoutMs` or the signal's reason, having left the group
   * (the member is closed then).
   */
  async start(options: OperationOptions = {}): Promise<void> {
    checkOptionKeys('GroupMember.start() options', options, WAIT_KEYS);
    const timeoutMs = validateTimeout('timeoutMs', options.timeoutMs, 'to wait without a limit');
    if (this.#started) throw new InvalidArgumentError(`GroupMember ${this.id} on ${this.groupPath} was already started.`);
    this.#started = true;
    this.#node.start();
    const wait = { signal: options.signal, timeoutMs };
    try {
      await Promise.all([this.#node.waitForInitialCreate(wait), this.#cache.start(wait)]);
    } catch (error) {
      await this.close(); // a failed join leaves no node and no watch
      throw error;
    }
  }

  /** The members this process sees, by id, with their data; always includes this member. */
  members(): Map<string, Buffer> {
    const members = new Map<string, Buffer>();
    for (const name of this.#cache.children(this.groupPath)) {
      if (name === this.id) continue;
      const node = this.#cache.get(joinPath(this.groupPath, name));
      if (node) members.set(name, node.data);
    }
    members.set(this.id, this.#node.data ?? Buffer.alloc(0));
    return new Map([...members.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Sets this member's data (kept through session losses). */
  setData(data: Buffer | null): Promise<void> {
    return this.#node.setData(data);
  }

  /** The id a member path stands for (its last segment). */
  idFromPath(path: string): string {
    return nodeNameOf(path);
  }

  /** Subscribes to `joined`, `changed`, `left` or `error`. */
  on<K extends keyof GroupMemberEvents>(event: K, listener: (...args: GroupMemberEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Leaves: deletes this member's node and stops the cache. */
  async close(): Promise<void> {
    this.#events.removeAllListeners();
    await Promise.all([this.#node.close(), this.#cache.close()]);
  }

  /** `await using member = ...`: closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
