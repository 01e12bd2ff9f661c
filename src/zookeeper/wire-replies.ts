/**
 * The replies we parse ourselves: those the wire library cannot (it destroys the socket on an
 * opcode it does not know) — `create2` (15) and `createContainer` (19), whose reply is the path and
 * the new node's Stat, and the 3.6+ watch requests — and the hot reads (exists, getData,
 * getChildren2), which its generic records make slow. Framing of the reply stream too. Part of the
 * wire boundary; pure, so it is unit-tested on recorded bytes.
 */
import type { Stat } from './types.js';
import { formatSessionId } from './session-id.js';
import { OP_ADD_WATCH, OP_CHECK_WATCHES, OP_CREATE_TTL, OP_REMOVE_WATCHES, OP_SET_WATCHES2, OP_SYNC } from './wire-watches.js';

/** `create2`: a create whose reply carries the node's Stat. */
export const OP_CREATE2 = 15;
/** `createContainer`: creates a CONTAINER node (reaped by the server once empty); replies like create2. */
export const OP_CREATE_CONTAINER = 19;
/** `delete`, `exists`, `getData` and `getChildren2`: what every lock hand-off and cache sends. */
export const OP_DELETE = 2;
export const OP_EXISTS = 3;
export const OP_GET_DATA = 4;
export const OP_GET_CHILDREN2 = 12;
/** `setData`: ours so that null data goes out as jute's null buffer (the wire library throws on it). */
export const OP_SET_DATA = 5;
/**
 * The opcodes whose replies we parse ourselves: the hot reads, the 3.5+ creates, and sync,
 * checkWatches, removeWatches, setWatches2 and addWatch (opcodes in wire-watches.ts), whose
 * replies carry no record we read.
 */
export const OWN_OPCODES: ReadonlySet<number> = new Set([
  OP_DELETE,
  OP_EXISTS,
  OP_GET_DATA,
  OP_GET_CHILDREN2,
  OP_SET_DATA,
  OP_CREATE2,
  OP_CREATE_CONTAINER,
  OP_CREATE_TTL,
  OP_SYNC,
  OP_CHECK_WATCHES,
  OP_REMOVE_WATCHES,
  OP_SET_WATCHES2,
  OP_ADD_WATCH,
]);

/** Size of a jute Stat record. */
const STAT_BYTES = 68;

/** Splits a byte stream into complete length-prefixed frames; keeps the incomplete tail. */
export class FrameSplitter {
  #pending: Buffer | undefined;

  /** Adds bytes; returns every frame now complete (each with its 4-byte length prefix). */
  push(chunk: Buffer): Buffer[] {
    let buffer = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (buffer.length >= 4) {
      const size = buffer.readInt32BE(0);
      if (size < 0 || buffer.length < size + 4) break;
      frames.push(buffer.subarray(0, size + 4));
      buffer = buffer.subarray(size + 4);
    }
    this.#pending = buffer.length > 0 ? buffer : undefined;
    return frames;
  }

  /** The xid of the frame still arriving (known once its header is in), else undefined. */
  get pendingXid(): number | undefined {
    return this.#pending && this.#pending.length >= 8 ? this.#pending.readInt32BE(4) : undefined;
  }

  /** Forgets a partial frame (a new connection starts a new stream). */
  reset(): void {
    this.#pending = undefined;
  }
}

/** The reply header at the start of a frame (after the length): xid, zxid, err. */
export interface ReplyHeader {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
}

export function parseReplyHeader(frame: Buffer): ReplyHeader {
  return { xid: frame.readInt32BE(4), zxid: frame.readBigInt64BE(8), err: frame.readInt32BE(16) };
}

/** The jute Stat at `offset`. */
export function parseStat(buffer: Buffer, offset: number): Stat {
  if (buffer.length < offset + STAT_BYTES) throw new RangeError('Stat record truncated');
  return {
    czxid: buffer.readBigInt64BE(offset),
    mzxid: buffer.readBigInt64BE(offset + 8),
    ctime: buffer.readInt32BE(offset + 16) * 4294967296 + buffer.readUInt32BE(offset + 20),
    mtime: buffer.readInt32BE(offset + 24) * 4294967296 + buffer.readUInt32BE(offset + 28),
    version: buffer.readInt32BE(offset + 32),
    cversion: buffer.readInt32BE(offset + 36),
    aversion: buffer.readInt32BE(offset + 40),
    ephemeralOwner: formatSessionId(buffer.readBigUInt64BE(offset + 44)),
    dataLength: buffer.readInt32BE(offset + 52),
    numChildren: buffer.readInt32BE(offset + 56),
    pzxid: buffer.readBigInt64BE(offset + 60),
  };
}

/** A Create2Response after the 16-byte reply header of `frame`: the created path and its Stat. */
export function parseCreate2Response(frame: Buffer): { path: string; stat: Stat } {
  const offset = 4 + 16;
  const length = frame.readInt32BE(offset);
  if (length < 0 || frame.length < offset + 4 + length + STAT_BYTES) throw new RangeError('Create2Response truncated');
  const path = frame.toString('utf8', offset + 4, offset + 4 + length);
  return { path, stat: parseStat(frame, offset + 4 + length) };
}

/**
 * The result handed to the caller of one of our own requests: a create's path and Stat, else the
 * zxid the server had reached when it answered (what `sync` is for; ignored by the others).
 */
export function parseOwnReply(type: number, frame: Buffer, header: ReplyHeader): unknown {
  switch (type) {
    case OP_GET_DATA:
      return parseGetDataResponse(frame);
    case OP_EXISTS:
    case OP_SET_DATA:
      return parseStat(frame, 4 + 16);
    case OP_GET_CHILDREN2:
      return parseGetChildren2Response(frame);
    case OP_CREATE2:
    case OP_CREATE_CONTAINER:
    case OP_CREATE_TTL:
      return parseCreate2Response(frame);
    default:
      return header.zxid;
  }
}

const EMPTY = Buffer.alloc(0);

/** GetDataResponse `{buffer data; Stat stat}`: the data copied out of the frame (a small one into Node's pool). */
export function parseGetDataResponse(frame: Buffer): { data: Buffer; stat: Stat } {
  const offset = 4 + 16;
  const length = frame.readInt32BE(offset);
  const bytes = Math.max(0, length);
  if (frame.length < offset + 4 + bytes + STAT_BYTES) throw new RangeError('GetDataResponse truncated');
  const data = bytes === 0 ? EMPTY : Buffer.from(frame.subarray(offset + 4, offset + 4 + bytes));
  return { data, stat: parseStat(frame, offset + 4 + bytes) };
}

/** GetChildren2Response `{vector<ustring> children; Stat stat}`. */
export function parseGetChildren2Response(frame: Buffer): { children: string[]; stat: Stat } {
  let offset = 4 + 16;
  const count = frame.readInt32BE(offset);
  offset += 4;
  const children: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = frame.readInt32BE(offset);
    if (length < 0 || frame.length < offset + 4 + length) throw new RangeError('GetChildren2Response truncated');
    children.push(frame.toString('utf8', offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return { children, stat: parseStat(frame, offset) };
}
