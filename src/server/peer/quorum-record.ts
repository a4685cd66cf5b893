// ZooKeeper's QuorumPacket record — {int type; long zxid; buffer data;
// vector<Id> authinfo} — and its packet type numbers. Records follow one
// another on the quorum connection with no frame around them: a reader
// finds where one ends from its length fields (RecordScanner).

import { JuteWriter } from '../../wire/jute.js';
import type { Id } from '../../wire/protocol.js';
import type { ByteQueue } from './byte-queue.js';
import { fail } from './errors.js';

/** Packet type numbers (ZooKeeper's Leader constants). */
export const PacketType = {
  REQUEST: 1,
  PROPOSAL: 2,
  ACK: 3,
  COMMIT: 4,
  PING: 5,
  /** a learner's REVALIDATE, and the leader's answer to it */
  REVALIDATE: 6,
  SYNC: 7,
  INFORM: 8,
  COMMITANDACTIVATE: 9,
  NEWLEADER: 10,
  FOLLOWERINFO: 11,
  UPTODATE: 12,
  DIFF: 13,
  TRUNC: 14,
  SNAP: 15,
  OBSERVERINFO: 16,
  LEADERINFO: 17,
  ACKEPOCH: 18,
  INFORMANDACTIVATE: 19,
} as const;

const names = new Map<number, string>(Object.entries(PacketType).map(([k, v]) => [v, k]));

/** The name of a packet type (`PROPOSAL`), undefined for a number ZooKeeper does not use. */
export function packetTypeName(type: number): string | undefined {
  return names.get(type);
}

/** `PROPOSAL (2)`, or `type 99` for a number ZooKeeper does not use. */
export function packetName(type: number): string {
  const n = names.get(type);
  return n === undefined ? `type ${type}` : `${n} (${type})`;
}

/** The zxid field of packets that carry none, as ZooKeeper writes it. */
export const NO_ZXID = -1;

const writer = new JuteWriter();

/**
 * One QuorumPacket record. `data` writes the content of the data buffer
 * (null: a null buffer); `authinfo` null writes a null vector. The bytes are
 * a view that stays valid (see JuteWriter.finish).
 */
export function encodeRecord(type: number, zxid: number, data: ((w: JuteWriter) => void) | null, authinfo: readonly Id[] | null = null): Uint8Array {
  const w = writer;
  try {
    w.writeInt(type);
    w.writeLong(zxid);
    if (data === null) {
      w.writeInt(-1);
    } else {
      const mark = w.beginFrame();
      data(w);
      w.endFrame(mark);
    }
    if (authinfo === null) {
      w.writeInt(-1);
    } else {
      w.writeInt(authinfo.length);
      for (const id of authinfo) {
        w.writeUstring(id.scheme);
        w.writeUstring(id.id);
      }
    }
    return w.finish();
  } catch (e) {
    w.discard();
    throw e;
  }
}

/** The fewest bytes an Id takes (two empty strings). */
const MIN_ID_BYTES = 8;
/** type, zxid and the data length */
const HEAD_BYTES = 16;

/**
 * Finds where the record at the front of a ByteQueue ends, as its bytes
 * arrive: resumable, so feeding a record a byte at a time costs no rescans.
 * Every length is checked as soon as it is in (a record over `max` bytes is
 * refused before its body is waited for), and so is the type (`checkType`).
 */
export class RecordScanner {
  /** bytes of the record known so far; 0 before its head is read */
  private pos = 0;
  /** Ids still to skip; -1 before the authinfo count is read */
  private ids = -1;

  constructor(
    private readonly max: number,
    private readonly checkType: (type: number) => void,
  ) {}

  /** The length of the record at the front of `q` once all of it is there, else null. */
  length(q: ByteQueue): number | null {
    if (this.pos === 0) {
      if (!q.has(4)) return null;
      const type = q.int(0);
      this.checkType(type);
      if (!q.has(HEAD_BYTES)) return null;
      const dataLen = q.int(12);
      if (dataLen < -1) fail('garbage', `${packetName(type)} data length ${dataLen} is negative`);
      this.pos = this.limit(HEAD_BYTES + Math.max(dataLen, 0) + 4, type);
      this.ids = -1;
    }
    if (this.ids === -1) {
      if (!q.has(this.pos)) return null;
      const count = q.int(this.pos - 4);
      if (count < -1) fail('garbage', `${packetName(q.int(0))} authinfo count ${count} is negative`);
      this.limit(this.pos + Math.max(count, 0) * MIN_ID_BYTES, q.int(0));
      this.ids = Math.max(count, 0);
    }
    while (this.ids > 0) {
      // an Id: scheme, then id, each a length-prefixed string
      let p = this.pos;
      for (let field = 0; field < 2; field++) {
        if (!q.has(p + 4)) return null;
        const len = q.int(p);
        if (len < -1) fail('garbage', `${packetName(q.int(0))} authinfo string length ${len} is negative`);
        p = this.limit(p + 4 + Math.max(len, 0), q.int(0));
      }
      this.pos = p;
      this.ids--;
    }
    if (!q.has(this.pos)) return null;
    const total = this.pos;
    this.pos = 0;
    return total;
  }

  private limit(atLeast: number, type: number): number {
    if (atLeast > this.max) fail('oversized', `${packetName(type)} packet of at least ${atLeast} bytes exceeds the maximum ${this.max}`);
    return atLeast;
  }
}
