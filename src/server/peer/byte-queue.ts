// The bytes a peer connection has received and not yet decoded, and the
// length-prefixed frames read out of them. Socket chunks arrive cut
// anywhere; a decoder asks for the bytes a record needs (`has`), peeks at
// length fields without consuming them, and consumes a record once it is
// whole. Chunks are copied in, so views handed out stay valid only until the
// next `push`: decoders copy what they keep.

import { fail, PeerProtocolError } from './errors.js';

const INITIAL = 16 * 1024;
/** An emptied queue whose buffer grew past this gives the memory back. */
const KEEP = 1024 * 1024;

export class ByteQueue {
  private buf: Buffer = Buffer.allocUnsafe(INITIAL);
  private start = 0;
  private end = 0;

  /** Bytes held. */
  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.end + n > this.buf.length) {
      const held = this.end - this.start;
      if (held + n <= this.buf.length && held <= this.buf.length / 2) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(INITIAL, 2 * (held + n)));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += n;
  }

  /** Whether at least `n` bytes are held. */
  has(n: number): boolean {
    return this.end - this.start >= n;
  }

  /** The big-endian int at `offset` from the front (the caller checked `has`). */
  int(offset: number): number {
    return this.buf.readInt32BE(this.start + offset);
  }

  /** The big-endian long at `offset` from the front, all 64 bits. */
  bigLong(offset: number): bigint {
    return this.buf.readBigInt64BE(this.start + offset);
  }

  /** A view of `n` bytes at `offset` from the front, valid until the next push. */
  view(offset: number, n: number): Uint8Array {
    const at = this.start + offset;
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + at, n);
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buf.length > KEEP) this.buf = Buffer.allocUnsafe(INITIAL);
    }
  }
}

/**
 * Reads one frame — a 4-byte big-endian length, then that many bytes — off
 * the front of `q`: its payload (a view, see ByteQueue.view) once it is
 * whole, null while it is not. A length outside [1, max] is rejected as
 * soon as its 4 bytes are in, before any of the frame is waited for.
 */
export function takeFrame(q: ByteQueue, max: number, what: string): Uint8Array | null {
  if (!q.has(4)) return null;
  const len = q.int(0);
  if (len <= 0) fail('garbage', `${what} frame length ${len} is not positive`);
  if (len > max) fail('oversized', `${what} frame length ${len} exceeds the maximum ${max}`);
  if (!q.has(4 + len)) return null;
  const payload = q.view(4, len);
  q.consume(4 + len);
  return payload;
}

/**
 * A decoder of one connection's bytes: chunks go in, whole messages come
 * out. After a PeerProtocolError every further call throws the same error:
 * the connection is beyond repair.
 */
export abstract class StreamDecoder<T> {
  protected readonly q = new ByteQueue();
  private failed: PeerProtocolError | null = null;

  /** Feeds a chunk; returns the messages it completes, in order. */
  push(chunk: Uint8Array): T[] {
    const out: T[] = [];
    this.guard(() => {
      this.q.push(chunk);
      this.drain(out);
    });
    return out;
  }

  /** The connection closed: throws if it closed inside a message. */
  end(): void {
    this.guard(() => this.ended());
  }

  /** Takes every whole message off the front of `q`. */
  protected abstract drain(out: T[]): void;
  /** Throws if what is held is part of a message. */
  protected abstract ended(): void;

  private guard(f: () => void): void {
    if (this.failed) throw this.failed;
    try {
      f();
    } catch (e) {
      if (e instanceof PeerProtocolError) this.failed = e;
      throw e;
    }
  }
}

/** Splits a byte stream into length-prefixed frames ([1, maxFrameBytes] bytes each), however it is cut into chunks. */
export class FrameReader extends StreamDecoder<Uint8Array> {
  constructor(
    readonly maxFrameBytes: number,
    private readonly what = 'peer',
  ) {
    super();
  }

  /** Bytes of an unfinished frame held back. */
  get buffered(): number {
    return this.q.length;
  }

  /** Frame payloads are copies. */
  protected drain(out: Uint8Array[]): void {
    for (let f = takeFrame(this.q, this.maxFrameBytes, this.what); f !== null; f = takeFrame(this.q, this.maxFrameBytes, this.what)) {
      out.push(Uint8Array.from(f));
    }
  }

  protected ended(): void {
    endOfStream(this.q, `${this.what} frame`);
  }
}

/** Throws when a connection closes with part of a record received. */
export function endOfStream(q: ByteQueue, what: string): void {
  if (q.length > 0) fail('truncated', `the connection closed with ${q.length} bytes of an unfinished ${what}`);
}
