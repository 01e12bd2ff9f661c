/** The options of CuratorCache, checked at runtime. */
import { InvalidArgumentError } from '../../src/core/errors.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../../src/core/options.js';

/** What a cache holds: the whole subtree, the node and its children, or the node alone. */
export type CacheMode = 'tree' | 'children' | 'node';

/** How a cache learns of changes: persistent watches (3.6+), one-shot watches, or the first that the server speaks. */
export type CacheWatchMode = 'auto' | 'persistent' | 'one-shot';

/** Options of {@link CuratorCache}. */
export interface CuratorCacheOptions<T = Buffer> {
  /** @default 'tree' */
  readonly mode?: CacheMode;
  /** Turns a node's bytes into the value the cache holds (e.g. JSON). A throw leaves that node out and emits `error`. @default the Buffer itself */
  readonly decode?: (data: Buffer, path: string) => T;
  /** Called for each path below the root; false leaves the node (and, in a tree, everything below it) out. */
  readonly filter?: (path: string) => boolean;
  /** The most nodes the cache holds: start() rejects with CacheFullError past it, later creations are left out with an `error` event. @default no limit */
  readonly maxNodes?: number;
  /** @default 'auto' (persistent watches; one-shot ones on a server before 3.6) */
  readonly watches?: CacheWatchMode;
}

export const CACHE_OPTION_KEYS: OptionKeys<CuratorCacheOptions<unknown>> = {
  mode: true,
  decode: true,
  filter: true,
  maxNodes: true,
  watches: true,
};

export interface ResolvedCacheOptions<T> {
  readonly mode: CacheMode;
  readonly maxDepth: number;
  /** Undefined: the values are the nodes' bytes. */
  readonly decode: ((data: Buffer, path: string) => T) | undefined;
  readonly filter: ((path: string) => boolean) | undefined;
  readonly maxNodes: number;
  readonly watches: CacheWatchMode;
}

export function resolveCacheOptions<T>(options: CuratorCacheOptions<T>): ResolvedCacheOptions<T> {
  checkOptionKeys('CuratorCache options', options, CACHE_OPTION_KEYS);
  const mode = options.mode ?? 'tree';
  if (mode !== 'tree' && mode !== 'children' && mode !== 'node')
    throw new InvalidArgumentError(`mode must be 'tree', 'children' or 'node', got ${describeValue(mode)}.`);
  const watches = options.watches ?? 'auto';
  if (watches !== 'auto' && watches !== 'persistent' && watches !== 'one-shot')
    throw new InvalidArgumentError(`watches must be 'auto', 'persistent' or 'one-shot', got ${describeValue(watches)}.`);
  for (const name of ['decode', 'filter'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      throw new InvalidArgumentError(`${name} must be a function, got ${describeValue(options[name])}.`);
  }
  const maxNodes = options.maxNodes ?? Number.POSITIVE_INFINITY;
  if (options.maxNodes !== undefined && (!Number.isSafeInteger(maxNodes) || maxNodes < 1))
    throw new InvalidArgumentError(
      `maxNodes must be a positive integer, got ${describeValue(options.maxNodes)}. Leave it out for no limit.`,
    );
  return {
    mode,
    maxDepth: mode === 'tree' ? Number.POSITIVE_INFINITY : mode === 'children' ? 1 : 0,
    decode: options.decode,
    filter: options.filter,
    maxNodes,
    watches,
  };
}
