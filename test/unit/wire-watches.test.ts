/**
 * The 3.6+ watch requests on the wire: our encodings equal the Java client's (bytes printed by
 * zookeeper-jute 3.8's own records), and notifications and replies recorded from a real 3.8
 * server parse as the server meant them.
 */
import { describe, expect, it } from 'vitest';
import { PersistentWatches } from '../../src/zookeeper/persistent-watches.js';
import {
  FrameSplitter,
  OP_EXISTS,
  OP_GET_CHILDREN2,
  OP_GET_DATA,
  parseOwnReply,
  parseReplyHeader,
} from '../../src/zookeeper/wire-replies.js';
import {
  encodeCreateTtl,
  encodePath,
  encodePathAndInt,
  encodePathAndWatch,
  encodeSetData,
  encodeSetWatches2,
  OP_ADD_WATCH,
  OP_SYNC,
  parseNotification,
  RawRecord,
} from '../../src/zookeeper/wire-watches.js';

const hex = (value: string) => Buffer.from(value, 'hex');

describe('requests, byte for byte as zookeeper-jute 3.8 serialises them', () => {
  it('AddWatchRequest (a UTF-8 path, mode 1 = persistent recursive)', () => {
    expect(encodePathAndInt('/cfg/é', 1).toString('hex')).toBe('000000072f6366672fc3a900000001');
  });
  it('RemoveWatchesRequest (type 3 = any) and SyncRequest', () => {
    expect(encodePathAndInt('/cfg', 3).toString('hex')).toBe('000000042f63666700000003');
    expect(encodePath('/cfg').toString('hex')).toBe('000000042f636667');
  });
  it('SetWatches2 with every list', () => {
    const bytes = encodeSetWatches2(0x100000002n, {
      data: ['/d'],
      exist: [],
      child: ['/c1', '/c2'],
      persistent: ['/p'],
      persistentRecursive: ['/r'],
    });
    expect(bytes.toString('hex')).toBe(
      '000000010000000200000001000000022f640000000000000002000000032f6331000000032f633200000001000000022f7000000001000000022f72',
    );
  });
  it('SetDataRequest: a null buffer is length -1 with no bytes; data is length-prefixed; the version follows', () => {
    expect(encodeSetData('/a', null, 3).toString('hex')).toBe('000000022f61ffffffff00000003');
    expect(encodeSetData('/a', Buffer.from('xy'), -1).toString('hex')).toBe('000000022f61000000027879ffffffff');
  });

  it('a RawRecord serialises its bytes where the wire library asks', () => {
    const record = new RawRecord(hex('0a0b'));
    const buffer = Buffer.alloc(4);
    expect(record.byteLength()).toBe(2);
    expect(record.serialize(buffer, 1)).toBe(2);
    expect(buffer.toString('hex')).toBe('000a0b00');
  });
});

describe('frames recorded from a ZooKeeper 3.8 server', () => {
  // A recursive watch on /cfg; another client created /cfg and /cfg/x, set and deleted /cfg/x.
  const recorded = [
    '00000020ffffffffffffffffffffffff000000000000000100000003000000042f636667',
    '00000022ffffffffffffffffffffffff000000000000000100000003000000062f6366672f78',
    '00000022ffffffffffffffffffffffff000000000000000300000003000000062f6366672f78',
    '00000022ffffffffffffffffffffffff000000000000000200000003000000062f6366672f78',
  ].join('');

  it('notifications: xid -1, EventType, SyncConnected, the path — split across reads anywhere', () => {
    const bytes = hex(recorded);
    for (const cut of [1, 7, 35, 36, 50, bytes.length - 1]) {
      const splitter = new FrameSplitter();
      const frames = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
      expect(frames.map((f) => parseReplyHeader(f).xid)).toEqual([-1, -1, -1, -1]);
      expect(frames.map((f) => parseNotification(f))).toEqual([
        { type: 1, state: 3, path: '/cfg' },
        { type: 1, state: 3, path: '/cfg/x' },
        { type: 3, state: 3, path: '/cfg/x' },
        { type: 2, state: 3, path: '/cfg/x' },
      ]);
    }
  });

  it('a truncated notification is refused, not misread', () => {
    expect(() => parseNotification(hex('00000020ffffffffffffffffffffffff00000000000000010000000300000004'))).toThrow(RangeError);
  });

  it("sync's reply gives the zxid the server reached; addWatch's carries no record we need", () => {
    const sync = hex('0000001800000001000000000000000600000000000000042f636667');
    expect(parseOwnReply(OP_SYNC, sync, parseReplyHeader(sync))).toBe(6n);
    const addWatch = hex('000000140000000000000000000000020000000000000000');
    expect(parseReplyHeader(addWatch)).toEqual({ xid: 0, zxid: 2n, err: 0 });
    expect(parseOwnReply(OP_ADD_WATCH, addWatch, parseReplyHeader(addWatch))).toBe(2n);
  });

  it('checkWatches without a watch answers NOWATCHER (-121)', () => {
    expect(parseReplyHeader(hex('00000010000000020000000000000006ffffff87')).err).toBe(-121);
  });
});

