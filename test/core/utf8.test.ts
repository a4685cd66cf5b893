import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Decode, utf8Encode } from '../../src/core/utf8.js';

describe('utf8', () => {
  it('encodes every string as the host TextEncoder does, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(utf8Encode(s)).toEqual(new TextEncoder().encode(s));
      }),
      { numRuns: 2000 },
    );
    expect(utf8Encode('\ud800x')).toEqual(new TextEncoder().encode('\ud800x'));
  });

  it('decodes any bytes as the host TextDecoder does, replacing invalid sequences', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(utf8Decode(b)).toBe(new TextDecoder().decode(b));
      }),
      { numRuns: 5000 },
    );
    for (const bad of [[0xe0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xf0, 0x9f, 0x98]]) {
      const b = Uint8Array.from(bad);
      expect(utf8Decode(b)).toBe(new TextDecoder().decode(b));
    }
  });

  it('round-trips well-formed text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      expect(utf8Decode(utf8Encode(s))).toBe(s);
    }));
  });
});
