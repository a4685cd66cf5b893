// On-disk format of a transaction log file (all integers big-endian):
//
//   file header (16 bytes)
//     0  magic        "VKTL" (0x564b544c)
//     4  version      u32, 3
//     8  start zxid   u64, the zxid of the first record (also in the file name)
//   records, back to back, each starting at a multiple of 16 bytes
//     0    hcrc       u32, CRC-32 of bytes 4 .. 16 (length and zxid)
//     4    length     u32, payload length
//     8    zxid       u64
//     16   payload    `length` bytes, then zeros up to 8 bytes before the
//                     next multiple of 16 (the record's end E)
//     E-8  crc        u32, CRC-32 of bytes 0 .. E-8 of the record
//     E-4  end        "VKRE" (0x564b5245): the record was written whole
//   zeros up to the end of the file (preallocated space)
//
// Version 2 had one checksum in front and nothing else, and so could not
// tell a record cut short by a crash from a damaged one. Each part says why:
// - A write torn by a crash leaves a prefix of what was written and zeros
//   (preallocated space) or nothing (the file ends) after it. A record
//   whose end marker is zeros or missing was cut short: a torn write, which
//   only the newest log may end with. A record whose end marker is there but
//   whose checksum fails was written whole and damaged since: corruption,
//   wherever it stands, never dropped in silence.
// - The header checksum makes the length trustworthy before it is used to
//   find the end marker: a damaged length cannot make a whole record look
//   cut short.
// - Records start at multiples of 16, so a 16-byte header never straddles a
//   disk sector (512 bytes or more): a torn write loses a header whole or
//   not at all, and a header that fails its checksum is damage.
// - A header of zeros ends the records: the header checksum of 12 zero
//   bytes is not zero.

import type { promises as fsp } from 'node:fs';
import { crc32 } from './crc32.js';
import { StorageError } from './errors.js';
import { MAX_ZXID, readFully } from './files.js';

export const LOG_MAGIC = 0x564b544c; // "VKTL"
export const LOG_VERSION = 3;
export const LOG_HEADER_SIZE = 16;
export const RECORD_HEADER_SIZE = 16;
/** Bytes after the payload and its padding: checksum and end marker. */
export const RECORD_TRAILER_SIZE = 8;
/** Records start at multiples of this many bytes. */
export const RECORD_ALIGN = 16;
export const RECORD_END_MAGIC = 0x564b5245; // "VKRE"
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

/** Bytes a record with a payload of `length` bytes takes in the file. */
export function recordSize(length: number): number {
  return Math.ceil((RECORD_HEADER_SIZE + length + RECORD_TRAILER_SIZE) / RECORD_ALIGN) * RECORD_ALIGN;
}

/** Writes one whole record at `off`; `b` must have room for it. Returns the offset after it. */
export function encodeRecordInto(b: Buffer, off: number, zxid: number, payload: Uint8Array): number {
  const end = encodeUnsealedRecordInto(b, off, zxid, payload);
  b.writeUInt32BE(crc32(b, off, end - RECORD_TRAILER_SIZE), end - RECORD_TRAILER_SIZE);
  return end;
}

/**
 * Like encodeRecordInto, but leaves the record checksum for `sealRecords` to
 * fill in (the header checksum and the end marker are written).
 */
export function encodeUnsealedRecordInto(b: Buffer, off: number, zxid: number, payload: Uint8Array): number {
  const len = payload.length;
  const end = off + recordSize(len);
  b.writeUInt32BE(len, off + 4);
  writeU64(b, off + 8, zxid);
  b.writeUInt32BE(crc32(b, off + 4, off + RECORD_HEADER_SIZE), off);
  b.set(payload, off + RECORD_HEADER_SIZE);
  // buffers are reused: the padding must be zeros
  b.fill(0, off + RECORD_HEADER_SIZE + len, end - 4);
  b.writeUInt32BE(RECORD_END_MAGIC, end - 4);
  return end;
}

/**
 * Fills in the record checksum of every record in `b`, which holds whole
 * records back to back from its first byte. It refers to nothing outside
 * itself: the log writer thread runs its source text (see logwriter.ts).
 */
export function sealRecords(b: Uint8Array, crc: (data: Uint8Array) => number): void {
  let off = 0;
  while (off < b.length) {
    const len = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
    const end = off + Math.ceil((16 + len + 8) / 16) * 16;
    const at = end - 8;
    const c = crc(b.subarray(off, at));
    b[at] = c >>> 24;
    b[at + 1] = c >>> 16;
    b[at + 2] = c >>> 8;
    b[at + 3] = c;
    off = end;
  }
}

