import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sessionPassword } from '../../src/core/sessions.js';
import { Harness } from './harness.js';
import { keylessPassword } from './keyless-password.js';

describe('session passwords', () => {
  it('are HMAC-SHA-256 of the id under the key, cut to 16 bytes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.uint8Array({ minLength: 16, maxLength: 64 }), (id, key) => {
        const msg = Buffer.alloc(8);
        msg.writeBigInt64BE(id);
        const want = createHmac('sha256', key).update(msg).digest().subarray(0, 16);
        expect(Buffer.from(sessionPassword(id, key)).equals(want)).toBe(true);
      }),
    );
  });

  it('differ between keys and refuse a key too short to be a secret', () => {
    const a = sessionPassword(0x0100_0000_0000_0001n, new Uint8Array(32).fill(1));
    const b = sessionPassword(0x0100_0000_0000_0001n, new Uint8Array(32).fill(2));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(() => sessionPassword(1n, new Uint8Array(8))).toThrow(/at least 16 bytes/);
  });

  it('let only the holder of the password re-attach: an id with what can be computed from it is refused', () => {
    const h = new Harness();
    const c = h.session();
    const id = h.sessionId(c);
    const guesses = [keylessPassword(id), new Uint8Array(16), sessionPassword(id, new Uint8Array(32))];
    for (const [i, passwd] of guesses.entries()) {
      const conn = 100 + i;
      h.connect(conn, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 10000, sessionId: id, passwd });
      expect(h.connected.get(conn), `guess ${i}`).toMatchObject({ sessionId: 0n, timeOut: 0 });
      expect(h.closed.get(conn)).toMatch(/password does not match/);
    }
    expect(h.closed.has(c)).toBe(false);
    // the creator's own password still works
    h.connect(200, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 10000, sessionId: id, passwd: h.connected.get(c)!.passwd });
    expect(h.connected.get(200)!.sessionId).toBe(id);
  });
});
