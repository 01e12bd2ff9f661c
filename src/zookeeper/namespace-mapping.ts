/**
 * A client's namespace (chroot): user paths ↔ the paths on the wire. `/` of the user is the
 * namespace node itself; paths outside the namespace (never made by us) pass through unchanged.
 */
export class NamespaceMapping {
  /** The namespace, '' when none. */
  readonly namespace: string;

  constructor(namespace: string) {
    this.namespace = namespace;
  }

  /** The wire path of a user path. */
  toWire(path: string): string {
    const ns = this.namespace;
    if (!ns) return path;
    return path === '/' ? ns : `${ns}${path}`;
  }

  /** The user path of a wire path. */
  toUser(wirePath: string): string {
    const ns = this.namespace;
    if (!ns) return wirePath;
    if (wirePath === ns) return '/';
    return wirePath.startsWith(`${ns}/`) ? wirePath.slice(ns.length) : wirePath;
  }
}