/** Whether `b[at, at + n)` holds only zeros. */
function zeros(b: Uint8Array, at: number, n: number): boolean {
  for (let i = at; i < at + n; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * What the record at `at` of `b` is, given that the file has `left` bytes
 * from there on (of which `b` may hold fewer: then 'more' asks for `need`).
 */
export type RecordCheck =
  | { kind: 'ok'; zxid: number; size: number; length: number }
  | { kind: 'more'; need: number }
  | { kind: 'end' }
  | { kind: 'torn'; reason: string; zxid: number | undefined }
  | { kind: 'corrupt'; reason: string; zxid: number | undefined };

export function checkRecord(b: Buffer, at: number, left: number): RecordCheck {
  if (left < RECORD_HEADER_SIZE) {
    if (b.length - at < left) return { kind: 'more', need: left };
    return zeros(b, at, left) ? { kind: 'end' } : { kind: 'torn', reason: 'partial record header at the end of the file', zxid: undefined };
  }
  if (b.length - at < RECORD_HEADER_SIZE) return { kind: 'more', need: RECORD_HEADER_SIZE };
  if (zeros(b, at, RECORD_HEADER_SIZE)) return { kind: 'end' };
  const len = b.readUInt32BE(at + 4);
  const zxid = readU64(b, at + 8);
  if (crc32(b, at + 4, at + RECORD_HEADER_SIZE) !== b.readUInt32BE(at)) {
    return { kind: 'corrupt', reason: 'header checksum mismatch (length or zxid damaged)', zxid: undefined };
  }
  if (zxid === 0 || zxid > MAX_ZXID) return { kind: 'corrupt', reason: `invalid zxid ${zxid}`, zxid };
  const size = recordSize(len);
  if (size > left) return { kind: 'torn', reason: `record of ${size} bytes cut short by the end of the file`, zxid };
  if (b.length - at < size) return { kind: 'more', need: size };
  const end = at + size;
  const marker = b.readUInt32BE(end - 4);
  if (marker === 0) return { kind: 'torn', reason: 'record incompletely written (no end marker)', zxid };
  if (marker !== RECORD_END_MAGIC) return { kind: 'corrupt', reason: `damaged end marker 0x${marker.toString(16).padStart(8, '0')}`, zxid };
  if (crc32(b, at, end - RECORD_TRAILER_SIZE) !== b.readUInt32BE(end - RECORD_TRAILER_SIZE)) {
    return { kind: 'corrupt', reason: 'checksum mismatch in a record written whole', zxid };
  }
  return { kind: 'ok', zxid, size, length: len };
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
  /**
   * `end`: a header of zeros (the end of the records if only zeros follow);
   * `torn`: a record cut short; `corrupt`: a record written whole and damaged.
   */
  kind: 'end' | 'torn' | 'corrupt';
  reason: string;
  /** The zxid of the bad record when its header verified. */
  claimedZxid: number | undefined;
}

/**
 * Reads records sequentially from `[start, limit)` of a log file in large
 * chunks into one reused buffer, handing them out a chunk at a time (no
 * promise per record). At the end, `bad` says whether the end was a clean
 * one (`null`: the range ended exactly after a record) or where and why the
 * records stopped (see `classifyTail` for what follows them).
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
    const at = off - this.bufStart;
    if (at < 0 || at > this.buf.length) {
      this.want = Math.min(left, RECORD_HEADER_SIZE);
      return undefined;
    }
    const r = checkRecord(this.buf, at, left);
    switch (r.kind) {
      case 'more':
        this.want = r.need;
        return undefined;
      case 'ok':
        this.offset = off + r.size;
        return { zxid: r.zxid, payload: this.buf.subarray(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + r.length), offset: off };
      case 'end':
        this.bad = { offset: off, kind: 'end', reason: 'end of the records', claimedZxid: undefined };
        return null;
      default:
        this.bad = { offset: off, kind: r.kind, reason: r.reason, claimedZxid: r.zxid };
        return null;
    }
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
  | { kind: 'unverifiable' }
  | { kind: 'followed'; offset: number; zxid: number };

/**
 * What follows the point `badOffset` where the records stopped:
 * - `zeros`: nothing but zeros up to `fileSize` (the normal end of a log);
 * - `unverifiable`: bytes that hold no whole, valid record;
 * - `followed`: a whole, valid record with a zxid above `lastGoodZxid`
 *   further on (at a multiple of 16 past `badOffset`), so the records
 *   stopped in the middle of the log.
 */
export async function classifyTail(
  h: fsp.FileHandle,
  badOffset: number,
  fileSize: number,
  lastGoodZxid: number,
): Promise<Tail> {
  const last = await lastNonZero(h, badOffset, fileSize);
  if (last < 0) return { kind: 'zeros' };
  // A valid record ends with its non-zero end marker, so it ends at or
  // before `last` + 1; everything after `last` is known to be zero.
  const size = last + 1 - badOffset;
  const region = Buffer.alloc(size);
  await readFully(h, region, 0, size, badOffset);
  for (let q = RECORD_ALIGN; q + RECORD_HEADER_SIZE <= size; q += RECORD_ALIGN) {
    const r = checkRecord(region, q, size - q);
    if (r.kind === 'ok' && r.zxid > lastGoodZxid) return { kind: 'followed', offset: badOffset + q, zxid: r.zxid };
  }
  return { kind: 'unverifiable' };
}
