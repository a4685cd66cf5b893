// On-disk format of a transaction log file (all integers big-endian):
//
//   file header (16 bytes)
//     0  magic        "VKTL" (0x564b544c)
//     4  version      u32, 2 (version 1 had CRC-32C checksums)
//     8  start zxid   u64, the zxid of the first record (also in the file name)
//   records, back to back
//     0  crc          u32, CRC-32 of bytes 4 .. 16+length of this record
//     4  length       u32, payload length
//     8  zxid         u64
//     16 payload      `length` bytes
//   zeros up to the end of the file (preallocated space)
//
// A record of all zeros can never verify (zxid 0 is not a zxid and the CRC of
// twelve zero bytes is not zero), so the first zero header marks the end of
// the log as long as everything after it is zero too.

import type { promises as fsp } from 'node:fs';
import { crc32, crc32Zeros } from './crc32.js';
import { StorageError } from './errors.js';
import { MAX_ZXID, readFully } from './files.js';

export const LOG_MAGIC = 0x564b544c; // "VKTL"
export const LOG_VERSION = 2;
export const LOG_HEADER_SIZE = 16;
export const RECORD_HEADER_SIZE = 16;
/** Largest payload a record may carry (far above jute.maxbuffer). */
export const MAX_PAYLOAD = 1 << 30;

const ZOOKEEPER_LOG_MAGIC = 0x5a4b4c47; // "ZKLG", Apache ZooKeeper's own log files

export function encodeLogHeader(startZxid: number): Buffer {
  const b = Buffer.alloc(LOG_HEADER_SIZE);
  b.writeUInt32BE(LOG_MAGIC, 0);
  b.writeUInt32BE(LOG_VERSION, 4);
  writeU64(b, 8, startZxid);
  return b;
}

/** Why a header is not a valid log header, or null when it is one for `startZxid`. */
export function checkLogHeader(b: Uint8Array, startZxid: number): string | null {
  if (b.length < LOG_HEADER_SIZE) return `file is shorter than its ${LOG_HEADER_SIZE}-byte header`;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const magic = buf.readUInt32BE(0);
  if (magic === ZOOKEEPER_LOG_MAGIC) return 'this is an Apache ZooKeeper log file, not a verikeeper one';
  if (magic !== LOG_MAGIC) return `bad magic 0x${magic.toString(16).padStart(8, '0')} (expected 0x${LOG_MAGIC.toString(16)})`;
  const version = buf.readUInt32BE(4);
  if (version !== LOG_VERSION) return `unsupported log format version ${version} (this build reads version ${LOG_VERSION})`;
  const z = readU64(buf, 8);
  if (z !== startZxid) return `header start zxid 0x${z.toString(16)} does not match the file name (0x${startZxid.toString(16)})`;
  return null;
}

export function writeU64(b: Buffer, off: number, v: number): void {
  b.writeUInt32BE(Math.floor(v / 0x1_0000_0000), off);
  b.writeUInt32BE(v >>> 0, off + 4);
}

export function readU64(b: Buffer, off: number): number {
  return b.readUInt32BE(off) * 0x1_0000_0000 + b.readUInt32BE(off + 4);
}

/** Writes one record (header and payload) at `off`; `b` must have room for it. */
export function encodeRecordInto(b: Buffer, off: number, zxid: number, payload: Uint8Array): number {
  const end = encodeUnsealedRecordInto(b, off, zxid, payload);
  b.writeUInt32BE(crc32(b, off + 4, end), off);
  return end;
}

/** Like encodeRecordInto, but leaves the checksum field for `sealRecords` to fill in. */
export function encodeUnsealedRecordInto(b: Buffer, off: number, zxid: number, payload: Uint8Array): number {
  const len = payload.length;
  b.writeUInt32BE(len, off + 4);
  writeU64(b, off + 8, zxid);
  b.set(payload, off + RECORD_HEADER_SIZE);
  return off + RECORD_HEADER_SIZE + len;
}

/**
 * Fills in the checksum of every record in `b`, which holds whole records
 * back to back from its first byte. It refers to nothing outside itself: the
 * log writer thread runs its source text (see logwriter.ts).
 */
export function sealRecords(b: Uint8Array, crc: (data: Uint8Array) => number): void {
  let off = 0;
  while (off < b.length) {
    const len = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
    const end = off + 16 + len;
    const c = crc(b.subarray(off + 4, end));
    b[off] = c >>> 24;
    b[off + 1] = c >>> 16;
    b[off + 2] = c >>> 8;
    b[off + 3] = c;
    off = end;
  }
}

export interface RawRecord {
  zxid: number;
  /** A view into the reader's buffer, valid until the reader reads again. */
  payload: Buffer;
  offset: number;
}

/** Why reading stopped before the end of the range. */
export interface BadRecord {
  offset: number;
  reason: string;
  /** The zxid field of the bad record when its header was complete. */
  claimedZxid: number | undefined;
}

/**
 * Reads records sequentially from `[start, limit)` of a log file in large
 * chunks into one reused buffer, handing them out a chunk at a time (no
 * promise per record). At the end, `bad` says whether the end was a clean
 * one (`null`: the range ended exactly after a record) or a record that does
 * not verify (which may also be the start of the zero tail: see
 * `classifyTail`).
 */
