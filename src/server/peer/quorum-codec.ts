// The quorum connection: QuorumPacket records between a leader and a
// learner, what each packet of the core carries in them, and the decoder
// that turns a connection's bytes into packets (see peer-codec.ts for the
// byte layouts).

import type { ForwardedRequest, QuorumPacket, ServerId, SessionTouch } from '../../core/zab/messages.js';
import { counterOf, epochOf, makeZxid, zxidHex } from '../../core/zxid.js';
import { JuteError, JuteReader, type JuteWriter } from '../../wire/jute.js';
import { DEFAULT_JUTE_MAXBUFFER, OpCode, opName, type Id } from '../../wire/protocol.js';
import { decodeRequest, writeRequestBody } from '../../wire/requests.js';
import { decodeTxn, writeTxn } from '../../wire/txn-codec.js';
import { endOfStream, StreamDecoder } from './byte-queue.js';
import { checkFingerprint, checkPeerId, type PeerCheck } from './ensemble.js';
import { fail } from './errors.js';
import { readRange } from './numbers.js';
import { encodeRecord, NO_ZXID, PacketType, packetName, packetTypeName, RecordScanner } from './quorum-record.js';
import { DEFAULT_MAX_SNAPSHOT, SnapshotAssembler } from './snapshot-stream.js';

/** The Zab protocol version in LearnerInfo and LEADERINFO (ZooKeeper 3.4+). */
export const ZAB_PROTOCOL_VERSION = 0x10000;
/**
 * The version of this member's own payloads (transactions, forwarded
 * requests, the snapshot stream), sent in LearnerInfo: members whose
 * payloads differ do not sync with each other.
 */
export const PAYLOAD_FORMAT = 1;
/** The largest packet accepted by default: jute.maxbuffer plus as much again, as ZooKeeper allows its peers. */
export const DEFAULT_MAX_QUORUM_PACKET = 2 * DEFAULT_JUTE_MAXBUFFER;

/** NEWLEADER's data: this format number, then the session key as a buffer. */
const SESSION_KEY_FORMAT = 1;
/** The sizes of a session key NEWLEADER may carry (src/core/sessions.ts refuses shorter keys). */
const MIN_SESSION_KEY = 16;
const MAX_SESSION_KEY = 1024;

/** serverid, protocolVersion, configVersion (ZooKeeper's), fingerprint, payload format (ours) */
const LEARNER_INFO_BYTES = 8 + 4 + 8 + 8 + 4;
const TOUCH_BYTES = 12;

type LearnerInfoPacket = Extract<QuorumPacket, { type: 'FOLLOWERINFO' | 'OBSERVERINFO' }>;
/** Packets encoded on their own (SNAP is a SnapshotStream, FOLLOWERINFO/OBSERVERINFO need the sender's identity). */
export type PlainPacket = Exclude<QuorumPacket, { type: 'SNAP' } | LearnerInfoPacket>;

/** What a learner says about itself in its first packet. */
export interface LearnerIdentity {
  myid: ServerId;
  fingerprint: bigint;
}

/** The requests a learner forwards as writes (what the frontend hands to the write path). */
const FORWARDED_WRITES: ReadonlySet<number> = new Set<number>([
  OpCode.create,
  OpCode.create2,
  OpCode.createTTL,
  OpCode.createContainer,
  OpCode.delete,
  OpCode.deleteContainer,
  OpCode.setData,
  OpCode.setACL,
  OpCode.multi,
  OpCode.reconfig,
]);

// ---------------------------------------------------------------- encoding

/** The first packet of a learner: FOLLOWERINFO or OBSERVERINFO with its LearnerInfo. */
export function encodeLearnerInfo(p: LearnerInfoPacket, self: LearnerIdentity): Uint8Array {
  const type = p.type === 'FOLLOWERINFO' ? PacketType.FOLLOWERINFO : PacketType.OBSERVERINFO;
  return encodeRecord(type, makeZxid(p.acceptedEpoch, 0), (w) => {
    w.writeLong(self.myid);
    w.writeInt(ZAB_PROTOCOL_VERSION);
    w.writeLong(0); // configVersion: no dynamic configuration
    w.writeBigLong(self.fingerprint);
    w.writeInt(PAYLOAD_FORMAT);
  });
}

