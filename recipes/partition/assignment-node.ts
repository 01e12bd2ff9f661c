/**
 * The WorkPartitioner's `<path>/assignment` node: who should own which partition, as JSON,
 * followed by a node cache and written with a version check (so a coordinator with a stale read
 * loses, re-reads and decides again). The last member to leave removes it.
 */
import type { ZkClient } from '../../src/zookeeper/client.js';
import { BadVersionError, NodeExistsError, NoNodeError } from '../../src/core/errors.js';
import { joinPath } from '../../src/zookeeper/paths.js';
import type { OperationOptions } from '../../src/zookeeper/types.js';
import { CuratorCache } from '../cache/curator-cache.js';
import { type Assignment, decodeAssignment, encodeAssignment } from './assignment.js';

export class AssignmentNode {
  readonly path: string;
  readonly #client: ZkClient;
  readonly #cache: CuratorCache<Buffer>;
  #current: { owners: Assignment; version: number } | undefined;

  /** `changed` runs on every new read (or deletion); `error` on the cache's background failures. */
  constructor(client: ZkClient, partitionerPath: string, changed: () => void, error: (error: unknown) => void) {
    this.#client = client;
    this.path = joinPath(partitionerPath, 'assignment');
    this.#cache = new CuratorCache(client, this.path, { mode: 'node' });
    const read = (node: { data: Buffer; stat: { version: number } }) => {
      this.#current = { owners: decodeAssignment(node.data) ?? new Map(), version: node.stat.version };
      changed();
    };
    this.#cache.on('created', read);
    this.#cache.on('changed', read);
    this.#cache.on('deleted', () => {
      this.#current = undefined;
      changed();
    });
    this.#cache.on('error', error);
  }

  /** The owners as last read, or undefined before one is written. */
  get owners(): Assignment | undefined {
    return this.#current?.owners;
  }

  start(options: OperationOptions): Promise<void> {
    return this.#cache.start(options);
  }

  close(): Promise<void> {
    return this.#cache.close();
  }

  /** Writes `next` over the assignment as read; false when someone wrote first (the cache brings theirs). */
  async write(next: Assignment): Promise<boolean> {
    const read = this.#current;
    try {
      if (read) {
        const stat = await this.#client.setData(this.path, encodeAssignment(next), { version: read.version });
        if (!this.#current || this.#current.version < stat.version) this.#current = { owners: next, version: stat.version };
      } else {
        await this.#client.create(this.path, encodeAssignment(next), { createParents: 'container' });
        this.#current ??= { owners: next, version: 0 };
      }
      return true;
    } catch (error) {
      if (error instanceof BadVersionError || error instanceof NodeExistsError) return false;
      throw error;
    }
  }

  /**
   * Removes the assignment when `membersPath` has no child left, so an idle partitioner leaves
   * nothing behind (members/ and locks/ are containers). Each member looks after its own node
   * is gone, so the last of several leaving at once sees an empty group; one joining meanwhile
   * writes a new assignment.
   */
  async removeIfGroupEmpty(membersPath: string): Promise<void> {
    if (!this.#client.connected) return;
    try {
      const { children } = await this.#client.getChildren(membersPath);
      if (children.length > 0) return;
    } catch (error) {
      if (!(error instanceof NoNodeError)) return;
    }
    await this.#client.delete(this.path).catch(() => undefined);
  }
}
