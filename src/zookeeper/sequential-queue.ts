/**
 * THE shared primitive of every lock-like recipe (docs/design.md §3): join with a protected
 * EPHEMERAL_SEQUENTIAL node, wait for a turn decided by a predicate while watching exactly one
 * other node, leave. Recipes differ only in their predicate.
 */
import type { ZkClient } from './client.js';
import { ConnectionState } from './connection-state.js';
import {
  InvalidArgumentError,
  NodeExistsError,
  NodeVanishedError,
  NoNodeError,
  SessionExpiredError,
  ZkRecipesError,
} from '../core/errors.js';
import { checkTimeoutMs } from '../core/limits.js';
import {
  joinPath,
  newProtectedPrefix,
  nodeNameOf,
  PROTECTED_PREFIX,
  parentOf,
  protectedUuidOf,
  sortBySequence,
  validatePath,
} from './paths.js';
import { ParentAclGuard } from './parent-acl.js';
import { deleteProtectedNode, findOwnNode, liveSet } from './protected-nodes.js';
import { formatSessionId, sameSession } from './session-id.js';
import { isRetryable, withRetry } from './retry.js';
import { CreateMode, type Stat } from './types.js';
import { WAIT_OVER, waitForWatch } from './wait.js';
import type { WaitTrace } from '../core/wait-trace.js';

/** What a predicate decides for our node, given every contender sorted by sequence. */
export type TurnDecision = { readonly acquired: true } | { readonly acquired: false; readonly watch: string };

/** `(sorted node names, our node name) => decision`. Pure, so it is unit-testable. */
export type TurnPredicate = (sorted: readonly string[], ours: string) => TurnDecision;

/** Our node in a queue. */
export interface QueueNode {
  /** Full path (relative to the client's namespace). */
  readonly path: string;
  /** The node name (last segment). */
  readonly name: string;
  /** The session (hex) that owns the node. */
  readonly sessionId: string;
  /**
   * The parent's children as listed right after our create, in the same round trip (requests of
   * one session are processed in order, so it includes our node). waitTurn starts from it.
   */
  readonly listing?: readonly string[];
  /** The node's Stat from the create reply (create2, ZooKeeper 3.5+): its czxid is the fencing token. */
  readonly stat?: Stat;
  /** The parent's Stat from that listing (which incarnation of the parent we joined). */
  readonly parentStat?: Stat;
}

/**
 * A queue node in words, for people: its name, owner session (as ZooKeeper's logs write it) and
 * its data when that is short printable text (an IP, a participant id).
 */
export function describeNode(name: string, ephemeralOwner: string, data: Buffer | null | undefined): string {
  const text = data && data.length > 0 && data.length <= 64 ? data.toString('utf8') : '';
  const shown = /^[\x20-\x7e]+$/.test(text) ? `, data "${text}"` : '';
  return `${name} (session ${formatSessionId(ephemeralOwner)}${shown})`;
}

/** Options of a {@link SequentialQueue}. */
export interface SequentialQueueOptions {
  /** Names whose numeric suffix orders the queue, e.g. `['lock-']` or `['__READ__', '__WRIT__']`. */
  readonly sortNames: readonly string[];
  /**
   * Delete the parent node when the last contender leaves. By default (`'auto'`) parents are
   * CONTAINER nodes, as Curator makes them, and the server reaps them once empty — nothing to do
   * on our side — except on a 3.4 server, which cannot make containers: there the parent is
   * deleted in the same round trip as our node when we were the last. `true` always deletes that
   * way (two extra writes per uncontended cycle); `{ afterMs }` deletes once this queue object has
   * been idle that long; `false` never. A creator racing with a delete re-creates the parent.
   * @default 'auto'
   */
  readonly removeEmptyParent?: boolean | 'auto' | { readonly afterMs: number };
}

/** Options of one wait. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Epoch ms after which waiting (not evaluating) stops with `onTimeout()`. */
  readonly deadline?: number;
  /** Makes the error thrown when the deadline passes. */
  readonly onTimeout?: () => Error;
  /**
   * Hand-off without a re-list: when the node we watch was the only one ahead of us at our last
   * listing and it is deleted, we are first. Safe only where no node can ever sort ahead of an
   * existing one — sequence numbers only grow under one parent — so NOT for read-write locks
   * (Curator 5.5+ downgrade nodes reuse an older sequence number).
   */
  readonly trustSolePredecessor?: boolean;
  /** Where the wait notes the node it is behind (for its timeout error and slow-wait report). */
  readonly trace?: WaitTrace;
}