/** Any other packet but SNAP (see SnapshotStream). The bytes are a view that stays valid. */
export function encodeQuorumPacket(p: PlainPacket): Uint8Array {
  switch (p.type) {
    case 'LEADERINFO':
      return encodeRecord(PacketType.LEADERINFO, makeZxid(p.epoch, 0), (w) => w.writeInt(ZAB_PROTOCOL_VERSION));
    case 'ACKEPOCH':
      return encodeRecord(PacketType.ACKEPOCH, p.lastZxid, (w) => w.writeInt(p.currentEpoch));
    case 'DIFF':
      return encodeRecord(PacketType.DIFF, p.zxid, null);
    case 'TRUNC':
      return encodeRecord(PacketType.TRUNC, p.zxid, null);
    case 'NEWLEADER':
      return encodeRecord(PacketType.NEWLEADER, makeZxid(p.epoch, 0), (w) => {
        w.writeInt(SESSION_KEY_FORMAT);
        w.writeBuffer(p.sessionKey);
      });
    case 'UPTODATE':
      return encodeRecord(PacketType.UPTODATE, p.zxid, null);
    case 'PROPOSAL':
      return encodeRecord(PacketType.PROPOSAL, p.txn.hdr.zxid, (w) => writeTxn(w, p.txn));
    case 'ACK':
      return encodeRecord(PacketType.ACK, p.zxid, null);
    case 'COMMIT':
      return encodeRecord(PacketType.COMMIT, p.zxid, null);
    case 'INFORM':
      return encodeRecord(PacketType.INFORM, p.txn.hdr.zxid, (w) => writeTxn(w, p.txn));
    case 'PING':
      return encodeRecord(PacketType.PING, NO_ZXID, (w) => {
        for (const t of p.touches) {
          w.writeBigLong(t.sessionId);
          w.writeInt(t.timeout);
        }
      });
    case 'REVALIDATE':
      return encodeRecord(PacketType.REVALIDATE, NO_ZXID, (w) => {
        w.writeBigLong(p.sessionId);
        w.writeInt(p.timeout);
      });
    case 'REVALIDATE_ANSWER':
      return encodeRecord(PacketType.REVALIDATE, NO_ZXID, (w) => {
        w.writeBigLong(p.sessionId);
        w.writeBool(p.valid);
      });
    case 'REQUEST':
      return encodeRecord(PacketType.REQUEST, NO_ZXID, (w) => writeForwarded(w, p.sessionId, p.cxid, p.request), p.ids);
    case 'SYNC':
      return encodeRecord(PacketType.SYNC, p.zxid, (w) => w.writeBigLong(p.sessionId));
  }
}

function writeForwarded(w: JuteWriter, sessionId: bigint, cxid: number, request: ForwardedRequest): void {
  w.writeBigLong(sessionId);
  w.writeInt(cxid);
  switch (request.kind) {
    case 'write':
      if (!FORWARDED_WRITES.has(request.req.type)) throw new Error(`${opName(request.req.type)} is not a write a learner forwards`);
      w.writeInt(request.req.type);
      writeRequestBody(w, request.req);
      return;
    case 'createSession':
      w.writeInt(OpCode.createSession);
      w.writeInt(request.timeout);
      return;
    case 'closeSession':
      w.writeInt(OpCode.closeSession);
      return;
    case 'sync':
      w.writeInt(OpCode.sync);
      return;
  }
}

// ---------------------------------------------------------------- decoding

/** Which side sent the bytes a decoder reads. */
export type PacketSender = 'leader' | 'learner';

