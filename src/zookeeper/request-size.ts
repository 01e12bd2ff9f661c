/**
 * ZooKeeper's request size, checked before anything is sent: the server drops the connection (and
 * with it every request and watch of the session's connection) when one request is larger than
 * jute.maxbuffer, so an oversized request is refused here with a typed error instead.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Acl, TransactionOp } from './types.js';

/** The server's default `jute.maxbuffer` (0xfffff): the largest request packet it reads. */
export const JUTE_MAX_BUFFER = 0xfffff;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
/** jute: a string or buffer is a 4-byte length and its bytes. */
const field = (bytes: number) => 4 + bytes;
/** jute: a vector of ACLs (perms int, scheme string, id string each). */
const aclBytes = (acl: readonly Acl[]) => 4 + acl.reduce((n, a) => n + 4 + field(utf8(a.scheme)) + field(utf8(a.id)), 0);
/** Request header: xid and op type. */
const HEADER = 8;
/** A multi op's header: type, done flag, error code. */
const MULTI_HEADER = 9;

/** Bytes of a create request's record (path, data, ACLs, flags). */
export function createRecordBytes(wirePath: string, dataLength: number, acl: readonly Acl[]): number {
  return field(utf8(wirePath)) + field(dataLength) + aclBytes(acl) + 4;
}

/** Bytes of a setData request's record (path, data, version). */
export function setDataRecordBytes(wirePath: string, dataLength: number): number {
  return field(utf8(wirePath)) + field(dataLength) + 4;
}

/** Bytes of a multi (transaction) request's body. */
export function transactionBytes(ops: readonly TransactionOp[], toWire: (path: string) => string, defaultAcl: readonly Acl[]): number {
  let total = MULTI_HEADER; // the closing header
  for (const op of ops) {
    const path = toWire(op.path);
    if (op.type === 'create') total += MULTI_HEADER + createRecordBytes(path, op.data?.length ?? 0, op.acl ?? defaultAcl);
    else if (op.type === 'setData') total += MULTI_HEADER + setDataRecordBytes(path, op.data?.length ?? 0);
    else total += MULTI_HEADER + field(utf8(path)) + 4;
  }
  return total;
}

/**
 * The largest request (header and record) the server reads. Measured against ZooKeeper 3.8 with
 * the default jute.maxbuffer: a create of 1,048,574 bytes in all is answered, one of 1,048,575
 * (= jute.maxbuffer) already makes the server drop the connection.
 */
export const MAX_REQUEST_BYTES = JUTE_MAX_BUFFER - 1;

/** Throws when a request whose record is `recordBytes` long would exceed the server's jute.maxbuffer. */
export function checkRequestSize(what: string, recordBytes: number, dataLength: number): void {
  const packet = HEADER + recordBytes;
  if (packet > MAX_REQUEST_BYTES) {
    const room = Math.max(0, dataLength - (packet - MAX_REQUEST_BYTES));
    throw new InvalidArgumentError(
      `${what} would be a ${packet}-byte request; ZooKeeper drops the connection (and every request and watch on it) at jute.maxbuffer (${JUTE_MAX_BUFFER} bytes by default). ` +
        `At most ${room} bytes of data fit with this path and ACL: store large values elsewhere and keep a reference in ZooKeeper.`,
    );
  }
}

/**
 * Checks, before anything is sent, that `data` fits in a protected sequential node
 * `<namespace><parent>/_c_<uuid>-<name><10 digits>` (the longest name such a node can have).
 */
export function checkQueueNodeData(what: string, namespace: string, parentPath: string, nodeName: string, dataLength: number): void {
  const longestPath = `${namespace}${parentPath === '/' ? '' : parentPath}/_c_${'0'.repeat(36)}-${nodeName}${'0'.repeat(10)}`;
  checkRequestSize(what, createRecordBytes(longestPath, dataLength, [{ permissions: 31, scheme: 'world', id: 'anyone' }]), dataLength);
}
