/**
 * ZooKeeper 3.5+ replies the wire library cannot parse (it destroys the socket on an opcode it
 * does not know): framing of the reply stream, and the jute records of `create2` (opcode 15) and
 * `createContainer` (opcode 19), whose reply is a Create2Response — the path and the new node's
 * Stat. Part of the wire boundary; pure, so it is unit-tested on recorded bytes.
 */
import type { Stat } from './types.js';
import { formatSessionId } from './session-id.js';
import { OP_ADD_WATCH, OP_CHECK_WATCHES, OP_REMOVE_WATCHES, OP_SET_WATCHES2, OP_SYNC } from './wire-watches.js';

/** `create2`: a create whose reply carries the node's Stat. */
export const OP_CREATE2 = 15;
/** `createContainer`: creates a CONTAINER node (reaped by the server once empty); replies like create2. */
export const OP_CREATE_CONTAINER = 19;
/**
 * The opcodes whose replies we parse ourselves: the 3.5+ creates, and sync, checkWatches,
 * removeWatches, setWatches2 and addWatch (opcodes in wire-watches.ts), whose replies carry no
 * record we read.
 */
export const OWN_OPCODES: ReadonlySet<number> = new Set([
  OP_CREATE2,
  OP_CREATE_CONTAINER,
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
    ctime: Number(buffer.readBigInt64BE(offset + 16)),
    mtime: Number(buffer.readBigInt64BE(offset + 24)),
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
  return type === OP_CREATE2 || type === OP_CREATE_CONTAINER ? parseCreate2Response(frame) : header.zxid;
}
