import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPEN_ACL_UNSAFE } from '../../src/core/acl.js';
import { Database } from '../../src/core/database.js';
import { InvariantViolation } from '../../src/core/invariant.js';
import type { TxnBody, Txn } from '../../src/core/txn.js';
import type { Notification, QuorumPacket, ServerId } from '../../src/core/zab/messages.js';
import { MAX_EPOCH, makeZxid } from '../../src/core/zxid.js';
import {
  DEFAULT_MAX_QUORUM_PACKET,
  ELECTION_PROTOCOL_VERSION,
  ElectionDecoder,
  FrameReader,
  PacketType,
  PeerProtocolError,
  QuorumDecoder,
  SnapshotStream,
  decodeNotification,
  encodeElectionHandshake,
  encodeLearnerInfo,
  encodeNotification,
  encodeQuorumPacket,
  ensembleFingerprint,
  formatAddress,
  packetName,
  peerCheck,
  type ElectionMessage,
  type PeerErrorReason,
  type PlainPacket,
  type ReceivedPacket,
} from '../../src/server/peer-codec.js';
import { crc32 } from '../../src/server/storage/crc32.js';
import { JuteWriter } from '../../src/wire/jute.js';
import { OpCode, type ACL, type Request } from '../../src/wire/protocol.js';
import { SnapshotEncoder } from '../../src/wire/snapshot-codec.js';
import { encodeTxn } from '../../src/wire/txn-codec.js';
import { concat, split } from '../wire/chunks.js';
import { acls, bigLong, int32, long, nullableBytes, requestsByName, str } from '../wire/arbitraries.js';

// ---------------------------------------------------------------- the ensemble used throughout

const MEMBERS = [
  { id: 1, observer: false },
  { id: 2, observer: false },
  { id: 3, observer: false },
  { id: 4, observer: true },
];
/** member 1's view: it leads, or accepts election connections */
const CHECK = peerCheck(1, MEMBERS);
const FINGERPRINT = CHECK.fingerprint;
const LEARNER = { myid: 3, fingerprint: FINGERPRINT };

// ---------------------------------------------------------------- bytes

function bytesOneByOne(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) out.push(stream.subarray(i, i + 1));
  return out;
}

function feed<T>(d: { push(c: Uint8Array): T[]; end(): void }, chunks: readonly Uint8Array[]): T[] {
  const out: T[] = [];
  for (const c of chunks) out.push(...d.push(c));
  d.end();
  return out;
}

/** Writes a jute record by hand (for bytes the encoders refuse to make). */
function jute(write: (w: JuteWriter) => void): Uint8Array {
  const w = new JuteWriter(1024);
  write(w);
  return Uint8Array.from(w.finish());
}

/** A raw QuorumPacket record. */
function rawPacket(type: number, zxid: bigint | number, data: Uint8Array | null, auth: [string, string][] | null = null): Uint8Array {
  return jute((w) => {
    w.writeInt(type);
    w.writeBigLong(BigInt(zxid));
    w.writeBuffer(data);
    if (auth === null) {
      w.writeInt(-1);
    } else {
      w.writeInt(auth.length);
      for (const [s, i] of auth) {
        w.writeUstring(s);
        w.writeUstring(i);
      }
    }
  });
}

function rejects(f: () => unknown, reason: PeerErrorReason, message: string | RegExp): PeerProtocolError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(PeerProtocolError);
  const e = caught as PeerProtocolError;
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
  expect(e.reason).toBe(reason);
  return e;
}

// ---------------------------------------------------------------- arbitraries

const zxidArb = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const epochArb = fc.integer({ min: 0, max: MAX_EPOCH });
const serverIdArb = fc.constantFrom(1, 2, 3, 4);

const notificationArb: fc.Arbitrary<Notification> = fc.record({
  state: fc.constantFrom('LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING'),
  leader: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  zxid: zxidArb,
  electionEpoch: zxidArb,
  peerEpoch: zxidArb,
});

const leafBodyArb: fc.Arbitrary<TxnBody> = fc.oneof(
  fc.record({ kind: fc.constant('create'), path: str, data: nullableBytes, acl: acls, ephemeralOwner: bigLong, parentCVersion: int32 }),
  fc.record({ kind: fc.constant('delete'), path: str }),
  fc.record({ kind: fc.constant('setData'), path: str, data: nullableBytes, version: int32 }),
  fc.record({ kind: fc.constant('setACL'), path: str, acl: acls, version: int32 }),
  fc.record({ kind: fc.constant('check'), path: str, version: int32 }),
  fc.record({ kind: fc.constant('createSession'), timeout: int32 }),
  fc.record({ kind: fc.constant('closeSession') }),
  fc.record({ kind: fc.constant('error'), err: int32 }),
) as fc.Arbitrary<TxnBody>;

const txnBodyArb: fc.Arbitrary<TxnBody> = fc.oneof(
  { weight: 4, arbitrary: leafBodyArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('multi' as const),
      ops: fc.array(fc.record({ type: int32, body: leafBodyArb }), { maxLength: 4 }),
    }),
  },
);

const txnArb: fc.Arbitrary<Txn> = fc.record({
  hdr: fc.record({ sessionId: bigLong, cxid: int32, zxid: zxidArb, time: long, type: int32 }),
  body: txnBodyArb,
});

/** The writes a learner forwards, of every shape. */
const writeRequestArb: fc.Arbitrary<Request> = fc.oneof(
  requestsByName.create!,
  requestsByName.createTTL!,
  requestsByName.delete!,
  requestsByName.deleteContainer!,
  requestsByName.setData!,
  requestsByName.setACL!,
  requestsByName.multi!.filter((r) => r.type === OpCode.multi),
  requestsByName.reconfig!,
);

const idsArb = fc.array(fc.record({ scheme: str, id: str }), { maxLength: 3 });

const fromLearnerArbs: Record<string, fc.Arbitrary<PlainPacket>> = {
  ACKEPOCH: fc.record({ type: fc.constant('ACKEPOCH'), currentEpoch: fc.integer({ min: -1, max: MAX_EPOCH }), lastZxid: zxidArb }),
  ACK: fc.record({ type: fc.constant('ACK'), zxid: zxidArb }),
  PING: fc.record({ type: fc.constant('PING'), touches: fc.array(fc.record({ sessionId: bigLong, timeout: int32 }), { maxLength: 4 }) }),
  REVALIDATE: fc.record({ type: fc.constant('REVALIDATE'), sessionId: bigLong, timeout: int32 }),
  REQUEST: fc.record({
    type: fc.constant('REQUEST'),
    sessionId: bigLong,
    cxid: int32,
    request: fc.oneof(
      fc.record({ kind: fc.constant('write'), req: writeRequestArb }),
      fc.record({ kind: fc.constant('createSession'), timeout: int32 }),
      fc.record({ kind: fc.constant('closeSession') }),
      fc.record({ kind: fc.constant('sync') }),
    ),
    ids: idsArb,
  }),
} as Record<string, fc.Arbitrary<PlainPacket>>;

