/**
 * ZooKeeper path rules, joining, Curator's protected names and sequence parsing.
 * Pure functions: validated here, before anything reaches the network.
 */
import { randomUUID } from 'node:crypto';
import { InvalidPathError } from '../core/errors.js';

/** Curator's prefix for protected (recoverable) node names. */
export const PROTECTED_PREFIX = '_c_';

/** Paths made only of `/name` segments of ASCII letters, digits, `_` and `-`: valid by construction (every path our recipes make). */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]+)+$/;

/** Throws {@link InvalidPathError} unless `path` is a valid absolute ZooKeeper path. */
export function validatePath(path: unknown): string {
  if (typeof path === 'string' && PLAIN_PATH.test(path)) return path; // the common case, checked in one pass
  if (typeof path !== 'string') throw new InvalidPathError(path, 'a path must be a string');
  if (path.length === 0) throw new InvalidPathError(path, 'a path must not be empty');
  if (path[0] !== '/') throw new InvalidPathError(path, "a path must start with '/'");
  if (path.length === 1) return path;
  if (path.endsWith('/')) {
    throw new InvalidPathError(path, "a path must not end with '/'");
  }
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) throw new InvalidPathError(path, `NUL character at index ${i}`);
    // ZooKeeper's PathUtils rejects these code points.
    if ((c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) {
      throw new InvalidPathError(path, `forbidden character U+${c.toString(16).toUpperCase().padStart(4, '0')} at index ${i}`);
    }
  }
  const segments = path.slice(1).split('/');
  segments.forEach((segment) => {
    if (segment === '') {
      throw new InvalidPathError(path, "empty segment ('//')");
    }
    if (segment === '.' || segment === '..') throw new InvalidPathError(path, `relative segment '${segment}'`);
  });
  return path;
}

/** Joins a parent path and a child name (or relative path). */
export function joinPath(parent: string, child: string): string {
  const trimmed = child.replace(/^\/+/, '');
  if (parent === '/') return `/${trimmed}`;
  return trimmed ? `${parent}/${trimmed}` : parent;
}

/** The parent of an absolute path ('/' for top-level nodes). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last segment of a path. */
export function nodeNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A new protected-name prefix: `_c_<uuid>-`, as Curator's `withProtection()` makes. */
export function newProtectedPrefix(): string {
  return `${PROTECTED_PREFIX}${randomUUID()}-`;
}

/** `_c_<uuid>-<name>` for a given uuid. */
export function protectedName(uuid: string, name: string): string {
  return `${PROTECTED_PREFIX}${uuid}-${name}`;
}

/** The uuid of a protected node name, or undefined. */
export function protectedUuidOf(nodeName: string): string | undefined {
  if (!nodeName.startsWith(PROTECTED_PREFIX) || nodeName.length < 40 || nodeName[39] !== '-') return undefined;
  return nodeName.slice(3, 39);
}

/**
 * The sorting key of a node, as Curator's `standardFixForSorting` would cut it: the text after
 * the last occurrence of any of `names`. Returns the whole name when none occurs.
 */
export function sequenceKey(nodeName: string, names: readonly string[]): string {
  let key = nodeName;
  for (const name of names) {
    const idx = key.lastIndexOf(name);
    if (idx >= 0) key = key.slice(idx + name.length);
  }
  return key;
}

/**
 * The sequence number of a node: the integer after the last occurrence of one of `names`,
 * or undefined when there is no such numeric suffix (foreign nodes).
 */
export function parseSequence(nodeName: string, names: readonly string[]): number | undefined {
  const key = sequenceKey(nodeName, names);
  if (!/^\d+$/.test(key)) return undefined;
  const value = Number(key);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Sorts node names the way every Curator participant does, so mixed queues agree: numbered
 * nodes by their integer sequence, then foreign nodes by code-unit order of their key.
 */
export function sortBySequence(nodeNames: readonly string[], names: readonly string[]): string[] {
  const keyed = nodeNames.map((n) => ({ n, seq: parseSequence(n, names), key: sequenceKey(n, names) }));
  keyed.sort((a, b) => {
    if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
    if (a.seq !== undefined) return -1;
    if (b.seq !== undefined) return 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return keyed.map((k) => k.n);
}
