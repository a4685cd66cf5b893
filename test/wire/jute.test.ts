import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteError, JuteReader, JuteWriter } from '../../src/wire/jute.js';
import { bigLong, bytes, int32, long, nullableBytes, nullableStr } from './arbitraries.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe('JuteWriter / JuteReader primitives', () => {
  it('round-trips ints, longs, bigint longs, booleans, buffers and strings in sequence', () => {
    fc.assert(
      fc.property(int32, long, bigLong, fc.boolean(), nullableBytes, nullableStr, (i, l, bl, b, buf, s) => {
        const w = new JuteWriter(16);
        w.writeInt(i);
        w.writeLong(l);
        w.writeBigLong(bl);
        w.writeBool(b);
        w.writeBuffer(buf);
        w.writeUstring(s);
        const out = w.finish();
        const r = new JuteReader(out);
        expect(r.readInt()).toBe(i);
        expect(r.readLong()).toBe(l);
        expect(r.readBigLong()).toBe(bl);
        expect(r.readBool()).toBe(b);
        expect(r.readBuffer()).toEqual(buf);
        expect(r.readUstring()).toBe(s);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('writes big-endian two-complement values as Java does', () => {
    const w = new JuteWriter();
    w.writeInt(-2);
    w.writeLong(-1);
    w.writeLong(0x100000002);
    w.writeBigLong(-(2n ** 63n));
    w.writeBigLong(0x0123456789abcdefn);
    w.writeBool(true);
    expect(hex(w.finish())).toBe(
      'fffffffe' + 'ffffffffffffffff' + '0000000100000002' + '8000000000000000' + '0123456789abcdef' + '01',
    );
  });

  it('encodes strings as UTF-8 with a byte-length prefix, null as -1', () => {
    const w = new JuteWriter();
    w.writeUstring('/a');
    w.writeUstring('é€😀');
    w.writeUstring(null);
    w.writeUstring('x'.repeat(100) + 'ü');
    const out = w.finish();
    expect(hex(out.subarray(0, 6))).toBe('000000022f61');
    expect(hex(out.subarray(6, 6 + 4 + 9))).toBe('00000009' + 'c3a9' + 'e282ac' + 'f09f9880');
    expect(hex(out.subarray(19, 23))).toBe('ffffffff');
    const r = new JuteReader(out);
    expect([r.readString(), r.readString(), r.readUstring(), r.readString()]).toEqual([
      '/a',
      'é€😀',
      null,
      'x'.repeat(100) + 'ü',
    ]);
  });

  it('reads any non-zero byte as true, as DataInput.readBoolean does', () => {
    expect(new JuteReader(Uint8Array.of(7)).readBool()).toBe(true);
    expect(new JuteReader(Uint8Array.of(0)).readBool()).toBe(false);
  });

  it('reads a null string as empty where null is not meaningful, and null vectors as empty', () => {
    const r = new JuteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    expect(r.readString()).toBe('');
    expect(r.readStringVector()).toEqual([]);
  });

  it('hands out views that later writes never overwrite, across slab changes', () => {
    fc.assert(
      fc.property(fc.array(bytes, { minLength: 1, maxLength: 30 }), (chunks) => {
        const w = new JuteWriter(32);
        const views = chunks.map((c) => {
          w.writeBuffer(c);
          return w.finish();
        });
        chunks.forEach((c, i) => {
          const r = new JuteReader(views[i]!);
          expect(r.readBuffer()).toEqual(c);
        });
      }),
    );
  });

  it('frames: beginFrame/endFrame fill in the length, also when the slab grows in between', () => {
    const w = new JuteWriter(8);
    const mark = w.beginFrame();
    w.writeBuffer(new Uint8Array(100).fill(9));
    w.endFrame(mark);
    const out = w.finish();
    expect(out.length).toBe(108);
    const view = new DataView(out.buffer, out.byteOffset, out.length);
    expect(view.getInt32(0)).toBe(104);
    expect(view.getInt32(4)).toBe(100);
  });

  it('discard drops the unfinished output', () => {
    const w = new JuteWriter();
    w.writeInt(1);
    w.finish();
    w.writeInt(2);
    w.discard();
    w.writeInt(3);
    expect(hex(w.finish())).toBe('00000003');
  });

  it('decoded buffers are copies that do not keep the input alive', () => {
    const src = Buffer.from('0000000361626300', 'hex');
    const r = new JuteReader(src);
    const out = r.readBuffer()!;
    src[4] = 0x7a;
    expect(Buffer.from(out).toString()).toBe('abc');
    expect(out.buffer).not.toBe(src.buffer);
    expect(out).toBeInstanceOf(Uint8Array);
  });

  it('small decoded buffers share slabs without overlapping; large ones own their memory', () => {
    const w = new JuteWriter();
    const small = Array.from({ length: 200 }, (_, i) => new Uint8Array(i % 129).fill(i));
    for (const b of small) w.writeBuffer(b);
    const large = new Uint8Array(129).fill(7);
    w.writeBuffer(large);
    const r = new JuteReader(w.finish());
    const out = small.map(() => r.readBuffer()!);
    const big = r.readBuffer()!;
    out.forEach((b, i) => expect(b).toEqual(small[i]));
    expect(new Set(out.filter((b) => b.length > 0).map((b) => b.buffer)).size).toBeLessThan(out.length / 4);
    expect(big).toEqual(large);
    expect(big.buffer.byteLength).toBe(129);
  });

  it('with `views`, buffers are views into the input', () => {
    const src = Buffer.from('0000000361626300', 'hex');
    const out = new JuteReader(src, { views: true }).readBuffer()!;
    expect(out).toEqual(Uint8Array.of(0x61, 0x62, 0x63));
    src[4] = 0x7a;
    expect(out[0]).toBe(0x7a);
  });

  it('reads within the given range only', () => {
    const src = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3);
    const r = new JuteReader(src, { offset: 4, end: 8 });
    expect(r.readInt()).toBe(2);
    expect(() => r.readInt()).toThrow(JuteError);
    expect(() => new JuteReader(src, { offset: 4, end: 13 })).toThrow(JuteError);
  });
});

describe('JuteReader bounds', () => {
  const errorOf = (bytesIn: number[], read: (r: JuteReader) => unknown, maxLength?: number): JuteError => {
    const r = new JuteReader(Uint8Array.from(bytesIn), maxLength === undefined ? undefined : { maxLength });
    try {
      read(r);
    } catch (e) {
      expect(e).toBeInstanceOf(JuteError);
      return e as JuteError;
    }
    throw new Error('expected a JuteError');
  };

  it('says what did not fit and where', () => {
    const lenPrefix = [0, 0, 0x11, 0x70]; // 4464
    const e = errorOf([0, 0, 0, 0, ...lenPrefix, 1, 2, 3], (r) => {
      r.readInt();
      return r.readString();
    });
    expect(e.message).toBe('string length 4464 exceeds remaining 3 bytes at offset 4');
    expect(errorOf([0, 0, 1], (r) => r.readInt()).message).toBe('int needs 4 bytes but 3 remain at offset 0');
    expect(errorOf([0, 0, 0, 0, 0, 0, 0], (r) => r.readLong()).message).toContain('long needs 8 bytes');
    expect(errorOf([], (r) => r.readBool()).message).toContain('boolean needs 1 bytes but 0 remain');
  });

  it('rejects negative lengths other than -1', () => {
    expect(errorOf([0xff, 0xff, 0xff, 0xfe], (r) => r.readBuffer()).message).toBe(
      'negative buffer length -2 at offset 0',
    );
    expect(errorOf([0x80, 0, 0, 0], (r) => r.readUstring()).message).toContain('negative string length');
    expect(errorOf([0xff, 0xff, 0xff, 0xfd], (r) => r.readStringVector('children')).message).toBe(
      'negative children vector length -3 at offset 0',
    );
  });

  it('rejects lengths above the configured maximum even if the bytes are there', () => {
    const e = errorOf([0, 0, 0, 5, 1, 2, 3, 4, 5], (r) => r.readBuffer(), 4);
    expect(e.message).toBe('buffer length 5 exceeds the maximum 4 at offset 0');
    expect(new JuteReader(Uint8Array.of(0, 0, 0, 4, 1, 2, 3, 4), { maxLength: 4 }).readBuffer()).toEqual(
      Uint8Array.of(1, 2, 3, 4),
    );
  });

  it('bounds vector counts by the bytes that remain', () => {
    const e = errorOf([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0], (r) => r.readStringVector('ephemerals'));
    expect(e.message).toBe('ephemerals vector length 2147483647 exceeds remaining 4 bytes at offset 0');
  });

  it('expectEnd reports trailing bytes', () => {
    const r = new JuteReader(Uint8Array.of(0, 0, 0, 1, 9));
    r.readInt();
    expect(() => r.expectEnd('ReplyHeader')).toThrow('1 unexpected trailing bytes after ReplyHeader at offset 4');
  });
});