const SENT_BY: Record<PacketSender, ReadonlySet<number>> = {
  learner: new Set<number>([
    PacketType.FOLLOWERINFO,
    PacketType.OBSERVERINFO,
    PacketType.ACKEPOCH,
    PacketType.ACK,
    PacketType.PING,
    PacketType.REVALIDATE,
    PacketType.REQUEST,
  ]),
  leader: new Set<number>([
    PacketType.LEADERINFO,
    PacketType.DIFF,
    PacketType.TRUNC,
    PacketType.SNAP,
    PacketType.NEWLEADER,
    PacketType.UPTODATE,
    PacketType.PROPOSAL,
    PacketType.COMMIT,
    PacketType.INFORM,
    PacketType.PING,
    PacketType.REVALIDATE,
    PacketType.SYNC,
  ]),
};

function checkSentBy(sender: PacketSender, type: number): void {
  if (SENT_BY[sender].has(type)) return;
  if (type === PacketType.COMMITANDACTIVATE || type === PacketType.INFORMANDACTIVATE) {
    fail('type', `${packetName(type)} belongs to dynamic reconfiguration, which this ensemble does not run`);
  }
  if (packetTypeName(type) === undefined) fail('type', `unknown quorum packet type ${type}`);
  fail('type', `${packetName(type)} is not a packet a ${sender} sends`);
}

/** A QuorumPacket record, its data and ids as views into the bytes read. */
interface RawPacket {
  type: number;
  zxid: bigint;
  data: Uint8Array | null;
  authinfo: Id[] | null;
}

function readRaw(bytes: Uint8Array, max: number): RawPacket {
  const r = new JuteReader(bytes, { views: true, maxLength: max });
  const type = r.readInt();
  const zxid = r.readBigLong();
  const data = r.readBuffer();
  const count = r.readVectorLength('authinfo', 8);
  let authinfo: Id[] | null = null;
  if (count >= 0) {
    authinfo = [];
    for (let i = 0; i < count; i++) {
      const scheme = r.readString();
      authinfo.push({ scheme, id: r.readString() });
    }
  }
  r.expectEnd('QuorumPacket');
  return { type, zxid, data, authinfo };
}

/** The decoding of one packet's fields, with its name for messages. */
class Fields {
  readonly name: string;
  constructor(
    readonly raw: RawPacket,
    private readonly max: number,
  ) {
    this.name = packetTypeName(raw.type)!;
  }

  zxid(): number {
    return readRange(this.raw.zxid, 0, `${this.name} zxid`);
  }

  /** The epoch of a zxid that must start one (epoch << 32 | 0). */
  epoch(): number {
    const z = this.zxid();
    if (counterOf(z) !== 0) fail('garbage', `${this.name} zxid ${zxidHex(z)} does not start an epoch`);
    return epochOf(z);
  }

  noAuth(): this {
    const a = this.raw.authinfo;
    if (a !== null && a.length > 0) fail('garbage', `${this.name} carries authinfo, which only REQUEST does`);
    return this;
  }

  noData(): this {
    const d = this.raw.data;
    if (d !== null && d.length > 0) fail('trailing', `${d.length} unexpected bytes of data in ${this.name}`);
    return this;
  }

  /** A reader over data of exactly `n` bytes. */
  fixed(n: number, what: string): JuteReader {
    const len = this.raw.data?.length ?? 0;
    if (len < n) fail('truncated', `${this.name} data holds ${len} bytes; ${what} needs ${n}`);
    if (len > n) fail('trailing', `${len - n} bytes after ${what} in ${this.name}`);
    return new JuteReader(this.raw.data!);
  }

  /** A reader over data of at least `n` bytes. */
  atLeast(n: number, what: string): JuteReader {
    const len = this.raw.data?.length ?? 0;
    if (len < n) fail('truncated', `${this.name} data holds ${len} bytes; ${what} needs at least ${n}`);
    return new JuteReader(this.raw.data!, { maxLength: this.max });
  }
}

