/**
 * Per-test isolation: each test gets its own namespace (`/t-<uuid>`) and the clients it makes
 * are closed and the namespace removed afterwards.
 */
import type { AuthInfo } from '../zookeeper/acl.js';
import { randomUUID } from 'node:crypto';
import { ZkClient, type ZkClientOptions } from '../zookeeper/client.js';
import { joinPath } from '../zookeeper/paths.js';

/** A namespace of one test: make clients in it, list what is left, clean everything up. */
export class TestNamespace {
  readonly connectString: string;
  /** `/t-<uuid>`. */
  readonly namespace: string;
  readonly #clients = new Set<ZkClient>();

  readonly #adminAuth: readonly AuthInfo[];
  readonly #clientDefaults: Partial<ZkClientOptions>;

  /**
   * `adminAuth`: credentials of the clean-up client (e.g. a superuser), for nodes made under
   * restrictive ACLs. `clientDefaults`: options of every client made here (e.g. `tls`).
   */
  constructor(
    connectString: string,
    namespace = `/t-${randomUUID()}`,
    adminAuth: readonly AuthInfo[] = [],
    clientDefaults: Partial<ZkClientOptions> = {},
  ) {
    this.connectString = connectString;
    this.namespace = namespace;
    this.#adminAuth = adminAuth;
    this.#clientDefaults = clientDefaults;
  }

  /** The options every client made here gets (e.g. `tls`), for clients a test builds itself. */
  get clientDefaults(): Partial<ZkClientOptions> {
    return this.#clientDefaults;
  }

  /** Clients made here and not yet cleaned up. */
  get clients(): readonly ZkClient[] {
    return [...this.#clients];
  }

  /** A started client in this namespace (closed by {@link cleanup}). */
  async client(options: Partial<ZkClientOptions> = {}): Promise<ZkClient> {
    const client = this.unstartedClient(options);
    await client.start();
    return client;
  }

  /** A client in this namespace, not yet started. */
  unstartedClient(options: Partial<ZkClientOptions> = {}): ZkClient {
    const client = new ZkClient({
      connectString: this.connectString,
      sessionTimeoutMs: 4000,
      namespace: this.namespace,
      ...this.#clientDefaults,
      ...options,
    });
    this.#clients.add(client);
    return client;
  }

  /** Every node path under the namespace (depth first), relative to it. */
  async listTree(client?: ZkClient): Promise<string[]> {
    const admin = client ?? (await this.client());
    const out: string[] = [];
    const walk = async (path: string): Promise<void> => {
      let children: string[];
      try {
        children = (await admin.getChildren(path)).children;
      } catch {
        return;
      }
      for (const child of children.sort()) {
        const full = joinPath(path, child);
        out.push(full);
        await walk(full);
      }
    };
    await walk('/');
    return out;
  }

  /** Closes every client made here and deletes the namespace with all its nodes. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.#clients].map((c) => c.close()));
    this.#clients.clear();
    const admin = new ZkClient({
      connectString: this.connectString,
      sessionTimeoutMs: 4000,
      ...this.#clientDefaults,
      auth: this.#adminAuth,
    });
    try {
      await admin.start();
      await deleteRecursive(admin, this.namespace);
    } finally {
      await admin.close();
    }
  }
}

/** Deletes a node and everything under it; a missing node is fine. */
export async function deleteRecursive(client: ZkClient, path: string): Promise<void> {
  let children: string[];
  try {
    children = (await client.getChildren(path)).children;
  } catch (error) {
    if ((error as { code?: string }).code === 'NO_NODE') return;
    throw error;
  }
  for (const child of children) await deleteRecursive(client, joinPath(path, child));
  try {
    await client.delete(path);
  } catch (error) {
    if ((error as { code?: string }).code !== 'NO_NODE') throw error;
  }
}
