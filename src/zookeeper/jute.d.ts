/** The wire library's jute module (no types of its own); only what session-handle.ts uses. */
declare module 'node-zookeeper-client/lib/jute/index.js' {
  const jute: {
    protocol: {
      RequestHeader: new () => { xid: number; type: number };
      CreateRequest: new () => { path: string; data?: Buffer; acl: unknown[]; flags: number };
    };
    Request: new (header: unknown, payload: unknown) => unknown;
  };
  export default jute;
}