/** Runs a decoding step whose malformed input shows up as a JuteError. */
function jute<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof JuteError) fail('garbage', `${what}: ${e.message}`);
    throw e;
  }
}

function decodeTouches(f: Fields): SessionTouch[] {
  const len = f.raw.data?.length ?? 0;
  if (len % TOUCH_BYTES !== 0) fail('truncated', `PING data of ${len} bytes is not a whole number of ${TOUCH_BYTES}-byte session touches`);
  const touches: SessionTouch[] = [];
  if (len === 0) return touches;
  const r = new JuteReader(f.raw.data!);
  while (r.remaining > 0) {
    const sessionId = r.readBigLong();
    touches.push({ sessionId, timeout: r.readInt() });
  }
  return touches;
}

function decodeTxnPacket(f: Fields, type: 'PROPOSAL' | 'INFORM'): QuorumPacket {
  f.noAuth();
  const zxid = f.zxid();
  if (f.raw.data === null || f.raw.data.length === 0) fail('truncated', `${type} without a transaction`);
  const txn = jute(`${type} transaction`, () => decodeTxn(f.raw.data!));
  if (txn.hdr.zxid !== zxid) fail('garbage', `${type} ${zxidHex(zxid)} carries transaction ${zxidHex(txn.hdr.zxid)}`);
  return { type, txn };
}

function decodeRequestPacket(f: Fields): QuorumPacket {
  const r = f.atLeast(16, 'a forwarded request header');
  const sessionId = r.readBigLong();
  const cxid = r.readInt();
  const op = r.readInt();
  let request: ForwardedRequest;
  if (op === OpCode.createSession) {
    if (r.remaining < 4) fail('truncated', `REQUEST createSession data ends before its timeout`);
    request = { kind: 'createSession', timeout: r.readInt() };
  } else if (op === OpCode.closeSession) {
    request = { kind: 'closeSession' };
  } else if (op === OpCode.sync) {
    request = { kind: 'sync' };
  } else if (FORWARDED_WRITES.has(op)) {
    request = { kind: 'write', req: jute(`REQUEST ${opName(op)}`, () => decodeRequest(op, r)) };
  } else {
    fail('type', `REQUEST carries ${opName(op)} (${op}), which a learner does not forward`);
  }
  if (r.remaining > 0) fail('trailing', `${r.remaining} bytes after the ${opName(op)} record in REQUEST`);
  return { type: 'REQUEST', sessionId, cxid, request, ids: f.raw.authinfo ?? [] };
}

/** A packet sent by a learner (other than FOLLOWERINFO/OBSERVERINFO). */
function decodeFromLearner(f: Fields): QuorumPacket {
  switch (f.raw.type) {
    case PacketType.ACKEPOCH: {
      const r = f.noAuth().fixed(4, 'the current epoch');
      const currentEpoch = r.readInt();
      if (currentEpoch < -1) fail('garbage', `ACKEPOCH current epoch ${currentEpoch} is negative`);
      return { type: 'ACKEPOCH', currentEpoch, lastZxid: f.zxid() };
    }
    case PacketType.ACK:
      return { type: 'ACK', zxid: f.noAuth().noData().zxid() };
    case PacketType.PING:
      return { type: 'PING', touches: decodeTouches(f.noAuth()) };
    case PacketType.REVALIDATE: {
      const r = f.noAuth().fixed(12, 'a session id and timeout');
      const sessionId = r.readBigLong();
      return { type: 'REVALIDATE', sessionId, timeout: r.readInt() };
    }
    case PacketType.REQUEST:
      return decodeRequestPacket(f);
  }
  throw new Error(`no decoding for ${f.name} from a learner`);
}

