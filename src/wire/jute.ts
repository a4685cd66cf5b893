// Jute binary encoding, as ZooKeeper's BinaryOutputArchive/BinaryInputArchive
// write and read it: big-endian int (4 bytes) and long (8 bytes), boolean as
// one byte, buffer and ustring as an int length followed by the bytes (UTF-8
// for strings), vectors as an int count followed by the elements, and `null`
// for a buffer, string or vector written as length -1.
//
// The writer encodes into one growable slab; the reader checks every length
// against the bytes that remain and against a configurable maximum, and every
// failure is a JuteError that says what was being read and where.

import { DEFAULT_JUTE_MAXBUFFER } from './protocol.js';

/** Malformed or truncated jute input (or an unencodable value). */
export class JuteError extends Error {
  override name = 'JuteError';
}

/**
 * A request whose opcode the codec does not know. It is a JuteError, but the
 * frame itself was well formed up to the opcode, so a server can answer it
 * (ZooKeeper answers `Unimplemented`) instead of closing the connection.
 */
export class UnknownOpcodeError extends JuteError {
  override name = 'UnknownOpcodeError';
  /** The xid of the request, when the header was read (decodeRequestFrame sets it). */
  xid: number | undefined;
  constructor(readonly opcode: number, context = 'request') {
    super(`unknown opcode ${opcode} in ${context}`);
  }
}

const TWO32 = 4294967296;
const DEFAULT_SLAB = 64 * 1024;

/**
 * Encodes jute values into a slab of memory. Finished output is handed out as
 * views into the slab (`finish()`); the writer never writes over bytes it has
 * handed out — when the slab runs out it moves to a fresh one — so a view can
 * be passed to an asynchronous socket write without copying. A view keeps its
 * slab alive: copy it if it is to be kept for long.
 */
export class JuteWriter {
  private buf: Buffer;
  private view: DataView;
  private start = 0;
  private pos = 0;

