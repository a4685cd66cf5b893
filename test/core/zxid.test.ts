import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COUNTER, MAX_EPOCH, counterExhausted, counterOf, epochOf, makeZxid, zxidHex } from '../../src/core/zxid.js';

describe('zxid', () => {
  it('splits into the epoch and counter it was made of, and orders by epoch first', () => {
    fc.assert(
      fc.property(fc.nat(MAX_EPOCH), fc.nat(MAX_COUNTER), fc.nat(MAX_EPOCH), fc.nat(MAX_COUNTER), (e1, c1, e2, c2) => {
        const a = makeZxid(e1, c1);
        const b = makeZxid(e2, c2);
        expect([epochOf(a), counterOf(a)]).toEqual([e1, c1]);
        expect(Math.sign(a - b)).toBe(e1 !== e2 ? Math.sign(e1 - e2) : Math.sign(c1 - c2));
      }),
    );
  });

  it('has ZooKeeper’s layout', () => {
    expect(zxidHex(makeZxid(3, 0x10))).toBe('0x300000010');
    expect(counterExhausted(makeZxid(1, MAX_COUNTER))).toBe(true);
    expect(counterExhausted(makeZxid(1, MAX_COUNTER - 1))).toBe(false);
    expect(makeZxid(1, MAX_COUNTER) + 1).toBe(makeZxid(2, 0));
  });

  it('refuses what would not be exact', () => {
    expect(() => makeZxid(MAX_EPOCH + 1, 0)).toThrow(/epoch/);
    expect(() => makeZxid(0, MAX_COUNTER + 1)).toThrow(/counter/);
    expect(() => makeZxid(-1, 0)).toThrow(/epoch/);
  });
});
