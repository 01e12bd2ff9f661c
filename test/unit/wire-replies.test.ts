/**
 * The 3.5+ replies we parse at the wire boundary, on bytes recorded from a real ZooKeeper 3.8.0:
 * create2 of an ephemeral node, createContainer, an error reply; and the framing of the stream.
 */
import { describe, expect, it } from 'vitest';
import { FrameSplitter, parseCreate2Response, parseReplyHeader } from '../../src/zookeeper/wire-replies.js';

const hex = (s: string) => Buffer.from(s, 'hex');
// create2 /rec (EPHEMERAL, data 'ab') by session 0x01000024adad0000, xid 0
const CREATE2_EPHEMERAL = hex(
  '0000005c00000000000000000000000200000000000000042f72656300000000000000020000000000000002000001a228d084dd000001a228d084dd00000000000000000000000001000024adad000000000002000000000000000000000002',
);
// createContainer /box, xid 1
const CREATE_CONTAINER = hex(
  '0000005c00000001000000000000000300000000000000042f626f7800000000000000030000000000000003000001a228d0860a000001a228d0860a000000000000000000000000000000000000000000000002000000000000000000000003',
);
// create2 /rec again: NODE_EXISTS (-110), xid 2
const NODE_EXISTS = hex('00000010000000020000000000000004ffffff92');

describe('wire replies (recorded from ZooKeeper 3.8.0)', () => {
  it('create2: the path and the Stat (czxid is the fencing token; ephemeralOwner the session)', () => {
    expect(parseReplyHeader(CREATE2_EPHEMERAL)).toEqual({ xid: 0, zxid: 2n, err: 0 });
    const { path, stat } = parseCreate2Response(CREATE2_EPHEMERAL);
    expect(path).toBe('/rec');
    expect(stat).toMatchObject({
      czxid: 2n,
      mzxid: 2n,
      pzxid: 2n,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: '0x1000024adad0000',
      dataLength: 2,
      numChildren: 0,
    });
    expect(stat.ctime).toBe(0x1a228d084dd);
  });

  it('createContainer: a container reads like any persistent node (ephemeralOwner 0)', () => {
    const { path, stat } = parseCreate2Response(CREATE_CONTAINER);
    expect(path).toBe('/box');
    expect(stat.czxid).toBe(3n);
    expect(stat.ephemeralOwner).toBe('0x0');
  });

  it('an error reply has a header only', () => {
    expect(parseReplyHeader(NODE_EXISTS)).toEqual({ xid: 2, zxid: 4n, err: -110 });
  });

  it('frames: split across reads and several in one read', () => {
    const stream = Buffer.concat([CREATE2_EPHEMERAL, CREATE_CONTAINER, NODE_EXISTS]);
    const splitter = new FrameSplitter();
    const frames: Buffer[] = [];
    let offset = 0;
    for (const size of [3, 47, 47, 53, stream.length]) {
      frames.push(...splitter.push(stream.subarray(offset, Math.min(stream.length, offset + size))));
      offset = Math.min(stream.length, offset + size);
    }
    expect(frames.map((f) => f.toString('hex'))).toEqual([CREATE2_EPHEMERAL, CREATE_CONTAINER, NODE_EXISTS].map((f) => f.toString('hex')));
    splitter.push(CREATE2_EPHEMERAL.subarray(0, 10));
    splitter.reset();
    expect(splitter.push(NODE_EXISTS)).toHaveLength(1);
  });

  it('a truncated record is refused, not misread', () => {
    expect(() => parseCreate2Response(CREATE2_EPHEMERAL.subarray(0, 60))).toThrow(RangeError);
  });
});

describe('FrameSplitter.pendingXid (the silent-server watchdog counts bytes of a reply still arriving)', () => {
  it('knows the xid of a frame once its header is in, and forgets it when the frame completes', () => {
    const frame = Buffer.alloc(4 + 16 + 100);
    frame.writeInt32BE(frame.length - 4, 0);
    frame.writeInt32BE(42, 4); // xid
    const splitter = new FrameSplitter();
    expect(splitter.push(frame.subarray(0, 6))).toEqual([]);
    expect(splitter.pendingXid).toBeUndefined(); // header not in yet
    expect(splitter.push(frame.subarray(6, 50))).toEqual([]);
    expect(splitter.pendingXid).toBe(42);
    expect(splitter.push(frame.subarray(50))).toHaveLength(1);
    expect(splitter.pendingXid).toBeUndefined();
  });
});