/** A queue of contenders under one parent path. */
export class SequentialQueue {
  readonly client: ZkClient;
  readonly parentPath: string;
  readonly #sortNames: readonly string[];
  readonly #removeEmptyParent: boolean | 'auto';
  readonly #removeAfterMs: number | undefined;
  #removeTimer: NodeJS.Timeout | undefined;
  readonly #parentAcl: ParentAclGuard;
  /** True when our last leave deleted the parent (or it was never seen): joins re-create it in the same round trip. */
  #parentMaybeMissing = true;

  constructor(client: ZkClient, parentPath: string, options: SequentialQueueOptions) {
    this.client = client;
    this.parentPath = validatePath(parentPath);
    this.#sortNames = options.sortNames;
    this.#parentAcl = new ParentAclGuard(client, this.parentPath);
    const remove = options.removeEmptyParent ?? 'auto';
    if (typeof remove === 'object') {
      if (!remove) throw new InvalidArgumentError('removeEmptyParent must be true, false or { afterMs: non-negative integer }.');
      checkTimeoutMs('removeEmptyParent.afterMs', remove.afterMs);
      this.#removeEmptyParent = false;
      this.#removeAfterMs = remove.afterMs;
    } else if (remove === true || remove === false || remove === 'auto') this.#removeEmptyParent = remove;
    else throw new InvalidArgumentError("removeEmptyParent must be 'auto', true, false or { afterMs }.");
  }

