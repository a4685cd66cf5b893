// SNAP on the quorum connection: the leader's database is streamed, never
// built as one buffer on the sending side. The SNAP record is followed by
// the snapshot content (src/wire/snapshot-codec.ts) in chunk frames, then an
// end marker and a trailer that counts and checksums the content:
//
//   QuorumPacket {SNAP, zxid, null, null}
//   { int length (1 ..); byte[length] }*          chunk frames
//   int -1; long totalBytes; int crc32            end marker, trailer
//
// The database is captured when the stream is made (copy on write, see
// SnapshotEncoder): transactions applied while it is being sent do not show
// in it. The content is encoded a slice of nodes at a time, with a turn of
// the event loop between slices.

import { constants as bufferConstants } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database } from '../../core/database.js';
import { invariant } from '../../core/invariant.js';
import type { QuorumPacket } from '../../core/zab/messages.js';
import { zxidHex } from '../../core/zxid.js';
import { JuteError } from '../../wire/jute.js';
import { decodeSnapshot, SnapshotEncoder } from '../../wire/snapshot-codec.js';
import { crc32 } from '../storage/crc32.js';
import type { ByteQueue } from './byte-queue.js';
import { fail } from './errors.js';
import { encodeRecord, PacketType } from './quorum-record.js';

export type SnapPacket = Extract<QuorumPacket, { type: 'SNAP' }>;

/** The largest chunk frame a stream writes by default. */
export const DEFAULT_SNAPSHOT_CHUNK = 128 * 1024;
/** Nodes encoded between two turns of the event loop by default. */
export const DEFAULT_NODES_PER_SLICE = 2000;
/** The largest snapshot accepted by default: the largest buffer Node can hold it in. */
export const DEFAULT_MAX_SNAPSHOT = bufferConstants.MAX_LENGTH;

const END_MARKER = -1;
const TRAILER_BYTES = 16;

export interface SnapshotStreamOptions {
  /** the largest chunk frame payload (default DEFAULT_SNAPSHOT_CHUNK) */
  chunkBytes?: number;
  /** nodes encoded per slice (default DEFAULT_NODES_PER_SLICE) */
  nodesPerSlice?: number;
}

/**
 * The bytes of a SNAP, in pieces to write to the socket in order: the SNAP
 * record, the chunk frames, the end marker with the trailer. Made when the
 * core's SNAP is sent (the database is captured then). A stream not read to
 * its end must be closed with `return()` (a `for await` loop left early does
 * that): until then the tree keeps the capture going.
 */
export class SnapshotStream implements AsyncIterableIterator<Uint8Array> {
  readonly zxid: number;
  private readonly encoder: SnapshotEncoder;
  private readonly chunkBytes: number;
  private readonly nodesPerSlice: number;
  private readonly pending: Uint8Array[] = [];
  private encoded = false;
  private stepped = false;
  private closed = false;
  private bytes = 0;
  private crc = 0;

  constructor(packet: SnapPacket, options: SnapshotStreamOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_SNAPSHOT_CHUNK;
    this.nodesPerSlice = options.nodesPerSlice ?? DEFAULT_NODES_PER_SLICE;
    if (!(this.chunkBytes >= 1) || !(this.nodesPerSlice >= 1)) throw new Error('chunkBytes and nodesPerSlice must be at least 1');
    this.encoder = new SnapshotEncoder(packet.db);
    if (this.encoder.zxid !== packet.zxid) this.encoder.close();
    invariant(
      this.encoder.zxid === packet.zxid,
      () => `SNAP of ${zxidHex(packet.zxid)} sent when the database is at ${zxidHex(this.encoder.zxid)}`,
    );
    this.zxid = packet.zxid;
    this.pending.push(encodeRecord(PacketType.SNAP, packet.zxid, null));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    try {
      while (this.pending.length === 0 && !this.encoded && !this.closed) {
        if (this.stepped) await nextTurn();
        this.stepped = true;
        if (!this.closed) this.slice();
      }
    } catch (e) {
      this.stop();
      throw e;
    }
    const value = this.pending.shift();
    if (value === undefined) return { done: true, value: undefined };
    return { done: false, value };
  }

