// Records appended since the last flush, already encoded in the log's
// on-disk format but for their checksums, in a list of fixed-size chunks:
// appending never copies earlier records (as a growing single buffer would),
// a flush hands all chunks to the log writer thread, which seals and writes
// them, and the chunks come back to a small pool afterwards. Chunks are
// shared memory, so handing them over copies nothing.

import { encodeUnsealedRecordInto, readU64, recordSize } from './logformat.js';

const CHUNK_SIZE = 1024 * 1024;
/** Chunks kept for reuse between flushes (at most this many MiB stay allocated). */
const POOL_LIMIT = 16;

export class RecordBuffer {
  /** Filled chunks, each a view of exactly its records. */
  private full: Buffer[] = [];
  private cur: Buffer;
  private curLen = 0;
  private pool: Buffer[] = [];
  /** Bytes buffered. */
  bytes = 0;

  constructor() {
    this.cur = sharedBuffer(CHUNK_SIZE);
  }

  append(zxid: number, payload: Uint8Array): void {
    const need = recordSize(payload.length);
    if (this.curLen + need > this.cur.length) {
      this.seal();
      // A record larger than a chunk gets a buffer of its own.
      this.cur = need > CHUNK_SIZE ? sharedBuffer(need) : this.fresh();
    }
    this.curLen = encodeUnsealedRecordInto(this.cur, this.curLen, zxid, payload);
    this.bytes += need;
  }

  /** The zxid of the first buffered record; the buffer must not be empty. */
  firstZxid(): number {
    return readU64(this.full[0] ?? this.cur, 8);
  }

  /** Hands over every buffered byte, in order, and starts empty. Give the buffers back with `recycle`. */
  take(): Buffer[] {
    if (this.curLen > 0) {
      this.seal();
      this.cur = this.fresh();
    }
    const out = this.full;
    this.full = [];
    this.bytes = 0;
    return out;
  }

  /** Returns buffers from `take` once written, for reuse. */
  recycle(bufs: Buffer[]): void {
    for (const b of bufs) {
      if (this.pool.length >= POOL_LIMIT) return;
      if (b.byteOffset === 0 && b.buffer.byteLength === CHUNK_SIZE) this.pool.push(Buffer.from(b.buffer, 0, CHUNK_SIZE));
    }
  }

  /**
   * Drops buffered records with a zxid above `zxid`; returns the zxid of the
   * last record kept, or null when none is left.
   */
  truncateAfter(zxid: number): number | null {
    const chunks = this.take();
    let kept: number | null = null;
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) {
        const z = readU64(c, off + 8);
        if (z > zxid) break;
        kept = z;
        off += recordSize(c.readUInt32BE(off + 4));
      }
      if (off > 0) {
        this.full.push(c.subarray(0, off));
        this.bytes += off;
      }
      if (off < c.length) break;
    }
    return kept;
  }

  /** Moves the records of the current chunk to `full`; the caller then replaces `cur`. */
  private seal(): void {
    if (this.curLen === 0) return;
    this.full.push(this.cur.subarray(0, this.curLen));
    this.curLen = 0;
  }

  private fresh(): Buffer {
    return this.pool.pop() ?? sharedBuffer(CHUNK_SIZE);
  }
}

function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}
