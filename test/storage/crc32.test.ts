import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Zeros } from '../../src/server/storage/crc32.js';

/** Bit-at-a-time reference, straight from the definition. */
function reference(data: Uint8Array, poly = 0xedb88320): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32', () => {
  it('matches the published check values', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad); // 32 bytes of zeros
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b); // 32 bytes of ones
  });

  it('agrees with the bitwise definition on any input and any sub-range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = data.length ? a % (data.length + 1) : 0;
        const end = start + (data.length - start ? b % (data.length - start + 1) : 0);
        expect(crc32(data, start, end)).toBe(reference(data.subarray(start, end)));
      }),
    );
  });

  it('continues over data that arrives in pieces, and over zeros without reading them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat({ max: 200_000 }), (data, cut, zeros) => {
        const at = data.length ? cut % (data.length + 1) : 0;
        expect(crc32(data, at, data.length, crc32(data, 0, at))).toBe(crc32(data));
        const padded = new Uint8Array(data.length + zeros);
        padded.set(data);
        expect(crc32Zeros(zeros, crc32(data))).toBe(crc32(padded));
      }),
      { numRuns: 50 },
    );
  });

  it('differs from the Castagnoli CRC, which the reference computes with its polynomial', () => {
    const data = Buffer.from('123456789');
    expect(reference(data, 0x82f63b78)).toBe(0xe3069283);
    expect(crc32(data)).not.toBe(reference(data, 0x82f63b78));
  });
});
