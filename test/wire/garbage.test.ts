// Truncated, garbled and random input must always end in a JuteError (or a
// successful decode of whatever the bytes happen to say), never in another
// exception type, an out-of-range read or a hang.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JuteError, JuteReader } from '../../src/wire/jute.js';
import { OpCode } from '../../src/wire/protocol.js';
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
} from '../../src/wire/records.js';
import { decodeRequestFrame, encodeRequest } from '../../src/wire/requests.js';
import { decodeReply, encodeReply } from '../../src/wire/responses.js';
import * as arb from './arbitraries.js';

const ALL_OPCODES = Object.values(OpCode) as number[];

/** Runs a decoder; returns 'ok' or 'jute', and fails the test on any other outcome. */
function outcome(decode: () => unknown): 'ok' | 'jute' {
  try {
    decode();
    return 'ok';
  } catch (e) {
    if (e instanceof JuteError) return 'jute';
    throw new Error(`decoder threw ${String(e)} instead of a JuteError`, { cause: e });
  }
}

const decoders: Array<[string, (b: Uint8Array, opcode: number) => unknown]> = [
  ['request', (b) => decodeRequestFrame(new JuteReader(b))],
  ['reply', (b, opcode) => decodeReply(opcode, new JuteReader(b))],
  ['connect request', (b) => decodeConnectRequest(new JuteReader(b))],
  ['connect response', (b) => decodeConnectResponse(new JuteReader(b))],
];

/** Encoded payloads (without length prefix) of valid frames of every kind. */
const validPayload: fc.Arbitrary<{ bytes: Uint8Array; opcode: number }> = fc.oneof(
  fc.tuple(arb.int32, arb.request).map(([xid, req]) => ({
    bytes: encodeRequest({ xid, type: req.type }, req).subarray(4),
    opcode: req.type,
  })),
  fc.tuple(arb.replyHeader, arb.responseWithOpcode).map(([h, { opcode, response }]) => ({
    bytes: encodeReply({ ...h, err: 0 }, response).subarray(4),
    opcode,
  })),
  arb.connectRequest.map((c) => ({ bytes: encodeConnectRequest(c).subarray(4), opcode: 0 })),
  arb.connectResponse.map((c) => ({ bytes: encodeConnectResponse(c).subarray(4), opcode: 0 })),
);

describe('malformed input', () => {
  it('every truncation of a valid payload decodes or throws a JuteError, for every decoder', () => {
    fc.assert(
      fc.property(validPayload, ({ bytes, opcode }) => {
        for (let cut = 0; cut < bytes.length; cut++) {
          const prefix = bytes.slice(0, cut);
          for (const [, decode] of decoders) outcome(() => decode(prefix, opcode));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a truncated request body is a JuteError', () => {
    fc.assert(
      fc.property(arb.int32, arb.request, fc.nat(), (xid, req, n) => {
        const body = encodeRequest({ xid, type: req.type }, req).subarray(4);
        if (body.length <= 8) return; // header only: nothing to cut
        const cut = 8 + (n % (body.length - 8));
        // a cut inside the body leaves a record that ends early
        const r = outcome(() => decodeRequestFrame(new JuteReader(body.slice(0, cut))).request);
        // only requests whose remaining fields are all optional could still decode: none are
        expect(r).toBe('jute');
      }),
    );
  });

  it('mutated payloads decode or throw a JuteError', () => {
    fc.assert(
      fc.property(
        validPayload,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...ALL_OPCODES),
        ({ bytes }, edits, opcode) => {
          const b = Uint8Array.from(bytes);
          if (b.length === 0) return;
          for (const [at, v] of edits) b[at % b.length] = v;
          for (const [, decode] of decoders) outcome(() => decode(b, opcode));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random bytes decode or throw a JuteError, whatever the opcode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(...ALL_OPCODES, 77, 1000), (b, opcode) => {
        for (const [, decode] of decoders) outcome(() => decode(b, opcode));
      }),
      { numRuns: 1000 },
    );
  });

  it('huge counts and lengths fail fast instead of allocating', () => {
    // getChildren reply whose vector claims 2^31-1 children, then a multi that never terminates
    const children = Buffer.from('00000001' + '0000000000000001' + '00000000' + '7fffffff', 'hex');
    expect(outcome(() => decodeReply(OpCode.getChildren, new JuteReader(children)))).toBe('jute');
    const multi = Buffer.from('00000001' + '0000000e' + '00000002' + '00' + 'ffffffff' + '000000012f', 'hex');
    expect(outcome(() => decodeRequestFrame(new JuteReader(multi)))).toBe('jute');
  });
});