const fromLeaderArbs: Record<string, fc.Arbitrary<PlainPacket>> = {
  LEADERINFO: fc.record({ type: fc.constant('LEADERINFO'), epoch: epochArb }),
  DIFF: fc.record({ type: fc.constant('DIFF'), zxid: zxidArb }),
  TRUNC: fc.record({ type: fc.constant('TRUNC'), zxid: zxidArb }),
  NEWLEADER: fc.record({ type: fc.constant('NEWLEADER'), epoch: epochArb, sessionKey: fc.uint8Array({ minLength: 16, maxLength: 64 }) }),
  UPTODATE: fc.record({ type: fc.constant('UPTODATE'), zxid: zxidArb }),
  PROPOSAL: fc.record({ type: fc.constant('PROPOSAL'), txn: txnArb }),
  COMMIT: fc.record({ type: fc.constant('COMMIT'), zxid: zxidArb }),
  INFORM: fc.record({ type: fc.constant('INFORM'), txn: txnArb }),
  PING: fromLearnerArbs.PING!,
  REVALIDATE_ANSWER: fc.record({ type: fc.constant('REVALIDATE_ANSWER'), sessionId: bigLong, valid: fc.boolean() }),
  SYNC: fc.record({ type: fc.constant('SYNC'), sessionId: bigLong, zxid: zxidArb }),
} as Record<string, fc.Arbitrary<PlainPacket>>;

const infoArb = fc.record({ type: fc.constantFrom('FOLLOWERINFO' as const, 'OBSERVERINFO' as const), acceptedEpoch: epochArb });

function leaderSide(): QuorumDecoder {
  return new QuorumDecoder({ sender: 'learner', check: CHECK });
}
function learnerSide(options: { maxPacketBytes?: number; maxSnapshotBytes?: number } = {}): QuorumDecoder {
  return new QuorumDecoder({ sender: 'leader', leader: 1, ...options });
}
const HELLO = encodeLearnerInfo({ type: 'FOLLOWERINFO', acceptedEpoch: 5 }, LEARNER);

// ---------------------------------------------------------------- databases

interface DbOp {
  kind: 'create' | 'ephemeral' | 'setData' | 'setACL' | 'delete' | 'session' | 'close';
  pick: number;
  data: Uint8Array | null;
  acl: ACL[];
}

const dbOpArb: fc.Arbitrary<DbOp> = fc.record({
  kind: fc.constantFrom('create', 'create', 'create', 'ephemeral', 'setData', 'setACL', 'delete', 'session', 'close'),
  pick: fc.nat(),
  data: fc.oneof(nullableBytes, fc.uint8Array({ minLength: 200, maxLength: 3000 })),
  acl: fc.constantFrom(OPEN_ACL_UNSAFE, [{ perms: 1, id: { scheme: 'digest', id: 'u:x' } }], [{ perms: 31, id: { scheme: 'ip', id: '10.0.0.1' } }]),
});

/** Applies transactions made from `ops` to a database, each valid against what is there. */
class DbBuilder {
  readonly db = new Database();
  private zxid = makeZxid(1, 0);
  private readonly persistent: string[] = ['/'];
  private readonly sessions: bigint[] = [];
  private n = 0;

  apply(op: DbOp): void {
    const tree = this.db.tree;
    const apply = (body: TxnBody, sessionId = 0n): void => {
      this.zxid++;
      this.db.apply({ hdr: { sessionId, cxid: this.n, zxid: this.zxid, time: 1_700_000_000_000 + this.n, type: 1 }, body });
    };
    this.n++;
    const mine = [...tree.nodes.keys()].filter((p) => p !== '/' && !p.startsWith('/zookeeper'));
    switch (op.kind) {
      case 'create':
      case 'ephemeral': {
        const parent = this.persistent[op.pick % this.persistent.length]!;
        const path = `${parent === '/' ? '' : parent}/n${this.n}`;
        const owner = op.kind === 'ephemeral' && this.sessions.length > 0 ? this.sessions[op.pick % this.sessions.length]! : 0n;
        apply({ kind: 'create', path, data: op.data, acl: op.acl, ephemeralOwner: owner, parentCVersion: -1 });
        if (owner === 0n) this.persistent.push(path);
        return;
      }
      case 'setData': {
        if (mine.length === 0) return;
        const path = mine[op.pick % mine.length]!;
        apply({ kind: 'setData', path, data: op.data, version: tree.get(path)!.version + 1 });
        return;
      }
      case 'setACL': {
        if (mine.length === 0) return;
        const path = mine[op.pick % mine.length]!;
        apply({ kind: 'setACL', path, acl: op.acl, version: tree.get(path)!.aversion + 1 });
        return;
      }
      case 'delete': {
        const leaves = mine.filter((p) => tree.get(p)!.children === null);
        if (leaves.length === 0) return;
        const path = leaves[op.pick % leaves.length]!;
        apply({ kind: 'delete', path });
        const i = this.persistent.indexOf(path);
        if (i >= 0) this.persistent.splice(i, 1);
        return;
      }
      case 'session': {
        const id = (0x1234n << 40n) + BigInt(this.n);
        apply({ kind: 'createSession', timeout: 4000 + op.pick % 10000 }, id);
        this.sessions.push(id);
        return;
      }
      case 'close': {
        if (this.sessions.length === 0) return;
        const [id] = this.sessions.splice(op.pick % this.sessions.length, 1);
        apply({ kind: 'closeSession' }, id!);
        return;
      }
    }
  }
}

function buildDb(ops: readonly DbOp[]): Database {
  const b = new DbBuilder();
  for (const op of ops) b.apply(op);
  return b.db;
}

/** Every field of a database, comparable with toEqual. */
function fields(db: Database): unknown {
  const nodes: Record<string, unknown> = {};
  for (const [path, n] of db.tree.nodes) {
    nodes[path] = {
      data: n.data === null ? null : Buffer.from(n.data).toString('hex'),
      acl: db.tree.aclOf(n),
      czxid: n.czxid,
      mzxid: n.mzxid,
      ctime: n.ctime,
      mtime: n.mtime,
      version: n.version,
      cversion: n.cversion,
      aversion: n.aversion,
      ephemeralOwner: n.ephemeralOwner,
      pzxid: n.pzxid,
      children: n.children === null ? [] : [...n.children].sort(),
    };
  }
  return {
    lastZxid: db.lastZxid,
    sessions: [...db.sessions].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    nodes,
    ephemerals: [...db.tree.ephemerals].map(([id, s]) => [id, [...s].sort()]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    dataSize: db.tree.dataSize,
  };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const piece of stream) out.push(Uint8Array.from(piece));
  return out;
}

async function snapBytes(db: Database, options?: { chunkBytes?: number; nodesPerSlice?: number }): Promise<Uint8Array> {
  return concat(await collect(new SnapshotStream({ type: 'SNAP', zxid: db.lastZxid, db }, options)));
}

// ================================================================= tests