  constructor(private readonly slabSize = DEFAULT_SLAB) {
    this.buf = Buffer.allocUnsafeSlow(slabSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Bytes written since the last `finish()` / `discard()`. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Makes room for `n` more bytes, moving the unfinished output to a new slab if needed. */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.start;
    const size = Math.max(this.slabSize, (used + n) * 2);
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  writeInt(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  /** A long given as a number: exact for integers of magnitude up to 2^53. */
  writeLong(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO32);
    const lo = v - hi * TWO32;
    const b = this.buf;
    const p = this.pos;
    b[p] = hi >>> 24;
    b[p + 1] = hi >>> 16;
    b[p + 2] = hi >>> 8;
    b[p + 3] = hi;
    b[p + 4] = lo >>> 24;
    b[p + 5] = lo >>> 16;
    b[p + 6] = lo >>> 8;
    b[p + 7] = lo;
    this.pos = p + 8;
  }

  /** A long given as a bigint (session ids, ephemeral owners): all 64 bits, two's complement. */
  writeBigLong(v: bigint): void {
    if (v === 0n) {
      this.ensure(8);
      const b = this.buf;
      const p = this.pos;
      b[p] = b[p + 1] = b[p + 2] = b[p + 3] = b[p + 4] = b[p + 5] = b[p + 6] = b[p + 7] = 0;
      this.pos = p + 8;
      return;
    }
    // a DataView writes the 64 bits (modulo 2^64, as asUintN did) without
    // the intermediate bigints of shifts and masks
    this.ensure(8);
    if (this.view.buffer !== this.buf.buffer) this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  writeBuffer(v: Uint8Array | null): void {
    if (v === null) {
      this.writeInt(-1);
      return;
    }
    const n = v.length;
    this.writeInt(n);
    this.ensure(n);
    this.buf.set(v, this.pos);
    this.pos += n;
  }

  /** A ustring: length-prefixed UTF-8, `null` as length -1. */
  writeUstring(s: string | null): void {
    if (s === null) {
      this.writeInt(-1);
      return;
    }
    const n = s.length;
    this.ensure(4 + n * 3);
    const b = this.buf;
    const lenAt = this.pos;
    let p = lenAt + 4;
    let ascii = n <= 64;
    if (ascii) {
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        b[p + i] = c;
      }
    }
    const len = ascii ? n : b.write(s, p, 'utf8');
    p = lenAt;
    b[p] = len >>> 24;
    b[p + 1] = len >>> 16;
    b[p + 2] = len >>> 8;
    b[p + 3] = len;
    this.pos = lenAt + 4 + len;
  }

  /** A vector<ustring>; `null` as count -1. */
  writeStringVector(v: readonly string[] | null): void {
    if (v === null) {
      this.writeInt(-1);
      return;
    }
    this.writeInt(v.length);
    for (let i = 0; i < v.length; i++) this.writeUstring(v[i]!);
  }

  /** Appends raw bytes (no length prefix). */
  writeRaw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Reserves the 4-byte length prefix of a frame; pass the mark to `endFrame`. */
  beginFrame(): number {
    const mark = this.pos - this.start;
    this.writeInt(0);
    return mark;
  }

  /** Fills in the length prefix reserved by `beginFrame`. */
  endFrame(mark: number): void {
    const at = this.start + mark;
    const len = this.pos - at - 4;
    const b = this.buf;
    b[at] = len >>> 24;
    b[at + 1] = len >>> 16;
    b[at + 2] = len >>> 8;
    b[at + 3] = len;
  }

  /** Hands out everything written since the last finish as a view (see the class comment). */
  finish(): Uint8Array {
    const b = this.buf;
    const out = new Uint8Array(b.buffer, b.byteOffset + this.start, this.pos - this.start);
    this.start = this.pos;
    return out;
  }

  /** Drops everything written since the last finish. */
  discard(): void {
    this.pos = this.start;
  }

  /** Drops what was written after `mark` (a value `beginFrame` returned). */
  rewind(mark: number): void {
    this.pos = this.start + mark;
  }
}

export interface JuteReaderOptions {
  /** Where to start reading in the given bytes (default 0). */
  offset?: number;
  /** Where to stop (default: the end of the bytes). */
  end?: number;
  /** The largest buffer or string length accepted (default `jute.maxbuffer`, 0xfffff). */
  maxLength?: number;
  /**
   * Return buffers as views into the input instead of copies (default
   * false). Faster, but a kept view keeps the whole input alive.
   */
  views?: boolean;
}

/**
 * Decoded buffers of up to POOLED_MAX bytes are copied into shared slabs of
 * POOL_SLAB bytes: an ArrayBuffer of their own would cost several times
 * their size (a server keeps one per znode). A slab stays alive while any
 * buffer in it does; small slabs and the small size limit bound what a few
 * long-lived buffers can hold on to.
 */
const POOLED_MAX = 128;
const POOL_SLAB = 4096;
let pool: Buffer = Buffer.allocUnsafeSlow(0);
let poolUsed = 0;

/** A copy of `len` bytes of `src` from `at`, in a pool slab or (large) in memory of its own. */
function copyOut(src: Buffer, at: number, len: number): Uint8Array {
  if (len > POOLED_MAX) return new Uint8Array(src.subarray(at, at + len));
  if (len === 0) return new Uint8Array(0);
  if (poolUsed + len > pool.length) {
    pool = Buffer.allocUnsafeSlow(POOL_SLAB);
    poolUsed = 0;
  }
  const start = poolUsed;
  src.copy(pool, start, at, at + len);
  poolUsed = (start + len + 7) & ~7;
  return new Uint8Array(pool.buffer, pool.byteOffset + start, len);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes jute values from a byte range. Never reads past the end of the
 * range: a length that does not fit, a negative length other than -1 or a
 * length above `maxLength` throws a JuteError naming the offset (relative to
 * the start of the range). Buffers are returned as copies, which do not keep
 * the input alive (small ones share pool slabs, see POOLED_MAX).
 */
export class JuteReader {
  private readonly buf: Buffer;
  private readonly base: number;
  private readonly end: number;
  private p: number;
  readonly maxLength: number;
  private readonly views: boolean;

  constructor(bytes: Uint8Array, options?: JuteReaderOptions) {
    this.buf = asBuffer(bytes);
    const offset = options?.offset ?? 0;
    const end = options?.end ?? bytes.length;
    if (offset < 0 || end > bytes.length || offset > end) {
      throw new JuteError(`reader range [${offset}, ${end}) is outside the ${bytes.length} bytes given`);
    }
    this.base = offset;
    this.p = offset;
    this.end = end;
    this.maxLength = options?.maxLength ?? DEFAULT_JUTE_MAXBUFFER;
    this.views = options?.views ?? false;
  }

  /** Current position, relative to the start of the range. */
  get offset(): number {
    return this.p - this.base;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.p;
  }

  /** Throws unless every byte of the range has been read. */
  expectEnd(what = 'record'): void {
    if (this.p !== this.end) {
      throw new JuteError(`${this.end - this.p} unexpected trailing bytes after ${what} at offset ${this.offset}`);
    }
  }

  private truncated(what: string, need: number): JuteError {
    return new JuteError(`${what} needs ${need} bytes but ${this.end - this.p} remain at offset ${this.offset}`);
  }

  readInt(): number {
    const p = this.p;
    if (p + 4 > this.end) throw this.truncated('int', 4);
    const b = this.buf;
    this.p = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  /** A long as a number: exact for magnitudes up to 2^53. */
  readLong(): number {
    if (this.p + 8 > this.end) throw this.truncated('long', 8);
    const hi = this.readInt();
    return hi * TWO32 + (this.readInt() >>> 0);
  }

  /** A long as a bigint, all 64 bits (signed). */
  readBigLong(): bigint {
    if (this.p + 8 > this.end) throw this.truncated('long', 8);
    const hi = this.readInt();
    const lo = this.readInt() >>> 0;
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A boolean: any non-zero byte is true, as Java's DataInput reads it. */
  readBool(): boolean {
    if (this.p + 1 > this.end) throw this.truncated('boolean', 1);
    return this.buf[this.p++]! !== 0;
  }

  /** Reads and checks the length prefix of a buffer or string; -1 means null. */
  private readLength(what: string): number {
    const at = this.offset;
    const len = this.readInt();
    if (len === -1) return -1;
    if (len < 0) throw new JuteError(`negative ${what} length ${len} at offset ${at}`);
    if (len > this.maxLength) {
      throw new JuteError(`${what} length ${len} exceeds the maximum ${this.maxLength} at offset ${at}`);
    }
    if (len > this.end - this.p) {
      throw new JuteError(`${what} length ${len} exceeds remaining ${this.end - this.p} bytes at offset ${at}`);
    }
    return len;
  }

  /** A buffer, copied out of the input (unless `views`); `null` for length -1. */
  readBuffer(): Uint8Array | null {
    const len = this.readLength('buffer');
    if (len === -1) return null;
    const p = this.p;
    this.p = p + len;
    const b = this.buf;
    if (this.views) return new Uint8Array(b.buffer, b.byteOffset + p, len);
    return copyOut(b, p, len);
  }

  /** A ustring (UTF-8; malformed sequences become U+FFFD); `null` for length -1. */
  readUstring(): string | null {
    const len = this.readLength('string');
    if (len === -1) return null;
    return this.utf8(len);
  }

  /** A ustring where null is not meaningful: length -1 reads as ''. */
  readString(): string {
    const len = this.readLength('string');
    if (len === -1) return '';
    return this.utf8(len);
  }

  private utf8(len: number): string {
    const p = this.p;
    this.p = p + len;
    return this.buf.toString('utf8', p, p + len);
  }

  /**
   * Reads a vector's element count, -1 for null. `minElementSize` (the
   * fewest bytes one element can take) bounds the count by what remains, so
   * a garbled count cannot make the caller allocate or loop without end.
   */
  readVectorLength(what: string, minElementSize: number): number {
    const at = this.offset;
    const n = this.readInt();
    if (n === -1) return -1;
    if (n < 0) throw new JuteError(`negative ${what} vector length ${n} at offset ${at}`);
    if (n * minElementSize > this.end - this.p) {
      throw new JuteError(
        `${what} vector length ${n} exceeds remaining ${this.end - this.p} bytes at offset ${at}`,
      );
    }
    return n;
  }

  /** A vector<ustring>; `null` (count -1) reads as an empty list. */
  readStringVector(what = 'string'): string[] {
    const n = this.readVectorLength(what, 4);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.readString());
    return out;
  }
}