export class RecordReader {
  private store: Buffer = Buffer.alloc(0);
  private buf: Buffer = this.store;
  private bufStart = 0;
  private want = 0;
  offset: number;
  bad: BadRecord | null = null;

  constructor(
    private readonly h: fsp.FileHandle,
    start: number,
    private readonly limit: number,
    private readonly chunkSize = 1 << 20,
  ) {
    this.offset = start;
  }

  /** The next record if its bytes are buffered; undefined when `more()` must read first; null at the end. */
  private tryNext(): RawRecord | null | undefined {
    const off = this.offset;
    const left = this.limit - off;
    if (left <= 0) return null;
    if (left < RECORD_HEADER_SIZE) return this.stop(off, 'partial record header', undefined);
    const b = this.buf;
    const at = off - this.bufStart;
    if (at < 0 || at + RECORD_HEADER_SIZE > b.length) {
      this.want = RECORD_HEADER_SIZE;
      return undefined;
    }
    const len = b.readUInt32BE(at + 4);
    const zxid = readU64(b, at + 8);
    if (len > left - RECORD_HEADER_SIZE) return this.stop(off, `record length ${len} runs past the end of the file`, zxid);
    const end = RECORD_HEADER_SIZE + len;
    if (at + end > b.length) {
      this.want = end;
      return undefined;
    }
    if (crc32(b, at + 4, at + end) !== b.readUInt32BE(at)) return this.stop(off, 'checksum mismatch', zxid);
    if (zxid === 0 || zxid > MAX_ZXID) return this.stop(off, `invalid zxid ${zxid}`, zxid);
    this.offset = off + end;
    return { zxid, payload: b.subarray(at + RECORD_HEADER_SIZE, at + end), offset: off };
  }

  /** Reads the bytes that `tryNext()` found missing. */
  private async more(): Promise<void> {
    const off = this.offset;
    const want = Math.min(Math.max(this.want, this.chunkSize), this.limit - off);
    if (this.store.length < want) this.store = Buffer.allocUnsafe(want);
    const got = await readFully(this.h, this.store, 0, want, off);
    this.buf = this.store.subarray(0, got);
    this.bufStart = off;
    if (got < this.want) throw new StorageError(`log file shrank while it was read (at offset ${off})`);
  }

  /**
   * The records whose bytes are buffered, after reading a chunk when none
   * is; empty at the end. The payload views stay valid until the next call.
   */
  async batch(): Promise<RawRecord[]> {
    const out: RawRecord[] = [];
    for (;;) {
      const r = this.tryNext();
      if (r === null) return out;
      if (r !== undefined) {
        out.push(r);
        continue;
      }
      // Reading would overwrite the buffer that the views in `out` point into.
      if (out.length > 0) return out;
      await this.more();
    }
  }

  private stop(offset: number, reason: string, claimedZxid: number | undefined): null {
    this.bad = { offset, reason, claimedZxid };
    return null;
  }
}

/** Offset of the last non-zero byte in `[from, to)`, or -1 when the range is all zeros. */
export async function lastNonZero(h: fsp.FileHandle, from: number, to: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(1 << 20);
  let end = to;
  while (end > from) {
    const start = Math.max(from, end - chunk.length);
    const got = await readFully(h, chunk, 0, end - start, start);
    for (let i = got - 1; i >= 0; i--) if (chunk[i] !== 0) return start + i;
    end = start;
  }
  return -1;
}

export type Tail =
  | { kind: 'zeros' }
  | { kind: 'torn' }
  | { kind: 'followed'; offset: number; zxid: number };

/**
 * What follows a record that does not verify at `badOffset`:
 * - `zeros`: nothing but zeros up to `fileSize` (the normal end of a log);
 * - `torn`: bytes that contain no valid record (a write cut short);
 * - `followed`: a valid record with a zxid above `lastGoodZxid` further on,
 *   so the bad record is damage in the middle of the log.
 */
export async function classifyTail(
  h: fsp.FileHandle,
  badOffset: number,
  fileSize: number,
  lastGoodZxid: number,
): Promise<Tail> {
  const last = await lastNonZero(h, badOffset, fileSize);
  if (last < 0) return { kind: 'zeros' };
  // A valid record holds a non-zero zxid, so it starts at or before `last`;
  // everything after `last` up to the end of the file is known to be zero.
  // The region is padded with zeros so that a header near its end reads whole.
  const size = last + 1 - badOffset;
  const region = Buffer.alloc(size + RECORD_HEADER_SIZE);
  await readFully(h, region, 0, size, badOffset);
  for (let q = 1; q < size; q++) {
    const pos = badOffset + q;
    if (fileSize - pos < RECORD_HEADER_SIZE) break;
    const zxid = readU64(region, q + 8);
    if (zxid <= lastGoodZxid || zxid > MAX_ZXID) continue;
    const len = region.readUInt32BE(q + 4);
    if (len > fileSize - pos - RECORD_HEADER_SIZE) continue;
    const recEnd = q + RECORD_HEADER_SIZE + len;
    const inRegion = Math.min(recEnd, region.length);
    let crc = crc32(region, q + 4, inRegion);
    if (recEnd > inRegion) crc = crc32Zeros(recEnd - inRegion, crc);
    if (crc === region.readUInt32BE(q)) return { kind: 'followed', offset: pos, zxid };
  }
  return { kind: 'torn' };
}