/** A packet sent by a leader (other than SNAP, whose stream the decoder reads). */
function decodeFromLeader(f: Fields): QuorumPacket {
  switch (f.raw.type) {
    case PacketType.LEADERINFO: {
      const version = f.noAuth().fixed(4, 'the protocol version').readInt();
      if (version !== ZAB_PROTOCOL_VERSION) {
        fail('version', `LEADERINFO protocol version 0x${version.toString(16)}; this member speaks 0x${ZAB_PROTOCOL_VERSION.toString(16)}`);
      }
      return { type: 'LEADERINFO', epoch: f.epoch() };
    }
    case PacketType.DIFF:
      return { type: 'DIFF', zxid: f.noAuth().noData().zxid() };
    case PacketType.TRUNC:
      return { type: 'TRUNC', zxid: f.noAuth().noData().zxid() };
    case PacketType.NEWLEADER: {
      // ZooKeeper sends its configuration as data here; ours carries the ensemble's session key
      const epoch = f.noAuth().epoch();
      const r = f.atLeast(8, 'the session key');
      const sessionKey = jute('NEWLEADER', () => {
        const format = r.readInt();
        if (format !== SESSION_KEY_FORMAT) fail('garbage', `NEWLEADER data in format ${format}, not a session key (format ${SESSION_KEY_FORMAT})`);
        const key = r.readBuffer();
        r.expectEnd('NEWLEADER');
        return key;
      });
      if (sessionKey === null || sessionKey.length < MIN_SESSION_KEY || sessionKey.length > MAX_SESSION_KEY) {
        fail('garbage', `NEWLEADER carries a session key of ${sessionKey?.length ?? 0} bytes; ${MIN_SESSION_KEY} to ${MAX_SESSION_KEY} expected`);
      }
      return { type: 'NEWLEADER', epoch, sessionKey };
    }
    case PacketType.UPTODATE:
      // ZooKeeper's UPTODATE has no zxid; ours carries the leader's commit point
      return { type: 'UPTODATE', zxid: f.noAuth().noData().zxid() };
    case PacketType.PROPOSAL:
      return decodeTxnPacket(f, 'PROPOSAL');
    case PacketType.INFORM:
      return decodeTxnPacket(f, 'INFORM');
    case PacketType.COMMIT:
      return { type: 'COMMIT', zxid: f.noAuth().noData().zxid() };
    case PacketType.PING:
      return { type: 'PING', touches: decodeTouches(f.noAuth()) };
    case PacketType.REVALIDATE: {
      const r = f.noAuth().fixed(9, 'a session id and answer');
      const sessionId = r.readBigLong();
      return { type: 'REVALIDATE_ANSWER', sessionId, valid: r.readBool() };
    }
    case PacketType.SYNC: {
      const sessionId = f.noAuth().fixed(8, 'a session id').readBigLong();
      return { type: 'SYNC', sessionId, zxid: f.zxid() };
    }
  }
  throw new Error(`no decoding for ${f.name} from a leader`);
}

/** LearnerInfo: the learner's id, vetted, and its epoch. */
function decodeLearnerInfo(f: Fields, check: PeerCheck): { sid: ServerId; packet: LearnerInfoPacket } {
  const r = f.noAuth().fixed(LEARNER_INFO_BYTES, 'LearnerInfo');
  const sid = checkPeerId(check, r.readBigLong(), f.name);
  const version = r.readInt();
  if (version !== ZAB_PROTOCOL_VERSION) {
    fail('version', `${f.name} from server ${sid}: protocol version 0x${version.toString(16)}; this member speaks 0x${ZAB_PROTOCOL_VERSION.toString(16)}`);
  }
  r.readLong(); // configVersion: dynamic configuration is not run here
  checkFingerprint(check, r.readBigLong(), sid, f.name);
  const format = r.readInt();
  if (format !== PAYLOAD_FORMAT) fail('version', `${f.name} from server ${sid}: payload format ${format}; this member speaks ${PAYLOAD_FORMAT}`);
  const acceptedEpoch = f.epoch();
  return { sid, packet: f.raw.type === PacketType.FOLLOWERINFO ? { type: 'FOLLOWERINFO', acceptedEpoch } : { type: 'OBSERVERINFO', acceptedEpoch } };
}

