import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameError } from '../../src/wire/frame.js';
import { JuteError } from '../../src/wire/jute.js';
import { concat, split } from './chunks.js';

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is split into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (payloads, cuts) => {
          const stream = concat(payloads.map(encodeFrame));
          const d = new FrameDecoder(100);
          const out: Uint8Array[] = [];
          for (const chunk of split(stream, cuts)) out.push(...d.push(chunk).map((f) => Uint8Array.from(f)));
          expect(out).toEqual(payloads);
          expect(d.buffered).toBe(0);
        },
      ),
    );
  });

  it('returns views into the chunk for frames that lie whole inside it', () => {
    const chunk = concat([encodeFrame(Uint8Array.of(1, 2)), encodeFrame(Uint8Array.of(3))]);
    const frames = new FrameDecoder().push(chunk);
    expect(frames.map((f) => Array.from(f))).toEqual([[1, 2], [3]]);
    expect(frames[0]!.buffer).toBe(chunk.buffer);
    expect(frames[1]!.byteOffset).toBe(chunk.byteOffset + 10);
  });

  it('holds back an incomplete frame and its header', () => {
    const d = new FrameDecoder();
    const stream = encodeFrame(Uint8Array.of(7, 8, 9));
    expect(d.push(stream.subarray(0, 2))).toEqual([]);
    expect(d.buffered).toBe(2);
    expect(d.push(stream.subarray(2, 5))).toEqual([]);
    expect(d.buffered).toBe(5);
    expect(d.push(stream.subarray(5)).map((f) => Array.from(f))).toEqual([[7, 8, 9]]);
  });

  it('rejects a frame length above the maximum or negative, and stays failed', () => {
    const d = new FrameDecoder(10);
    const good = encodeFrame(Uint8Array.of(1));
    const bad = Buffer.from('0000000b', 'hex');
    let err: unknown;
    try {
      d.push(concat([good, bad]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect(err).toBeInstanceOf(JuteError);
    expect((err as FrameError).message).toBe('frame length 11 exceeds the maximum 10');
    expect((err as FrameError).frames.map((f) => Array.from(f))).toEqual([[1]]);
    expect(() => d.push(good)).toThrow(FrameError);
    expect(() => new FrameDecoder().push(Buffer.from('ffffff00', 'hex'))).toThrow('negative frame length -256');
  });

  it('accepts a frame of exactly the maximum length and empty frames', () => {
    const d = new FrameDecoder(3);
    const frames = d.push(concat([encodeFrame(Uint8Array.of(1, 2, 3)), encodeFrame(new Uint8Array(0))]));
    expect(frames.map((f) => f.length)).toEqual([3, 0]);
  });
});