describe('which persistent watches a notification reaches (as the Java client materialises them)', () => {
  it('recursive: its path and below, never child-list events; exact: its path only, child-list included', () => {
    const watches = new PersistentWatches();
    const seen: string[] = [];
    watches.add('/a', true, (e) => seen.push(`rec ${e.type} ${e.path}`));
    watches.add('/a/b', false, (e) => seen.push(`exact ${e.type} ${e.path}`));
    const fire = (type: number, path: string) => {
      for (const call of watches.match({ type, state: 3, path }, (p) => p)) call();
    };
    fire(1, '/a/b');
    fire(4, '/a/b');
    fire(3, '/ab'); // a sibling sharing a prefix: no one
    fire(2, '/a/b/c');
    fire(7, '/a'); // watch removed: not an event for listeners
    expect(seen).toEqual([
      'exact NODE_CREATED /a/b',
      'rec NODE_CREATED /a/b',
      'exact NODE_CHILDREN_CHANGED /a/b',
      'rec NODE_DELETED /a/b/c',
    ]);
    expect(watches.match({ type: 1, state: 3, path: '/x' }, (p) => p)).toEqual([]);
  });
  it('lists what a new connection sets again; removers say when a path has no watch left', () => {
    const watches = new PersistentWatches();
    const r1 = watches.add('/a', true, () => {});
    const r2 = watches.add('/a', false, () => {});
    const r3 = watches.add('/a', false, () => {});
    expect(watches.lists()).toEqual({ persistent: ['/a'], persistentRecursive: ['/a'] });
    expect(r2()).toBe(false);
    expect(r3()).toBe(false);
    expect(r1()).toBe(true);
    expect(watches.size).toBe(0);
    expect(watches.lists()).toEqual({ persistent: [], persistentRecursive: [] });
  });
  it('the root recursive watch reaches every path', () => {
    const watches = new PersistentWatches();
    let n = 0;
    watches.add('/', true, () => n++);
    for (const call of watches.match({ type: 1, state: 3, path: '/deep/down' }, (p) => p)) call();
    expect(n).toBe(1);
  });
});

describe('the hot reads, parsed from frames recorded from a 3.8 server', () => {
  // /r holds "hi" and has the children a and bé.
  const stat = {
    czxid: 2n,
    mzxid: 2n,
    ctime: 1796309026311,
    mtime: 1796309026311,
    version: 0,
    cversion: 2,
    aversion: 0,
    ephemeralOwner: '0x0',
    dataLength: 2,
    numChildren: 2,
    pzxid: 4n,
  };

  it('getData: the bytes (a copy, not a view of the frame) and the Stat', () => {
    const frame = hex(
      '0000005a0000000000000000000000050000000000000002686900000000000000020000000000000002000001a23c5c8607000001a23c5c8607000000000000000200000000000000000000000000000002000000020000000000000004',
    );
    const reply = parseOwnReply(OP_GET_DATA, frame, parseReplyHeader(frame)) as { data: Buffer; stat: unknown };
    expect(reply.stat).toEqual(stat);
    frame.fill(0);
    expect(reply.data.toString()).toBe('hi');
  });
  it('exists: the Stat; getChildren2: UTF-8 names and the Stat', () => {
    const exists = hex(
      '000000540000000100000000000000050000000000000000000000020000000000000002000001a23c5c8607000001a23c5c8607000000000000000200000000000000000000000000000002000000020000000000000004',
    );
    expect(parseOwnReply(OP_EXISTS, exists, parseReplyHeader(exists))).toEqual(stat);
    const children = hex(
      '00000064000000020000000000000005000000000000000200000001610000000362c3a900000000000000020000000000000002000001a23c5c8607000001a23c5c8607000000000000000200000000000000000000000000000002000000020000000000000004',
    );
    expect(parseOwnReply(OP_GET_CHILDREN2, children, parseReplyHeader(children))).toEqual({ children: ['a', 'bé'], stat });
  });
  it('a missing node answers NONODE (-101) with no body', () => {
    expect(parseReplyHeader(hex('00000010000000030000000000000005ffffff9b')).err).toBe(-101);
  });
  it('requests: {ustring path; boolean watch}', () => {
    expect(encodePathAndWatch('/r', true).toString('hex')).toBe('000000022f7201');
    expect(encodePathAndWatch('/r', false).toString('hex')).toBe('000000022f7200');
  });
});

describe('createTTL (opcode 21), byte for byte as zookeeper-jute 3.8 serialises it', () => {
  const world = [{ permissions: 31, scheme: 'world', id: 'anyone' }];
  it('with data, PERSISTENT_WITH_TTL (5), 60 s', () => {
    expect(encodeCreateTtl('/t', Buffer.from('hi'), world, 5, 60_000).toString('hex')).toBe(
      '000000022f74000000026869000000010000001f00000005776f726c6400000006616e796f6e6500000005000000000000ea60',
    );
  });
  it('without data (-1), PERSISTENT_SEQUENTIAL_WITH_TTL (6), 1 ms', () => {
    expect(encodeCreateTtl('/s-', null, world, 6, 1).toString('hex')).toBe(
      '000000032f732dffffffff000000010000001f00000005776f726c6400000006616e796f6e65000000060000000000000001',
    );
  });
});