  /** Every contender's node name, sorted by sequence (Curator's order). */
  async sortedChildren(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    try {
      const { children } = await this.client.getChildren(this.parentPath, options);
      return sortBySequence(children, this.#sortNames);
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
  }

  /**
   * Creates our protected EPHEMERAL_SEQUENTIAL node `_c_<uuid>-<name><seq>`. After a connection
   * loss during the create, it first looks for a node with our uuid (the create may have
   * succeeded while its reply was lost) and deletes one left by an earlier session.
   */
  async join(name: string, data: Buffer | null, options: { signal?: AbortSignal; mode?: CreateMode } = {}): Promise<QueueNode> {
    clearTimeout(this.#removeTimer); // busy again: the parent stays
    this.#removeTimer = undefined;
    const prefix = newProtectedPrefix();
    const uuid = prefix.slice(PROTECTED_PREFIX.length, -1); // `_c_<uuid>-`
    const live = liveSet(this.client);
    live.add(uuid);
    const mode = options.mode ?? CreateMode.EPHEMERAL_SEQUENTIAL;
    const path = joinPath(this.parentPath, `${prefix}${name}`);
    const { signal } = options;
    let attempted = false;
    // The caller's signal stops waits for a connection and retries, but never a create in flight:
    // an abandoned create can still land on the server after we looked for it. Instead we wait
    // for its answer (bounded by the operation deadline) and delete what it made.
    const created = withRetry(
      async () => {
        signal?.throwIfAborted();
        if (attempted) {
          const found = await findOwnNode(this.client, this.parentPath, prefix, signal);
          if (found) return found;
        }
        // The parent may be deleted by a contender leaving an empty queue, or reaped by the server
        // (an empty container) between our creates: make the chain again, until the wait's deadline
        // (its signal) — the bound only stops a pathological deleter from spinning us for ever.
        for (let tries = 0; ; tries++) {
          try {
            attempted = true;
            return await this.#createAndList(path, data, mode, signal);
          } catch (error) {
            if (!(error instanceof NoNodeError) || tries >= 1000 || signal?.aborted) throw error;
            this.#parentMaybeMissing = true;
            await this.client.mkdirp(parentOf(this.parentPath), { signal, container: true });
          }
        }
      },
      // No signal here: p-retry would reject at the abort while a create is in flight, and the
      // caller would be answered before we know what to delete. Attempts check it themselves.
      this.client.retryPolicy,
    );
    let node: QueueNode;
    try {
      node = await created;
      // Never silently adopt a parent someone else made with an ACL that is not ours.
      await this.#parentAcl.check(node.parentStat, node.name, signal);
    } catch (error) {
      // A create that may have landed (a lost reply, a session change, an abort after sending):
      // find and delete its node in the background, as Curator does. A wait that gives up leaves
      // nothing behind, in whichever session its create was carried out.
      live.delete(uuid);
      if (attempted) void deleteProtectedNode(this.client, this.parentPath, prefix);
      throw error;
    }
    if (signal?.aborted) {
      await this.leave(node);
      throw signal.reason;
    }
    return node;
  }

  /**
   * One round trip: [create the parent if it may be missing], create our node, list the parent.
   * The requests go out back to back and ZooKeeper answers a session's requests in order.
   */
  async #createAndList(path: string, data: Buffer | null, mode: CreateMode, signal: AbortSignal | undefined): Promise<QueueNode> {
    const parent = this.#parentMaybeMissing
      ? // Not retried: a late retry could re-create the parent after a leave deleted it.
        this.client.create(this.parentPath, null, { retry: false, signal, mode: CreateMode.CONTAINER }).then(
          () => undefined,
          (error: unknown) => (error instanceof NodeExistsError ? undefined : error),
        )
      : undefined;
    // The node's session is the one the create went out in, which is not the session at call
    // time if the session changes while we wait for a connection: recording the wrong one would
    // make leave() skip the delete and leave a live ghost at the head of the queue.
    // Never retried blindly (join looks for its own node after a lost reply instead).
    const create = this.client.createInSession(path, data, { mode, signal, retry: false });
    const list = this.client.getChildren(this.parentPath).then(
      (r) => r,
      () => undefined, // the listing is an optimisation; waitTurn lists again without it
    );
    const [, created, listed] = await Promise.all([parent, create, list]);
    this.#parentMaybeMissing = false;
    const nodeName = nodeNameOf(created.path);
    const listing = listed?.children.includes(nodeName) ? listed.children : undefined;
    return {
      path: created.path,
      name: nodeName,
      sessionId: created.sessionId,
      listing,
      stat: created.stat,
      parentStat: listing ? listed?.stat : undefined,
    };
  }

  /**
   * Waits until `predicate` says our node has its turn. Watches exactly the one node the
   * predicate names; re-lists after its event or a reconnect; a missing watched node means
   * re-evaluate at once; our own node missing throws NodeVanishedError.
   * Returns the sorted contenders at the moment the turn came.
   */
  async waitTurn(node: QueueNode, predicate: TurnPredicate, options: WaitOptions = {}): Promise<readonly string[]> {
    const { signal } = options;
    let listing = node.listing;
    for (;;) {
      signal?.throwIfAborted();
      this.#assertSession(node);
      const sorted = listing ? sortBySequence(listing, this.#sortNames) : await this.sortedChildren({ signal });
      listing = undefined;
      if (!sorted.includes(node.name)) throw new NodeVanishedError(node.path);
      const decision = predicate(sorted, node.name);
      if (decision.acquired) return sorted;
      const remaining = options.deadline === undefined ? undefined : options.deadline - Date.now();
      if (remaining !== undefined && remaining <= 0) throw options.onTimeout?.() ?? new ZkRecipesError('TIMEOUT', 'Timed out');
      const gone = await this.#waitForChange(joinPath(this.parentPath, decision.watch), remaining, options);
      // Sequence numbers only grow: if the one node ahead of us is gone, we are first.
      if (gone && options.trustSolePredecessor && sorted.indexOf(node.name) === 1 && sorted[0] === decision.watch) {
        this.#assertSession(node);
        return sorted.slice(1);
      }
    }
  }

  /**
   * Waits until `admit(sorted, ours)` holds, re-checking on every change of the child list (one
   * children watch, set atomically with the listing) and whenever `subscribe` signals a change
   * of the rule itself (e.g. a semaphore's maxLeases). For count-based admission (semaphores),
   * where one waiter at a time may look (it holds a mutex meanwhile), so there is no herd.
   */
  async waitUntil(
    node: QueueNode,
    admit: (sorted: readonly string[], ours: string) => boolean,
    options: WaitOptions & { subscribe?: (wake: () => void) => () => void } = {},
  ): Promise<readonly string[]> {
    for (;;) {
      options.signal?.throwIfAborted();
      this.#assertSession(node);
      const iteration = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, iteration.signal]) : iteration.signal;
      try {
        const watched = await this.client.watchChildren(this.parentPath, { signal });
        const sorted = sortBySequence(watched.value.children, this.#sortNames);
        if (!sorted.includes(node.name)) throw new NodeVanishedError(node.path);
        if (admit(sorted, node.name)) return sorted;
        await waitForWatch(this.client, watched.changed, {
          deadline: options.deadline,
          onTimeout: () => options.onTimeout?.() ?? new ZkRecipesError('TIMEOUT', 'Timed out'),
          subscribe: options.subscribe,
        });
      } finally {
        iteration.abort(WAIT_OVER); // drops our listener of the children watch
      }
    }
  }

  /** One watch on `path`; settles on its event, a reconnect/loss, the deadline, or abort. */
  async #waitForChange(path: string, remainingMs: number | undefined, options: WaitOptions): Promise<boolean> {
    const iteration = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, iteration.signal]) : iteration.signal;
    try {
      let watched: Awaited<ReturnType<ZkClient['watchData']>>;
      try {
        // getData, not exists: exists on a missing node would leave a watch behind (Curator does the same).
        watched = await this.client.watchData(path, { signal });
      } catch (error) {
        if (error instanceof NoNodeError) return true; // predecessor already gone: re-evaluate now
        throw error;
      }
      if (options.trace)
        options.trace.blockedOn = `behind ${describeNode(nodeNameOf(path), watched.value.stat.ephemeralOwner, watched.value.data)}`;
      if (this.#isGhost(nodeNameOf(path), watched.value.stat.ephemeralOwner)) {
        // A node of our own live session that no wait or hold of ours owns: nobody would ever
        // delete it, so waiting for it would be for ever.
        await this.client.delete(path, { signal }).catch(() => undefined);
        return true;
      }
      const event = await waitForWatch(this.client, watched.changed, {
        deadline: remainingMs === undefined ? undefined : Date.now() + remainingMs,
        onTimeout: () => options.onTimeout?.() ?? new ZkRecipesError('TIMEOUT', 'Timed out'),
      });
      return event?.type === 'NODE_DELETED';
    } finally {
      iteration.abort(WAIT_OVER); // removes the watch listener if something else woke us
    }
  }

  #isGhost(name: string, owner: string): boolean {
    const uuid = protectedUuidOf(name);
    return uuid !== undefined && sameSession(this.client.sessionId, owner) && !liveSet(this.client).has(uuid);
  }

  #assertSession(node: QueueNode): void {
    if (this.client.sessionId !== node.sessionId) throw new NodeVanishedError(node.path);
  }

  /**
   * Deletes our node. Uses its own deadlines (never the caller's, which may have aborted);
   * connection loss is retried until the delete succeeds or the node's session is gone.
   */
  async leave(node: QueueNode): Promise<void> {
    const uuid = protectedUuidOf(node.name);
    if (uuid) liveSet(this.client).delete(uuid);
    for (;;) {
      if (this.client.state === ConnectionState.CLOSED) return; // close() ended the session
      if (this.client.sessionId !== node.sessionId) return; // the session died with its node
      const deleted = this.client.delete(node.path);
      // Sent right behind our delete (same round trip): removes the parent if we were the last.
      // Not with container parents (the server reaps them): a failing delete costs a write.
      const removeParent =
        this.#removeEmptyParent === true || (this.#removeEmptyParent === 'auto' && this.client.containersSupported === false);
      const parentRemoved = removeParent
        ? this.client.delete(this.parentPath, { retry: false }).then(
            () => true,
            () => false,
          )
        : undefined;
      try {
        await deleted;
      } catch (error) {
        const code = (error as ZkRecipesError).code;
        if (!(error instanceof NoNodeError || error instanceof SessionExpiredError || code === 'CLIENT_CLOSED')) {
          await parentRemoved;
          if (!isRetryable(error)) throw error;
          continue;
        }
      }
      if (await parentRemoved) this.#parentMaybeMissing = true;
      this.#scheduleParentRemoval();
      return;
    }
  }

  /** With `removeEmptyParent: { afterMs }`: delete the parent once idle that long (timer never keeps the process alive). */
  #scheduleParentRemoval(): void {
    if (this.#removeAfterMs === undefined) return;
    clearTimeout(this.#removeTimer);
    this.#removeTimer = setTimeout(() => {
      this.#removeTimer = undefined;
      if (this.client.state === ConnectionState.CLOSED) return;
      this.client.delete(this.parentPath, { retry: false }).then(
        () => {
          this.#parentMaybeMissing = true;
        },
        () => undefined, // NOT_EMPTY, NO_NODE or a connection problem: leave it
      );
    }, this.#removeAfterMs);
    this.#removeTimer.unref();
  }
}

/** Predicate of a mutex-like queue with `maxLeases` holders: index < maxLeases; else watch index - maxLeases. */
export function leasePredicate(maxLeases: number): TurnPredicate {
  return (sorted, ours) => {
    const index = sorted.indexOf(ours);
    if (index < maxLeases) return { acquired: true };
    return { acquired: false, watch: sorted[index - maxLeases] as string };
  };
}
