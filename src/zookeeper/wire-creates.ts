/**
 * Creates on the wire: create2 / createContainer where the server speaks them (3.5+, learned from
 * its first answer), the 3.4 create otherwise, and parent chains that survive the container
 * reaper deleting an ancestor between two of our creates.
 */
import { NodeExistsError, NoNodeError, UnsupportedByServerError, ZooKeeperError } from '../core/errors.js';
import type { NamespaceMapping } from './namespace-mapping.js';
import { parentOf } from './paths.js';
import type { RequestTracker } from './request-tracker.js';
import type { SessionHandle } from './session-handle.js';
import { type Acl, CreateMode, type Stat } from './types.js';

/**
 * How often a parent chain is made again when the server's container reaper races it: in practice
 * once or twice; the bound only keeps a pathological deleter from spinning us past the deadline.
 */
const MKDIRP_ROUNDS = 1000;

/** One create request on the wire. */
export interface WireCreate {
  /** The wire path (namespace included). */
  readonly full: string;
  readonly data: Buffer | null | undefined;
  readonly acl: readonly Acl[];
  readonly mode: number;
  /** The request's deadline, from when it is sent. */
  readonly timeoutMs: number;
  /** Stops waiting for the answer (never an answer already coming). */
  readonly signal: AbortSignal | undefined;
  /** Ask for the new node's Stat (create2) even for a mode the 3.4 create could make. */
  readonly wantStat: boolean;
  /** The TTL of a `*_WITH_TTL` node (sent as createTTL). */
  readonly ttlMs?: number;
}

/** One client's creates. */
export class WireCreates {
  readonly #requests: RequestTracker;
  readonly #paths: NamespaceMapping;
  readonly #aclFor: (userPath: string) => readonly Acl[];
  /** Whether the server speaks create2 / createContainer (3.5+); learned from its first answer. */
  #create2: boolean | undefined;

  constructor(requests: RequestTracker, paths: NamespaceMapping, aclFor: (userPath: string) => readonly Acl[]) {
    this.#requests = requests;
    this.#paths = paths;
    this.#aclFor = aclFor;
  }

  /** True when the server makes CONTAINER nodes (and answers create2), false on 3.4, undefined until a create told us. */
  get containersSupported(): boolean | undefined {
    return this.#create2;
  }

  /**
   * One create: create2 / createContainer where the server speaks them, else the 3.4 create (a
   * CONTAINER then becomes PERSISTENT). A 3.4 server answers UNIMPLEMENTED without creating
   * anything, so the fallback may send the create again.
   */
  async create(handle: SessionHandle, c: WireCreate): Promise<{ path: string; stat?: Stat }> {
    const { full, data, acl, mode, timeoutMs, signal } = c;
    if (c.ttlMs !== undefined) {
      try {
        return await this.#requests.call<{ path: string; stat: Stat }>('create', full, timeoutMs, signal, (cb) =>
          handle.createTtl(full, data, acl, mode, c.ttlMs as number, cb),
        );
      } catch (error) {
        if (!(error instanceof ZooKeeperError) || error.code !== 'UNIMPLEMENTED') throw error;
        throw new UnsupportedByServerError(
          'TTL nodes',
          'They need ZooKeeper 3.5.3+ started with -Dzookeeper.extendedTypesEnabled=true (the testing kit: TestingServer.start({ ttlNodes: true })).',
          { cause: error },
        );
      }
    }
    if ((c.wantStat || mode === CreateMode.CONTAINER) && this.#create2 !== false) {
      try {
        const created = await this.#requests.call<{ path: string; stat: Stat }>('create', full, timeoutMs, signal, (cb) =>
          handle.create2(full, data, acl, mode, cb),
        );
        this.#create2 = true;
        return created;
      } catch (error) {
        if (!(error instanceof ZooKeeperError) || error.code !== 'UNIMPLEMENTED') {
          if (error instanceof ZooKeeperError) this.#create2 = true; // it understood the request
          throw error;
        }
        this.#create2 = false;
      }
    }
    const wireMode = mode === CreateMode.CONTAINER ? CreateMode.PERSISTENT : mode;
    return {
      path: await this.#requests.call<string>('create', full, timeoutMs, signal, (cb) => handle.create(full, data, acl, wireMode, cb)),
    };
  }

  /**
   * {@link create}, and with `parents` the missing parent chain first when the create answers
   * NO_NODE — again if the reaper deletes a parent we just made before our create lands.
   */
  async createWithParents(
    handle: SessionHandle,
    c: WireCreate,
    parents: 'persistent' | 'container' | undefined,
  ): Promise<{ path: string; stat?: Stat }> {
    const giveUpAt = Date.now() + c.timeoutMs;
    for (let round = 0; ; round++) {
      try {
        return await this.create(handle, c);
      } catch (error) {
        if (!(error instanceof NoNodeError) || !parents || round >= MKDIRP_ROUNDS || Date.now() >= giveUpAt) throw error;
        await this.mkdirp(handle, parentOf(c.full), c.timeoutMs, c.signal, parents === 'container');
      }
    }
  }

  /**
   * Makes `wirePath` and its missing ancestors (as containers with `container`; the namespace
   * node itself always persistent). An ancestor that existed when we passed it can be reaped
   * before its child is made: the child's create then answers NO_NODE, and the chain is made again.
   */
  async mkdirp(
    handle: SessionHandle,
    wirePath: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    container: boolean,
  ): Promise<void> {
    if (wirePath === '/') return;
    const segments = wirePath.slice(1).split('/');
    const ns = this.#paths.namespace;
    const giveUpAt = Date.now() + timeoutMs;
    for (let round = 0; ; round++) {
      let current = '';
      try {
        for (const segment of segments) {
          current += `/${segment}`;
          const mode = container && current.length > ns.length ? CreateMode.CONTAINER : CreateMode.PERSISTENT;
          try {
            await this.create(handle, {
              full: current,
              data: null,
              acl: this.#aclFor(this.#paths.toUser(current)),
              mode,
              timeoutMs,
              signal,
              wantStat: false,
            });
          } catch (error) {
            if (!(error instanceof NodeExistsError)) throw error;
          }
        }
        return;
      } catch (error) {
        if (!(error instanceof NoNodeError) || round >= MKDIRP_ROUNDS || Date.now() >= giveUpAt) throw error;
      }
    }
  }
}