describe('ensemble fingerprint', () => {
  it('depends on the membership and the roles, not on the order members are listed in', () => {
    const base = ensembleFingerprint(MEMBERS);
    expect(ensembleFingerprint([...MEMBERS].reverse())).toBe(base);
    expect(ensembleFingerprint(MEMBERS.slice(0, 3))).not.toBe(base);
    expect(ensembleFingerprint(MEMBERS.map((m) => (m.id === 4 ? { id: 4, observer: false } : m)))).not.toBe(base);
    expect(ensembleFingerprint(MEMBERS.map((m) => (m.id === 4 ? { id: 5, observer: true } : m)))).not.toBe(base);
  });

  it('is a signed 64-bit value and the same on every run', () => {
    const f = ensembleFingerprint([{ id: 1, observer: false }]);
    expect(f).toBe(BigInt.asIntN(64, f));
    expect(ensembleFingerprint([{ id: 1, observer: false }])).toBe(f);
  });

  it('refuses a repeated id, and a check for a member outside the ensemble', () => {
    expect(() => ensembleFingerprint([{ id: 2, observer: false }, { id: 2, observer: true }])).toThrow('server id 2 is listed twice');
    expect(() => ensembleFingerprint([{ id: 1.5, observer: false }])).toThrow('server id 1.5 is not an integer');
    expect(() => peerCheck(9, MEMBERS)).toThrow('server id 9 is not a member of the ensemble');
    expect([...peerCheck(2, MEMBERS).knownIds].sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('FrameReader', () => {
  it('yields the same frames however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (payloads, cuts) => {
        const stream = concat(payloads.map((p) => concat([jute((w) => w.writeInt(p.length)), p])));
        expect(feed(new FrameReader(40), split(stream, cuts))).toEqual(payloads);
      }),
    );
  });

  it('refuses an empty or oversized frame as soon as its length arrives, and a stream that ends inside a frame', () => {
    rejects(() => new FrameReader(10).push(jute((w) => w.writeInt(0))), 'garbage', 'peer frame length 0 is not positive');
    rejects(() => new FrameReader(10).push(jute((w) => w.writeInt(11))), 'oversized', 'peer frame length 11 exceeds the maximum 10');
    const r = new FrameReader(10);
    r.push(Uint8Array.of(0, 0, 0, 5, 1, 2));
    rejects(() => r.end(), 'truncated', 'the connection closed with 6 bytes of an unfinished peer frame');
  });
});

describe('election connection', () => {
  const handshake = { serverId: 3, electionAddress: { host: 'zk3.example', port: 3888 }, fingerprint: FINGERPRINT };

  it('lays the handshake out as ZooKeeper does, with the fingerprint in a frame of its own', () => {
    const b = Buffer.from(encodeElectionHandshake(handshake));
    expect(b.readBigInt64BE(0)).toBe(-65536n);
    expect(b.readBigInt64BE(8)).toBe(3n);
    expect(b.readInt32BE(16)).toBe('zk3.example:3888'.length);
    expect(b.subarray(20, 36).toString()).toBe('zk3.example:3888');
    expect(b.readInt32BE(36)).toBe(8);
    expect(b.readBigInt64BE(40)).toBe(FINGERPRINT);
    expect(b.length).toBe(48);
    expect(formatAddress({ host: '::1', port: 3888 })).toBe('[::1]:3888');
    expect(() => encodeElectionHandshake({ ...handshake, electionAddress: { host: 'h'.repeat(2044), port: 3888 } })).toThrow('election address is longer than 2048 bytes');
  });

  it('lays a notification out as ZooKeeper 3.5+ does', () => {
    const b = Buffer.from(encodeNotification({ state: 'LEADING', leader: 2, zxid: 0x500000007, electionEpoch: 9, peerEpoch: 5 }));
    expect([...b.subarray(0, 8)]).toEqual([0, 0, 0, 44, 0, 0, 0, 2]);
    expect(b.readBigInt64BE(8)).toBe(2n);
    expect(b.readBigInt64BE(16)).toBe(0x500000007n);
    expect(b.readBigInt64BE(24)).toBe(9n);
    expect(b.readBigInt64BE(32)).toBe(5n);
    expect(b.readInt32BE(40)).toBe(2);
    expect(b.readInt32BE(44)).toBe(0);
    expect(b.length).toBe(48);
  });

  it('decodes a handshake and notifications however the stream is cut, the sender named on each', () => {
    fc.assert(
      fc.property(
        serverIdArb.filter((id) => id !== 1),
        fc.constantFrom('zk2', '10.0.0.7', 'fe80::1', 'a.b-c.example'),
        fc.integer({ min: 1, max: 65535 }),
        fc.array(notificationArb, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (serverId, host, port, ns, cuts) => {
          const stream = concat([encodeElectionHandshake({ serverId, electionAddress: { host, port }, fingerprint: FINGERPRINT }), ...ns.map(encodeNotification)]);
          const expected: ElectionMessage[] = [
            { kind: 'handshake', serverId, electionAddress: { host, port }, fingerprint: FINGERPRINT },
            ...ns.map((n) => ({ kind: 'notification' as const, from: serverId, n })),
          ];
          const d = new ElectionDecoder({ check: CHECK });
          expect(feed(d, split(stream, cuts))).toEqual(expected);
          expect(d.peer).toBe(serverId);
        },
      ),
    );
  });

  it('decodes a stream fed one byte at a time', () => {
    const ns: Notification[] = [
      { state: 'LOOKING', leader: 3, zxid: 12, electionEpoch: 1, peerEpoch: 0 },
      { state: 'OBSERVING', leader: -1, zxid: 0, electionEpoch: 1, peerEpoch: 0 },
    ];
    const stream = concat([encodeElectionHandshake(handshake), ...ns.map(encodeNotification)]);
    const out = feed(new ElectionDecoder({ check: CHECK }), bytesOneByOne(stream));
    expect(out.map((m) => m.kind)).toEqual(['handshake', 'notification', 'notification']);
    expect(out.slice(1)).toEqual(ns.map((n) => ({ kind: 'notification', from: 3, n })));
  });

  it('expects no handshake on a connection this member opened', () => {
    const n: Notification = { state: 'FOLLOWING', leader: 1, zxid: 99, electionEpoch: 4, peerEpoch: 2 };
    const d = new ElectionDecoder({ check: CHECK, peer: 2 });
    expect(feed(d, [encodeNotification(n), encodeNotification(n)])).toEqual([
      { kind: 'notification', from: 2, n },
      { kind: 'notification', from: 2, n },
    ]);
  });

  it('reads a notification with ZooKeeper configuration text, which it does not act on', () => {
    const config = Buffer.from('server.1=a:2888:3888:participant\nversion=0');
    const payload = concat([encodeNotification({ state: 'LOOKING', leader: 1, zxid: 0, electionEpoch: 1, peerEpoch: 0 }).subarray(4, 44), jute((w) => w.writeBuffer(config))]);
    expect(decodeNotification(payload)).toEqual({ state: 'LOOKING', leader: 1, zxid: 0, electionEpoch: 1, peerEpoch: 0 });
  });

  describe('refuses', () => {
    const accept = (stream: Uint8Array): ElectionMessage[] => new ElectionDecoder({ check: CHECK }).push(stream);
    const head = (version: bigint, sid: bigint): Uint8Array =>
      jute((w) => {
        w.writeBigLong(version);
        w.writeBigLong(sid);
      });
    const withAddress = (text: string | Uint8Array, sid = 3n): Uint8Array =>
      concat([head(ELECTION_PROTOCOL_VERSION, sid), jute((w) => w.writeBuffer(typeof text === 'string' ? Buffer.from(text) : text))]);
    const good = encodeElectionHandshake(handshake);
    const payload = (n: Notification): Buffer => Buffer.from(encodeNotification(n).subarray(4));
    const frame = (p: Uint8Array): Uint8Array => jute((w) => w.writeBuffer(p));
    const afterHandshake = (p: Uint8Array): ElectionMessage[] => new ElectionDecoder({ check: CHECK }).push(concat([good, frame(p)]));
    const n0: Notification = { state: 'LOOKING', leader: 2, zxid: 5, electionEpoch: 1, peerEpoch: 0 };

    it('a wrong protocol version, as soon as its 8 bytes arrive', () => {
      rejects(() => accept(head(-65534n, 3n).subarray(0, 8)), 'version', 'election handshake protocol version -65534; this member speaks -65536');
      rejects(() => accept(head(3n, 3n)), 'version', 'election handshake protocol version 3; this member speaks -65536');
      rejects(() => accept(head(-65535n, 3n)), 'version', /multi-address protocol \(version -65535\)/);
      rejects(() => accept(Buffer.from('GET / HTTP/1.1\r\n\r\n')), 'version', /^election handshake protocol version \d+; /);
    });

    it('a server id outside the ensemble, or this member\'s own', () => {
      rejects(() => accept(head(ELECTION_PROTOCOL_VERSION, 7n)), 'unknown-server', 'election handshake: server id 7 is not in this ensemble');
      rejects(() => accept(head(ELECTION_PROTOCOL_VERSION, 1n)), 'unknown-server', "election handshake: server id 1 is this member's own");
      rejects(() => accept(head(ELECTION_PROTOCOL_VERSION, -1n)), 'unknown-server', 'election handshake: server id -1 is not in this ensemble');
    });

    it('an empty, oversized or malformed election address', () => {
      rejects(() => accept(withAddress('')), 'garbage', 'election address frame length 0 is not positive');
      rejects(() => accept(concat([head(ELECTION_PROTOCOL_VERSION, 3n), jute((w) => w.writeInt(2049))])), 'oversized', 'election address frame length 2049 exceeds the maximum 2048');
      rejects(() => accept(withAddress('zk3')), 'garbage', "election address 'zk3' is not host:port");
      rejects(() => accept(withAddress('zk3:3888:1')), 'garbage', "election address 'zk3:3888:1' is not host:port");
      rejects(() => accept(withAddress(':3888')), 'garbage', "election address ':3888' is not host:port");
      rejects(() => accept(withAddress('zk3:0')), 'garbage', "election address 'zk3:0' has no valid port");
      rejects(() => accept(withAddress('zk3:65536')), 'garbage', "election address 'zk3:65536' has no valid port");
      rejects(() => accept(withAddress('zk3:http')), 'garbage', "election address 'zk3:http' has no valid port");
      rejects(() => accept(withAddress('[::1')), 'garbage', /^election address '\[::1': '\[::1' starts with '\[' but has no matching '\]:'$/);
    });

    it('a member of another ensemble', () => {
      const other = ensembleFingerprint(MEMBERS.slice(0, 3));
      rejects(
        () => accept(encodeElectionHandshake({ ...handshake, fingerprint: other })),
        'fingerprint',
        /^election handshake: server 3 belongs to another ensemble \(fingerprint 0x[0-9a-f]{16}, expected 0x[0-9a-f]{16}\)$/,
      );
    });

    it('a fingerprint frame of the wrong size', () => {
      const prefix = good.subarray(0, good.length - 12);
      rejects(() => accept(concat([prefix, frame(new Uint8Array(4))])), 'truncated', 'the ensemble fingerprint frame holds 4 bytes, not 8');
      rejects(() => accept(concat([prefix, frame(new Uint8Array(12))])), 'trailing', 'the ensemble fingerprint frame holds 12 bytes, not 8');
    });

    it('an empty or oversized notification frame', () => {
      rejects(() => new ElectionDecoder({ check: CHECK, peer: 2 }).push(jute((w) => w.writeInt(0))), 'garbage', 'notification frame length 0 is not positive');
      rejects(() => new ElectionDecoder({ check: CHECK, peer: 2, maxFrameBytes: 100 }).push(jute((w) => w.writeInt(101))), 'oversized', 'notification frame length 101 exceeds the maximum 100');
      rejects(() => new ElectionDecoder({ check: CHECK, peer: 2 }).push(jute((w) => w.writeInt(512 * 1024 + 1))), 'oversized', 'notification frame length 524289 exceeds the maximum 524288');
    });

    it('a short notification, one with trailing bytes, and a bad configuration length', () => {
      rejects(() => afterHandshake(payload(n0).subarray(0, 40)), 'truncated', 'a notification needs 44 bytes, got 40');
      rejects(() => afterHandshake(concat([payload(n0), Uint8Array.of(1)])), 'trailing', '1 bytes after a notification');
      const p = payload(n0);
      p.writeInt32BE(5, 40);
      rejects(() => afterHandshake(concat([p, Uint8Array.of(1, 2)])), 'truncated', 'notification configuration of 5 bytes, 2 present');
      p.writeInt32BE(-3, 40);
      rejects(() => afterHandshake(p), 'garbage', 'notification configuration length -3 is negative');
    });

    it('an unknown state, another notification version, and values out of range', () => {
      const p = payload(n0);
      p.writeInt32BE(4, 0);
      rejects(() => decodeNotification(p), 'garbage', 'notification with unknown server state 4');
      const v = payload(n0);
      v.writeInt32BE(1, 36);
      rejects(() => decodeNotification(v), 'version', 'notification version 1; this member speaks 2');
      const cases: [number, bigint, string][] = [
        [4, -2n, 'notification leader -2 is out of range'],
        [12, -1n, 'notification zxid -1 is out of range'],
        [12, 2n ** 53n, `notification zxid ${2n ** 53n} is out of range`],
        [20, -5n, 'notification election epoch -5 is out of range'],
        [28, -9223372036854775808n, 'notification peer epoch -9223372036854775808 is out of range'],
      ];
      for (const [at, value, message] of cases) {
        const b = payload(n0);
        b.writeBigInt64BE(value, at);
        rejects(() => decodeNotification(b), 'garbage', message);
      }
    });

    it('a connection that closes inside the handshake or a frame; and keeps refusing after an error', () => {
      const d = new ElectionDecoder({ check: CHECK });
      d.push(good.subarray(0, 30));
      rejects(() => d.end(), 'truncated', 'the connection closed with 14 bytes of an unfinished handshake');
      const e = new ElectionDecoder({ check: CHECK, peer: 2 });
      e.push(encodeNotification(n0).subarray(0, 47));
      rejects(() => e.end(), 'truncated', 'the connection closed with 47 bytes of an unfinished notification frame');
      const f = new ElectionDecoder({ check: CHECK });
      const first = rejects(() => f.push(head(9n, 3n)), 'version', /version 9/);
      expect(() => f.push(good)).toThrow(first);
      expect(() => f.end()).toThrow(first);
      // a clean close after whole messages is fine
      const g = new ElectionDecoder({ check: CHECK });
      g.push(good);
      expect(() => g.end()).not.toThrow();
    });
  });
});

describe('quorum packets', () => {
  it('use ZooKeeper\'s packet type numbers', () => {
    expect(PacketType).toMatchObject({
      REQUEST: 1, PROPOSAL: 2, ACK: 3, COMMIT: 4, PING: 5, REVALIDATE: 6, SYNC: 7, INFORM: 8,
      NEWLEADER: 10, FOLLOWERINFO: 11, UPTODATE: 12, DIFF: 13, TRUNC: 14, SNAP: 15,
      OBSERVERINFO: 16, LEADERINFO: 17, ACKEPOCH: 18,
    });
    expect(packetName(2)).toBe('PROPOSAL (2)');
    expect(packetName(77)).toBe('type 77');
  });

  it('lay records out as ZooKeeper\'s QuorumPacket, with its LearnerInfo first in FOLLOWERINFO', () => {
    expect([...encodeQuorumPacket({ type: 'ACK', zxid: 0x100000002 })]).toEqual([0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 255, 255, 255, 255, 255, 255, 255, 255]);
    const info = Buffer.from(encodeLearnerInfo({ type: 'OBSERVERINFO', acceptedEpoch: 6 }, { myid: 4, fingerprint: FINGERPRINT }));
    expect(info.readInt32BE(0)).toBe(16);
    expect(info.readBigInt64BE(4)).toBe(6n << 32n);
    expect(info.readInt32BE(12)).toBe(32);
    expect(info.readBigInt64BE(16)).toBe(4n); // serverid
    expect(info.readInt32BE(24)).toBe(0x10000); // protocolVersion
    expect(info.readBigInt64BE(28)).toBe(0n); // configVersion
    expect(info.readBigInt64BE(36)).toBe(FINGERPRINT);
    expect(info.readInt32BE(44)).toBe(1);
    expect(info.readInt32BE(48)).toBe(-1); // authinfo
    const leaderInfo = Buffer.from(encodeQuorumPacket({ type: 'LEADERINFO', epoch: 7 }));
    expect([leaderInfo.readInt32BE(0), leaderInfo.readBigInt64BE(4), leaderInfo.readInt32BE(12), leaderInfo.readInt32BE(16)]).toEqual([17, 7n << 32n, 4, 0x10000]);
    const request = Buffer.from(encodeQuorumPacket({ type: 'REQUEST', sessionId: 0x55n, cxid: 8, request: { kind: 'createSession', timeout: 30000 }, ids: [{ scheme: 'ip', id: '1.2.3.4' }] }));
    expect([request.readInt32BE(0), request.readBigInt64BE(4), request.readInt32BE(12)]).toEqual([1, -1n, 20]);
    expect([request.readBigInt64BE(16), request.readInt32BE(24), request.readInt32BE(28), request.readInt32BE(32)]).toEqual([0x55n, 8, -10, 30000]);
    expect(request.readInt32BE(36)).toBe(1);
  });

  for (const [name, arb] of Object.entries(fromLeaderArbs)) {
    it(`${name} from a leader survives encode and decode`, () => {
      fc.assert(
        fc.property(arb, (p) => {
          expect(learnerSide().push(encodeQuorumPacket(p))).toEqual([{ from: 1, packet: p }]);
        }),
        { numRuns: 60 },
      );
    });
  }

  for (const [name, arb] of Object.entries(fromLearnerArbs)) {
    it(`${name} from a learner survives encode and decode`, () => {
      fc.assert(
        fc.property(infoArb, arb, (info, p) => {
          const d = leaderSide();
          expect(d.push(concat([encodeLearnerInfo(info, LEARNER), encodeQuorumPacket(p)]))).toEqual([
            { from: 3, packet: info },
            { from: 3, packet: p },
          ]);
          expect(d.peer).toBe(3);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('a learner\'s packets decode the same however the stream is cut', () => {
    fc.assert(
      fc.property(infoArb, fc.array(fc.oneof(...Object.values(fromLearnerArbs)), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (info, ps, cuts) => {
        const stream = concat([encodeLearnerInfo(info, LEARNER), ...ps.map(encodeQuorumPacket)]);
        const expected: ReceivedPacket[] = [info, ...ps].map((packet) => ({ from: 3, packet: packet as QuorumPacket }));
        expect(feed(leaderSide(), split(stream, cuts))).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('a leader\'s packets decode the same however the stream is cut, and fed a byte at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(...Object.values(fromLeaderArbs)), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (ps, cuts) => {
        const stream = concat(ps.map(encodeQuorumPacket));
        const expected = ps.map((packet) => ({ from: 1, packet }));
        expect(feed(learnerSide(), split(stream, cuts))).toEqual(expected);
        expect(feed(learnerSide(), bytesOneByOne(stream))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('REQUEST carries every kind of forwarded request and the client\'s ids', () => {
    const kinds = new Set<string>();
    fc.assert(
      fc.property(fromLearnerArbs.REQUEST!, (p) => {
        if (p.type === 'REQUEST') kinds.add(p.request.kind === 'write' ? `write:${p.request.req.type}` : p.request.kind);
        expect(leaderSide().push(concat([HELLO, encodeQuorumPacket(p)]))[1]).toEqual({ from: 3, packet: p });
      }),
      { numRuns: 400 },
    );
    for (const k of ['createSession', 'closeSession', 'sync']) expect(kinds).toContain(k);
    for (const op of [OpCode.create, OpCode.createTTL, OpCode.delete, OpCode.deleteContainer, OpCode.setData, OpCode.setACL, OpCode.multi, OpCode.reconfig]) {
      expect(kinds).toContain(`write:${op}`);
    }
  });

  it('the encoder refuses requests a learner never forwards, and stays usable after a refusal', () => {
    expect(() => encodeQuorumPacket({ type: 'REQUEST', sessionId: 1n, cxid: 1, request: { kind: 'write', req: { type: OpCode.getData, path: '/a', watch: false } }, ids: [] })).toThrow(
      'getData is not a write a learner forwards',
    );
    const badMulti: Request = { type: OpCode.multi, ops: [{ type: OpCode.sync, path: '/x' }] };
    expect(() => encodeQuorumPacket({ type: 'REQUEST', sessionId: 1n, cxid: 1, request: { kind: 'write', req: badMulti }, ids: [] })).toThrow(/cannot be part of a multi/);
    const ack = encodeQuorumPacket({ type: 'ACK', zxid: 5 });
    expect(ack.length).toBe(20);
    expect(leaderSide().push(concat([HELLO, ack]))).toEqual([
      { from: 3, packet: { type: 'FOLLOWERINFO', acceptedEpoch: 5 } },
      { from: 3, packet: { type: 'ACK', zxid: 5 } },
    ]);
  });

  it('accepts ZooKeeper\'s null PING data, and refuses its NEWLEADER configuration for a session key', () => {
    expect(learnerSide().push(rawPacket(PacketType.PING, 0x700000001, null))).toEqual([{ from: 1, packet: { type: 'PING', touches: [] } }]);
    rejects(
      () => learnerSide().push(rawPacket(PacketType.NEWLEADER, 7n << 32n, Buffer.from('server.1=a:1:2\nversion=0'))),
      'garbage',
      /NEWLEADER data in format \d+, not a session key/,
    );
    const key = jute((w) => {
      w.writeInt(1);
      w.writeBuffer(new Uint8Array(8));
    });
    rejects(() => learnerSide().push(rawPacket(PacketType.NEWLEADER, 7n << 32n, key)), 'garbage', 'NEWLEADER carries a session key of 8 bytes; 16 to 1024 expected');
  });
});

describe('quorum decoder refuses', () => {
  const fromLeader = (...records: Uint8Array[]): ReceivedPacket[] => learnerSide().push(concat(records));
  const fromLearner = (...records: Uint8Array[]): ReceivedPacket[] => leaderSide().push(concat([HELLO, ...records]));
  const info = (fields: { sid?: bigint; version?: number; fingerprint?: bigint; format?: number; extra?: number; cut?: number; zxid?: bigint; type?: number }): Uint8Array => {
    let data = jute((w) => {
      w.writeBigLong(fields.sid ?? 3n);
      w.writeInt(fields.version ?? 0x10000);
      w.writeLong(0);
      w.writeBigLong(fields.fingerprint ?? FINGERPRINT);
      w.writeInt(fields.format ?? 1);
      for (let i = 0; i < (fields.extra ?? 0); i++) w.writeBool(false);
    });
    if (fields.cut !== undefined) data = data.subarray(0, fields.cut);
    return rawPacket(fields.type ?? PacketType.FOLLOWERINFO, fields.zxid ?? 5n << 32n, data);
  };
  const acceptLearner = (r: Uint8Array): ReceivedPacket[] => leaderSide().push(r);

  it('an unknown packet type, as soon as its 4 bytes arrive', () => {
    rejects(() => learnerSide().push(Uint8Array.of(0, 0, 0, 99)), 'type', 'unknown quorum packet type 99');
    rejects(() => learnerSide().push(Buffer.from('GET / HTTP/1.1\r\n')), 'type', `unknown quorum packet type ${Buffer.from('GET ').readInt32BE(0)}`);
  });

  it('a packet the other side never sends, and reconfiguration packets', () => {
    rejects(() => fromLearner(encodeQuorumPacket({ type: 'COMMIT', zxid: 1 })), 'type', 'COMMIT (4) is not a packet a learner sends');
    rejects(() => fromLeader(encodeQuorumPacket({ type: 'ACKEPOCH', currentEpoch: 1, lastZxid: 1 })), 'type', 'ACKEPOCH (18) is not a packet a leader sends');
    rejects(() => fromLeader(HELLO), 'type', 'FOLLOWERINFO (11) is not a packet a leader sends');
    rejects(() => fromLeader(rawPacket(PacketType.COMMITANDACTIVATE, 1, null)), 'type', 'COMMITANDACTIVATE (9) belongs to dynamic reconfiguration, which this ensemble does not run');
    rejects(() => fromLeader(rawPacket(PacketType.INFORMANDACTIVATE, 1, null)), 'type', 'INFORMANDACTIVATE (19) belongs to dynamic reconfiguration, which this ensemble does not run');
  });

  it('a learner whose first packet is not FOLLOWERINFO or OBSERVERINFO', () => {
    rejects(() => acceptLearner(encodeQuorumPacket({ type: 'ACK', zxid: 1 })), 'type', 'the first packet of a learner must be FOLLOWERINFO or OBSERVERINFO, not ACK (3)');
  });

  it('a LearnerInfo that is short (ZooKeeper\'s own 20 bytes), long, of another version, ensemble or format', () => {
    rejects(() => acceptLearner(info({ cut: 20 })), 'truncated', 'FOLLOWERINFO data holds 20 bytes; LearnerInfo needs 32');
    rejects(() => acceptLearner(info({ extra: 1 })), 'trailing', '1 bytes after LearnerInfo in FOLLOWERINFO');
    rejects(() => acceptLearner(info({ version: 0xffff })), 'version', 'FOLLOWERINFO from server 3: protocol version 0xffff; this member speaks 0x10000');
    rejects(() => acceptLearner(info({ format: 2 })), 'version', 'FOLLOWERINFO from server 3: payload format 2; this member speaks 1');
    rejects(() => acceptLearner(info({ fingerprint: FINGERPRINT ^ 1n, type: PacketType.OBSERVERINFO })), 'fingerprint', /^OBSERVERINFO: server 3 belongs to another ensemble/);
    rejects(() => acceptLearner(info({ zxid: (5n << 32n) + 1n })), 'garbage', 'FOLLOWERINFO zxid 0x500000001 does not start an epoch');
  });

  it('a learner with an unknown id, this member\'s id, or one that changes its id', () => {
    rejects(() => acceptLearner(info({ sid: 8n })), 'unknown-server', 'FOLLOWERINFO: server id 8 is not in this ensemble');
    rejects(() => acceptLearner(info({ sid: 1n })), 'unknown-server', "FOLLOWERINFO: server id 1 is this member's own");
    rejects(() => acceptLearner(concat([info({}), info({ sid: 2n })])), 'unknown-server', 'learner 3 sent FOLLOWERINFO as server 2');
  });

  it('a packet over the maximum, as soon as its lengths say so', () => {
    const d = new QuorumDecoder({ sender: 'leader', leader: 1, maxPacketBytes: 1000 });
    // only the head of a PROPOSAL whose data would be 2000 bytes
    rejects(() => d.push(jute((w) => { w.writeInt(PacketType.PROPOSAL); w.writeLong(1); w.writeInt(2000); })), 'oversized', 'PROPOSAL (2) packet of at least 2020 bytes exceeds the maximum 1000');
    rejects(
      () => learnerSide().push(jute((w) => { w.writeInt(PacketType.PROPOSAL); w.writeLong(1); w.writeInt(DEFAULT_MAX_QUORUM_PACKET); })),
      'oversized',
      `PROPOSAL (2) packet of at least ${DEFAULT_MAX_QUORUM_PACKET + 20} bytes exceeds the maximum ${DEFAULT_MAX_QUORUM_PACKET}`,
    );
    const e = new QuorumDecoder({ sender: 'learner', check: CHECK, maxPacketBytes: 1000 });
    e.push(HELLO);
    rejects(() => e.push(jute((w) => { w.writeInt(PacketType.REQUEST); w.writeLong(-1); w.writeInt(-1); w.writeInt(200); })), 'oversized', 'REQUEST (1) packet of at least 1620 bytes exceeds the maximum 1000');
    const f = new QuorumDecoder({ sender: 'learner', check: CHECK, maxPacketBytes: 1000 });
    f.push(HELLO);
    rejects(() => f.push(jute((w) => { w.writeInt(PacketType.REQUEST); w.writeLong(-1); w.writeInt(-1); w.writeInt(1); w.writeInt(990); })), 'oversized', 'REQUEST (1) packet of at least 1014 bytes exceeds the maximum 1000');
  });

  it('negative lengths in the record', () => {
    rejects(() => fromLeader(jute((w) => { w.writeInt(PacketType.DIFF); w.writeLong(1); w.writeInt(-2); })), 'garbage', 'DIFF (13) data length -2 is negative');
    rejects(() => fromLeader(jute((w) => { w.writeInt(PacketType.DIFF); w.writeLong(1); w.writeInt(-1); w.writeInt(-7); })), 'garbage', 'DIFF (13) authinfo count -7 is negative');
    rejects(() => fromLearner(jute((w) => { w.writeInt(PacketType.REQUEST); w.writeLong(-1); w.writeInt(-1); w.writeInt(1); w.writeInt(-4); })), 'garbage', 'REQUEST (1) authinfo string length -4 is negative');
  });

  it('zxids out of range, and epochs that do not start at a zxid counter of 0', () => {
    rejects(() => fromLeader(rawPacket(PacketType.COMMIT, -1, null)), 'garbage', 'COMMIT zxid -1 is out of range');
    rejects(() => fromLeader(rawPacket(PacketType.DIFF, 2n ** 60n, null)), 'garbage', `DIFF zxid ${2n ** 60n} is out of range`);
    rejects(() => fromLearner(rawPacket(PacketType.ACK, -3, null)), 'garbage', 'ACK zxid -3 is out of range');
    rejects(() => fromLeader(rawPacket(PacketType.NEWLEADER, (2n << 32n) + 3n, null)), 'garbage', 'NEWLEADER zxid 0x200000003 does not start an epoch');
    rejects(() => fromLeader(rawPacket(PacketType.LEADERINFO, (2n << 32n) + 1n, jute((w) => w.writeInt(0x10000)))), 'garbage', 'LEADERINFO zxid 0x200000001 does not start an epoch');
  });

  it('data or authinfo on packets that carry none', () => {
    rejects(() => fromLeader(rawPacket(PacketType.DIFF, 1, Uint8Array.of(1, 2))), 'trailing', '2 unexpected bytes of data in DIFF');
    rejects(() => fromLeader(rawPacket(PacketType.UPTODATE, 5, Uint8Array.of(0))), 'trailing', '1 unexpected bytes of data in UPTODATE');
    rejects(() => fromLeader(rawPacket(PacketType.COMMIT, 1, null, [['ip', '1.1.1.1']])), 'garbage', 'COMMIT carries authinfo, which only REQUEST does');
    rejects(() => fromLearner(rawPacket(PacketType.ACK, 1, null, [['world', 'anyone']])), 'garbage', 'ACK carries authinfo, which only REQUEST does');
    // an empty buffer and an empty vector are as good as null
    expect(fromLeader(rawPacket(PacketType.TRUNC, 4, new Uint8Array(0), []))).toEqual([{ from: 1, packet: { type: 'TRUNC', zxid: 4 } }]);
  });

  it('LEADERINFO of another protocol version, and short or long fixed-size data', () => {
    rejects(() => fromLeader(rawPacket(PacketType.LEADERINFO, 2n << 32n, jute((w) => w.writeInt(0x20000)))), 'version', 'LEADERINFO protocol version 0x20000; this member speaks 0x10000');
    rejects(() => fromLeader(rawPacket(PacketType.LEADERINFO, 2n << 32n, null)), 'truncated', 'LEADERINFO data holds 0 bytes; the protocol version needs 4');
    rejects(() => fromLearner(rawPacket(PacketType.ACKEPOCH, 5, Uint8Array.of(0, 0, 0, 1, 0))), 'trailing', '1 bytes after the current epoch in ACKEPOCH');
    rejects(() => fromLearner(rawPacket(PacketType.ACKEPOCH, 5, jute((w) => w.writeInt(-2)))), 'garbage', 'ACKEPOCH current epoch -2 is negative');
    rejects(() => fromLearner(rawPacket(PacketType.REVALIDATE, -1, new Uint8Array(11))), 'truncated', 'REVALIDATE data holds 11 bytes; a session id and timeout needs 12');
    rejects(() => fromLeader(rawPacket(PacketType.REVALIDATE, -1, new Uint8Array(12))), 'trailing', '3 bytes after a session id and answer in REVALIDATE');
    rejects(() => fromLeader(rawPacket(PacketType.SYNC, 9, new Uint8Array(7))), 'truncated', 'SYNC data holds 7 bytes; a session id needs 8');
    rejects(() => fromLearner(rawPacket(PacketType.PING, -1, new Uint8Array(13))), 'truncated', 'PING data of 13 bytes is not a whole number of 12-byte session touches');
  });

  it('PROPOSAL and INFORM without a transaction, with a malformed one, or one of another zxid', () => {
    const txn: Txn = { hdr: { sessionId: 1n, cxid: 2, zxid: 0x300000004, time: 5, type: OpCode.delete }, body: { kind: 'delete', path: '/a' } };
    const bytes = Uint8Array.from(encodeTxn(txn));
    rejects(() => fromLeader(rawPacket(PacketType.PROPOSAL, 0x300000004, null)), 'truncated', 'PROPOSAL without a transaction');
    rejects(() => fromLeader(rawPacket(PacketType.INFORM, 0x300000004, new Uint8Array(0))), 'truncated', 'INFORM without a transaction');
    rejects(() => fromLeader(rawPacket(PacketType.PROPOSAL, 0x300000005, bytes)), 'garbage', 'PROPOSAL 0x300000005 carries transaction 0x300000004');
    rejects(() => fromLeader(rawPacket(PacketType.PROPOSAL, 0x300000004, bytes.subarray(0, bytes.length - 1))), 'garbage', /^PROPOSAL transaction: string length 2 exceeds remaining 1 bytes/);
    rejects(() => fromLeader(rawPacket(PacketType.INFORM, 0x300000004, concat([bytes, Uint8Array.of(0)]))), 'garbage', /^INFORM transaction: 1 unexpected trailing bytes after transaction/);
    const badTag = Buffer.from(bytes);
    badTag.writeInt32BE(77, 32); // after the 32-byte header
    rejects(() => fromLeader(rawPacket(PacketType.PROPOSAL, 0x300000004, badTag)), 'garbage', 'PROPOSAL transaction: unknown transaction tag 77 at offset 32');
  });

  it('REQUEST with a short header, an opcode that is not forwarded, a malformed or overlong record', () => {
    const req = (op: number, rest: (w: JuteWriter) => void = () => {}): Uint8Array =>
      rawPacket(PacketType.REQUEST, -1, jute((w) => { w.writeBigLong(9n); w.writeInt(1); w.writeInt(op); rest(w); }));
    rejects(() => fromLearner(rawPacket(PacketType.REQUEST, -1, new Uint8Array(15))), 'truncated', 'REQUEST data holds 15 bytes; a forwarded request header needs at least 16');
    rejects(() => fromLearner(req(OpCode.getData, (w) => { w.writeUstring('/a'); w.writeBool(false); })), 'type', 'REQUEST carries getData (4), which a learner does not forward');
    rejects(() => fromLearner(req(77)), 'type', 'REQUEST carries unknown(77) (77), which a learner does not forward');
    rejects(() => fromLearner(req(OpCode.createSession)), 'truncated', 'REQUEST createSession data ends before its timeout');
    rejects(() => fromLearner(req(OpCode.closeSession, (w) => w.writeInt(0))), 'trailing', '4 bytes after the closeSession record in REQUEST');
    rejects(() => fromLearner(req(OpCode.delete, (w) => { w.writeUstring('/a'); w.writeInt(-1); w.writeBool(true); })), 'trailing', '1 bytes after the delete record in REQUEST');
    rejects(() => fromLearner(req(OpCode.setData, (w) => w.writeUstring('/a'))), 'garbage', /^REQUEST setData: int needs 4 bytes but 0 remain/);
  });

  it('a SNAP with data, a bad chunk length, an oversized chunk or snapshot', () => {
    const snap = rawPacket(PacketType.SNAP, 0, null);
    rejects(() => fromLeader(rawPacket(PacketType.SNAP, 0, Uint8Array.of(1))), 'trailing', '1 unexpected bytes of data in SNAP');
    rejects(() => fromLeader(snap, jute((w) => w.writeInt(0))), 'garbage', 'snapshot chunk length 0 is not positive');
    rejects(() => fromLeader(snap, jute((w) => w.writeInt(-5))), 'garbage', 'snapshot chunk length -5 is not positive');
    rejects(() => learnerSide({ maxPacketBytes: 100 }).push(concat([snap, jute((w) => w.writeInt(101))])), 'oversized', 'snapshot chunk of 101 bytes exceeds the maximum 100');
    const d = learnerSide({ maxSnapshotBytes: 150 });
    d.push(concat([snap, jute((w) => w.writeBuffer(new Uint8Array(100)))]));
    rejects(() => d.push(jute((w) => w.writeInt(51))), 'oversized', 'snapshot of more than 150 bytes exceeds the maximum 150');
  });

  it('a SNAP stream whose trailer, checksum, content or zxid do not agree', async () => {
    const db = buildDb([{ kind: 'create', pick: 0, data: Uint8Array.of(1, 2, 3), acl: OPEN_ACL_UNSAFE }]);
    const stream = Buffer.from(await snapBytes(db));
    const at = stream.length - 16; // the end marker
    const count = Buffer.from(stream);
    count.writeBigInt64BE(count.readBigInt64BE(at + 4) + 1n, at + 4);
    rejects(() => learnerSide().push(count), 'garbage', /^the snapshot trailer counts \d+ bytes, but \d+ arrived$/);
    const crc = Buffer.from(stream);
    crc.writeInt32BE(crc.readInt32BE(at + 12) ^ 1, at + 12);
    rejects(() => learnerSide().push(crc), 'garbage', /^snapshot checksum 0x[0-9a-f]+ does not match the trailer's 0x[0-9a-f]+$/);
    const zxid = Buffer.from(stream);
    zxid.writeBigInt64BE(BigInt(db.lastZxid + 1), 4);
    rejects(() => learnerSide().push(zxid), 'garbage', `SNAP of 0x${(db.lastZxid + 1).toString(16)} carries a snapshot of 0x${db.lastZxid.toString(16)}`);
    // content that checksums but does not parse: a snapshot of another content format
    const content = jute((w) => { w.writeInt(9); w.writeLong(0); });
    const bad = concat([rawPacket(PacketType.SNAP, 0, null), jute((w) => w.writeBuffer(content)), jute((w) => { w.writeInt(-1); w.writeLong(content.length); w.writeInt(crc32(content) | 0); })]);
    rejects(() => learnerSide().push(bad), 'garbage', 'snapshot content: unknown snapshot content format 9');
  });

  it('a connection that closes inside a packet or a snapshot; and keeps refusing after an error', async () => {
    const d = learnerSide();
    d.push(encodeQuorumPacket({ type: 'COMMIT', zxid: 3 }).subarray(0, 13));
    rejects(() => d.end(), 'truncated', 'the connection closed with 13 bytes of an unfinished quorum packet');
    const db = buildDb([]);
    const stream = await snapBytes(db);
    const s = learnerSide();
    s.push(stream.subarray(0, stream.length - 3));
    rejects(() => s.end(), 'truncated', /^the connection closed \d+ bytes into a snapshot$/);
    const e = learnerSide();
    const first = rejects(() => e.push(Uint8Array.of(0, 0, 0, 99)), 'type', 'unknown quorum packet type 99');
    expect(() => e.push(encodeQuorumPacket({ type: 'UPTODATE', zxid: 9 }))).toThrow(first);
    expect(() => e.end()).toThrow(first);
  });
});

describe('SNAP streams', () => {
  it('a random database arrives whole, field by field, however the stream is cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(dbOpArb, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 20 }),
        async (ops, cuts, chunkBytes, nodesPerSlice) => {
          const db = buildDb(ops);
          const before = fields(db);
          const stream = concat([
            await snapBytes(db, { chunkBytes, nodesPerSlice }),
            encodeQuorumPacket({ type: 'COMMIT', zxid: db.lastZxid }),
            encodeQuorumPacket({ type: 'NEWLEADER', epoch: 2, sessionKey: new Uint8Array(32).fill(3) }),
          ]);
          const out = feed(learnerSide(), split(stream, cuts));
          expect(out.map((m) => m.packet.type)).toEqual(['SNAP', 'COMMIT', 'NEWLEADER']);
          const snap = out[0]!.packet as Extract<QuorumPacket, { type: 'SNAP' }>;
          expect(snap.zxid).toBe(db.lastZxid);
          expect(fields(snap.db)).toEqual(before);
          expect(db.tree.captures).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a snapshot fed one byte at a time', async () => {
    const db = buildDb(Array.from({ length: 12 }, (_, i) => ({ kind: i % 4 === 3 ? 'session' : 'create', pick: i, data: new Uint8Array(50).fill(i), acl: OPEN_ACL_UNSAFE }) as DbOp));
    const out = feed(learnerSide(), bytesOneByOne(await snapBytes(db, { chunkBytes: 100 })));
    expect(out).toHaveLength(1);
    expect(fields((out[0]!.packet as Extract<QuorumPacket, { type: 'SNAP' }>).db)).toEqual(fields(db));
  });

  it('holds the database as it was when the stream was made, while transactions go on being applied', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(dbOpArb, { minLength: 5, maxLength: 40 }), fc.array(dbOpArb, { minLength: 1, maxLength: 40 }), async (first, later) => {
        const b = new DbBuilder();
        for (const op of first) b.apply(op);
        const before = fields(b.db);
        const stream = new SnapshotStream({ type: 'SNAP', zxid: b.db.lastZxid, db: b.db }, { chunkBytes: 64, nodesPerSlice: 1 });
        const pieces: Uint8Array[] = [];
        let i = 0;
        for await (const piece of stream) {
          pieces.push(Uint8Array.from(piece));
          if (i < later.length) b.apply(later[i++]!);
        }
        while (i < later.length) b.apply(later[i++]!);
        const out = learnerSide().push(concat(pieces));
        expect(fields((out[0]!.packet as Extract<QuorumPacket, { type: 'SNAP' }>).db)).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });

  it('lets the event loop run between slices of a large database', async () => {
    const db = buildDb(Array.from({ length: 3000 }, (_, i) => ({ kind: 'create', pick: i, data: Uint8Array.of(i & 255), acl: OPEN_ACL_UNSAFE }) as DbOp));
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const stream = new SnapshotStream({ type: 'SNAP', zxid: db.lastZxid, db }, { nodesPerSlice: 100 });
    let pieces = 0;
    for await (const _ of stream) pieces++;
    ticking = false;
    // about 30 slices, each after a turn of the loop
    expect(turns).toBeGreaterThanOrEqual(25);
    expect(pieces).toBeGreaterThanOrEqual(3);
  });

  it('an abandoned stream ends the capture; a finished one has ended it', async () => {
    const db = buildDb(Array.from({ length: 50 }, (_, i) => ({ kind: 'create', pick: i, data: null, acl: OPEN_ACL_UNSAFE }) as DbOp));
    const stream = new SnapshotStream({ type: 'SNAP', zxid: db.lastZxid, db }, { nodesPerSlice: 5 });
    expect(db.tree.captures).toHaveLength(1);
    // another snapshot may run beside it (the member's own, another learner's)
    const other = new SnapshotEncoder(db);
    expect(db.tree.captures).toHaveLength(2);
    other.close();
    for await (const _ of stream) break;
    expect(db.tree.captures).toEqual([]);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    // never read at all
    const unread = new SnapshotStream({ type: 'SNAP', zxid: db.lastZxid, db });
    await unread.return();
    expect(db.tree.captures).toEqual([]);
    await collect(new SnapshotStream({ type: 'SNAP', zxid: db.lastZxid, db }));
    expect(db.tree.captures).toEqual([]);
  });

  it('refuses a SNAP whose zxid is not the database\'s, or slices of nothing, without keeping a capture', () => {
    const db = buildDb([{ kind: 'create', pick: 0, data: null, acl: OPEN_ACL_UNSAFE }]);
    expect(() => new SnapshotStream({ type: 'SNAP', zxid: db.lastZxid - 1, db })).toThrow(InvariantViolation);
    expect(db.tree.captures).toEqual([]);
    const snap = { type: 'SNAP' as const, zxid: db.lastZxid, db };
    expect(() => new SnapshotStream(snap, { chunkBytes: 0 })).toThrow('chunkBytes and nodesPerSlice must be at least 1');
    expect(() => new SnapshotStream(snap, { nodesPerSlice: 0 })).toThrow('chunkBytes and nodesPerSlice must be at least 1');
    expect(db.tree.captures).toEqual([]);
  });

  it('starts with ZooKeeper\'s SNAP record', async () => {
    const db = buildDb([]);
    const stream = new SnapshotStream({ type: 'SNAP', zxid: 0, db });
    const first = (await stream.next()).value!;
    expect([...first]).toEqual([0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
    await stream.return();
  });
});

describe('sender ids', () => {
  it('name the learner on every packet after its LearnerInfo, and the leader on a learner\'s side', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3, 4), epochArb, (sid: ServerId, epoch) => {
        const d = leaderSide();
        const out = d.push(concat([encodeLearnerInfo({ type: sid === 4 ? 'OBSERVERINFO' : 'FOLLOWERINFO', acceptedEpoch: epoch }, { myid: sid, fingerprint: FINGERPRINT }), encodeQuorumPacket({ type: 'ACK', zxid: 1 })]));
        expect(out.map((m) => m.from)).toEqual([sid, sid]);
        expect(new QuorumDecoder({ sender: 'leader', leader: sid }).push(encodeQuorumPacket({ type: 'UPTODATE', zxid: 9 }))).toEqual([{ from: sid, packet: { type: 'UPTODATE', zxid: 9 } }]);
      }),
    );
  });
});
