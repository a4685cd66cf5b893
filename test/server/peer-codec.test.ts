import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/core/zab/messages.js';
import {
  ELECTION_PROTOCOL_VERSION,
  ElectionDecoder,
  FrameReader,
  PeerProtocolError,
  decodeNotification,
  encodeElectionHandshake,
  encodeNotification,
  ensembleFingerprint,
  formatAddress,
  peerCheck,
  type ElectionMessage,
  type PeerErrorReason,
} from '../../src/server/peer-codec.js';
import { JuteWriter } from '../../src/wire/jute.js';
import { concat, split } from '../wire/chunks.js';

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
const serverIdArb = fc.constantFrom(1, 2, 3, 4);

const notificationArb: fc.Arbitrary<Notification> = fc.record({
  state: fc.constantFrom('LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING'),
  leader: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  zxid: zxidArb,
  electionEpoch: zxidArb,
  peerEpoch: zxidArb,
});

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