export interface QuorumLimits {
  /** the largest packet (and snapshot chunk) accepted (default DEFAULT_MAX_QUORUM_PACKET) */
  maxPacketBytes?: number;
  /** the largest snapshot accepted (default DEFAULT_MAX_SNAPSHOT) */
  maxSnapshotBytes?: number;
}

export type QuorumDecoderOptions = QuorumLimits &
  (
    | /** the leader's side: bytes from a learner, vetted by its LearnerInfo */ { sender: 'learner'; check: PeerCheck }
    | /** a learner's side: bytes from the leader it connected to */ { sender: 'leader'; leader: ServerId }
  );

/** A decoded packet and the member it came from. */
export interface ReceivedPacket {
  from: ServerId;
  packet: QuorumPacket;
}

/**
 * Decodes what arrives on one quorum connection, chunk by chunk. On the
 * leader's side the first packet must be FOLLOWERINFO or OBSERVERINFO, whose
 * LearnerInfo names the learner (vetted against the ensemble) before any
 * packet is handed on. On a learner's side, a SNAP is handed on once its
 * whole stream has arrived, with the rebuilt database.
 */
export class QuorumDecoder extends StreamDecoder<ReceivedPacket> {
  private readonly sender: PacketSender;
  private readonly check: PeerCheck | null;
  private readonly maxPacket: number;
  private readonly maxSnapshot: number;
  private readonly scanner: RecordScanner;
  private sid: ServerId | null;
  private snap: SnapshotAssembler | null = null;

  constructor(options: QuorumDecoderOptions) {
    super();
    this.sender = options.sender;
    this.check = options.sender === 'learner' ? options.check : null;
    this.sid = options.sender === 'leader' ? options.leader : null;
    this.maxPacket = options.maxPacketBytes ?? DEFAULT_MAX_QUORUM_PACKET;
    this.maxSnapshot = options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT;
    this.scanner = new RecordScanner(this.maxPacket, (type) => this.checkType(type));
  }

  /** The member at the other end, once known. */
  get peer(): ServerId | null {
    return this.sid;
  }

  protected ended(): void {
    if (this.snap) fail('truncated', `the connection closed ${this.snap.bytes} bytes into a snapshot`);
    endOfStream(this.q, 'quorum packet');
  }

  private checkType(type: number): void {
    checkSentBy(this.sender, type);
    if (this.sid === null && type !== PacketType.FOLLOWERINFO && type !== PacketType.OBSERVERINFO) {
      fail('type', `the first packet of a learner must be FOLLOWERINFO or OBSERVERINFO, not ${packetName(type)}`);
    }
  }

  protected drain(out: ReceivedPacket[]): void {
    const q = this.q;
    for (;;) {
      if (this.snap) {
        const db = this.snap.read(q);
        if (db === null) return;
        out.push({ from: this.sid!, packet: { type: 'SNAP', zxid: this.snap.zxid, db } });
        this.snap = null;
        continue;
      }
      const len = this.scanner.length(q);
      if (len === null) return;
      const f = new Fields(
        jute('QuorumPacket', () => readRaw(q.view(0, len), this.maxPacket)),
        this.maxPacket,
      );
      const type = f.raw.type;
      if (type === PacketType.FOLLOWERINFO || type === PacketType.OBSERVERINFO) {
        const { sid, packet } = decodeLearnerInfo(f, this.check!);
        if (this.sid !== null && sid !== this.sid) fail('unknown-server', `learner ${this.sid} sent ${f.name} as server ${sid}`);
        this.sid = sid;
        out.push({ from: sid, packet });
      } else if (type === PacketType.SNAP) {
        this.snap = new SnapshotAssembler(f.noAuth().noData().zxid(), this.maxPacket, this.maxSnapshot);
      } else {
        out.push({ from: this.sid!, packet: this.sender === 'learner' ? decodeFromLearner(f) : decodeFromLeader(f) });
      }
      q.consume(len);
    }
  }
}