  /** Abandons the stream: the capture of the database ends, nothing more comes out. */
  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    this.stop();
    return { done: true, value: undefined };
  }

  private stop(): void {
    this.closed = true;
    this.pending.length = 0;
    this.encoder.close();
  }

  private slice(): void {
    const complete = this.encoder.step(this.nodesPerSlice);
    for (const chunk of this.encoder.take()) {
      for (let at = 0; at < chunk.length; at += this.chunkBytes) {
        const n = Math.min(this.chunkBytes, chunk.length - at);
        const frame = Buffer.allocUnsafe(4 + n);
        frame.writeInt32BE(n, 0);
        frame.set(chunk.subarray(at, at + n), 4);
        this.crc = crc32(frame, 4, 4 + n, this.crc);
        this.bytes += n;
        this.pending.push(frame);
      }
    }
    if (!complete) return;
    this.encoded = true;
    const end = Buffer.allocUnsafe(TRAILER_BYTES);
    end.writeInt32BE(END_MARKER, 0);
    end.writeBigInt64BE(BigInt(this.bytes), 4);
    end.writeInt32BE(this.crc | 0, 12);
    this.pending.push(end);
  }
}

/**
 * The receiving side of a SNAP: takes chunk frames off the front of the
 * connection's bytes (copying them) until the trailer, checks the count and
 * the checksum, and rebuilds the database.
 */
export class SnapshotAssembler {
  private readonly chunks: Uint8Array[] = [];
  private received = 0;
  private crc = 0;

  constructor(
    readonly zxid: number,
    private readonly maxChunk: number,
    private readonly maxTotal: number,
  ) {}

  /** Content bytes received so far. */
  get bytes(): number {
    return this.received;
  }

  /** Consumes what it can of `q`: the database once the stream is complete, else null. */
  read(q: ByteQueue): Database | null {
    for (;;) {
      if (!q.has(4)) return null;
      const len = q.int(0);
      if (len === END_MARKER) {
        if (!q.has(TRAILER_BYTES)) return null;
        const total = q.bigLong(4);
        const crc = q.int(12) >>> 0;
        q.consume(TRAILER_BYTES);
        return this.finish(total, crc);
      }
      if (len <= 0) fail('garbage', `snapshot chunk length ${len} is not positive`);
      if (len > this.maxChunk) fail('oversized', `snapshot chunk of ${len} bytes exceeds the maximum ${this.maxChunk}`);
      if (this.received + len > this.maxTotal) {
        fail('oversized', `snapshot of more than ${this.received + len - 1} bytes exceeds the maximum ${this.maxTotal}`);
      }
      if (!q.has(4 + len)) return null;
      const chunk = Uint8Array.from(q.view(4, len));
      q.consume(4 + len);
      this.crc = crc32(chunk, 0, len, this.crc);
      this.received += len;
      this.chunks.push(chunk);
    }
  }

  private finish(total: bigint, crc: number): Database {
    if (total !== BigInt(this.received)) fail('garbage', `the snapshot trailer counts ${total} bytes, but ${this.received} arrived`);
    if (crc !== this.crc) fail('garbage', `snapshot checksum 0x${this.crc.toString(16)} does not match the trailer's 0x${crc.toString(16)}`);
    let db: Database;
    try {
      db = decodeSnapshot(Buffer.concat(this.chunks, this.received));
    } catch (e) {
      if (e instanceof JuteError) fail('garbage', `snapshot content: ${e.message}`);
      throw e;
    }
    this.chunks.length = 0;
    if (db.lastZxid !== this.zxid) fail('garbage', `SNAP of ${zxidHex(this.zxid)} carries a snapshot of ${zxidHex(db.lastZxid)}`);
    return db;
  }
}
