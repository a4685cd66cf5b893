// Framing of the client port: every packet is a 4-byte big-endian length
// followed by that many bytes.

import { JuteError } from './jute.js';
import { DEFAULT_JUTE_MAXBUFFER } from './protocol.js';

/**
 * A frame length that is negative or above the maximum. The connection is
 * beyond repair: close it. `frames` holds the complete frames that preceded
 * the bad length in the same chunk, should the caller want to serve them.
 */
export class FrameError extends JuteError {
  override name = 'FrameError';
  constructor(
    message: string,
    readonly frames: Uint8Array[],
  ) {
    super(message);
  }
}

/**
 * Splits a byte stream into frames. Frames that lie whole inside a pushed
 * chunk are returned as views into it (no copy); a frame split across chunks
 * is assembled into a buffer of its own. After a FrameError every further
 * push throws the same error.
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(4);
  private headerFill = 0;
  private partial: Uint8Array | null = null;
  private partialFill = 0;
  private failed: FrameError | null = null;

  /** `maxFrameLength`: the largest acceptable frame length (default jute.maxbuffer). */
  constructor(readonly maxFrameLength = DEFAULT_JUTE_MAXBUFFER) {}

  /** Bytes held back: the start of a frame that has not arrived whole. */
  get buffered(): number {
    return this.partial !== null ? 4 + this.partialFill : this.headerFill;
  }

  /** Feeds a chunk; returns the frames it completes, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed !== null) throw this.failed;
    const frames: Uint8Array[] = [];
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      if (this.partial !== null) {
        const want = this.partial.length - this.partialFill;
        const take = Math.min(want, n - p);
        this.partial.set(chunk.subarray(p, p + take), this.partialFill);
        this.partialFill += take;
        p += take;
        if (this.partialFill === this.partial.length) {
          frames.push(this.partial);
          this.partial = null;
          this.partialFill = 0;
        }
        continue;
      }
      let len: number;
      if (this.headerFill === 0 && n - p >= 4) {
        len = (chunk[p]! << 24) | (chunk[p + 1]! << 16) | (chunk[p + 2]! << 8) | chunk[p + 3]!;
        p += 4;
      } else {
        while (this.headerFill < 4 && p < n) this.header[this.headerFill++] = chunk[p++]!;
        if (this.headerFill < 4) break;
        const h = this.header;
        len = (h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!;
        this.headerFill = 0;
      }
      if (len < 0 || len > this.maxFrameLength) {
        this.failed = new FrameError(
          len < 0 ? `negative frame length ${len}` : `frame length ${len} exceeds the maximum ${this.maxFrameLength}`,
          frames,
        );
        throw this.failed;
      }
      if (n - p >= len) {
        frames.push(chunk.subarray(p, p + len));
        p += len;
      } else {
        this.partial = new Uint8Array(len);
        this.partialFill = 0;
      }
    }
    return frames;
  }
}

/** A frame holding `payload`: its length as 4 bytes big-endian, then a copy of it. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}
