// A compiled codec is the io-ts codec it was built from: on values that are
// right and on values that are wrong in one place, it accepts exactly what
// the codec's decode accepts, and what it writes reads back as the decoded
// value. The one difference is deliberate: numbers must be finite.

import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { SPEC_ACTIONS } from '../../src/core/zab/trace.js';
import { compileCodec } from '../../src/trace/compiled-codec.js';
import { MemberHeaderCodec, MemberLineCodec, SpecEventCodec, TraceHeaderCodec } from '../../src/trace/events.js';

const nat = fc.nat({ max: 1 << 30 });
const zxid = fc.tuple(nat, nat);
const peerState = fc.constantFrom('LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING');
const vote = fc.record({ leader: nat, zxid, epoch: nat });
const postFields = {
  state: peerState,
  zabState: fc.constantFrom('ELECTION', 'DISCOVERY', 'SYNCHRONIZATION', 'BROADCAST', 'DOWN'),
  clock: nat,
  vote,
  last: zxid,
  durable: zxid,
  committed: zxid,
  accepted: nat,
  current: nat,
};
const stepArgs = {
  peer: nat,
  value: fc.string({ unit: 'binary' }),
  msg: fc.record({ leader: nat, zxid, epoch: nat, round: nat, state: peerState }),
};
const action = fc.constantFrom(...SPEC_ACTIONS);
const event = fc.record({ action, srv: nat, post: fc.record(postFields), ...stepArgs }, { requiredKeys: ['action', 'srv', 'post'] });
const memberStep = fc.record(
  { action, srv: nat, post: fc.record(postFields, { requiredKeys: [] }), ...stepArgs },
  { requiredKeys: ['action', 'srv', 'post'] },
);
const message = fc.tuple(nat, nat);
const memberLine = fc.oneof(
  fc.record({ dt: nat, recv: fc.array(message), step: memberStep, send: fc.array(message) }, { requiredKeys: ['dt', 'step'] }),
  fc.record({ channel: nat, id: fc.string() }),
  fc.record({ dt: nat, send: message }),
  fc.record({ dt: nat, recv: message }),
  fc.record({ t: nat, crash: fc.constant(true) }),
);
const memberHeader = fc.record({
  member: fc.constant('verikeeper-zab-member'),
  srv: nat,
  servers: fc.array(nat),
  voters: fc.array(nat),
  pid: nat,
  t: nat,
});
const traceHeader = fc.record(
  { trace: fc.constant('verikeeper-zab'), servers: fc.array(nat), voters: fc.array(nat), source: fc.string(), seed: fc.integer(), bug: fc.string() },
  { requiredKeys: ['trace', 'servers', 'voters', 'source'] },
);

/** Something wrong in one place: a value of the wrong kind, a negative or fractional number, a key gone or added. */
const wrong = fc.oneof(
  fc.constant(-1),
  fc.constant(1.5),
  fc.constant('x'),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(true),
  fc.constant([]),
  fc.constant({}),
  fc.constant([1]),
  fc.constant('Teleport'),
);

function paths(v: unknown, at: string[] = []): string[][] {
  const out = [at];
  if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function edit(v: unknown, at: string[], change: (parent: Record<string, unknown>, key: string) => void): unknown {
  const copy = structuredClone(v) as Record<string, unknown>;
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k] as Record<string, unknown>;
  change(o, at.at(-1)!);
  return copy;
}

/** Right values, and right values broken in one place. */
function near(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return valid.chain((v) => {
    const ps = paths(v).filter((p) => p.length > 0);
    return fc.oneof(
      fc.constant(v),
      fc.tuple(fc.constantFrom(...ps), wrong).map(([p, w]) => edit(v, p, (o, k) => (o[k] = w))),
      fc.constantFrom(...ps).map((p) => edit(v, p, (o, k) => delete o[k])),
      fc.constantFrom(...ps).map((p) => edit(v, p.slice(0, -1).concat('extra'), (o, k) => (o[k] = 1))),
    );
  });
}

function agrees(codec: t.Mixed, arb: fc.Arbitrary<unknown>): void {
  const json = compileCodec(codec);
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(near(arb), (v) => {
      const decoded = codec.decode(v);
      const written = json(v);
      expect(written !== undefined).toBe(isRight(decoded));
      if (written === undefined) refused++;
      else {
        accepted++;
        // (through JSON: the generated records need not be plain objects)
        expect(JSON.parse(written)).toEqual(isRight(decoded) ? JSON.parse(JSON.stringify(decoded.right)) : null);
      }
    }),
    { numRuns: 400 },
  );
  // both kinds were tried
  expect(accepted).toBeGreaterThan(20);
  expect(refused).toBeGreaterThan(20);
}

describe('compiled codecs', () => {
  it('accept what io-ts accepts and write what it decodes, for spec steps', () => agrees(SpecEventCodec, event));
  it('for member trace lines (a step logs what it changed)', () => agrees(MemberLineCodec, memberLine));
  it('for member trace headers', () => agrees(MemberHeaderCodec, memberHeader));
  it('for trace headers', () => agrees(TraceHeaderCodec, traceHeader));

  it('write any string and number as JSON does, growing the buffer as it needs', () => {
    const json = compileCodec(t.type({ s: t.string, n: t.array(t.number) }));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), fc.array(fc.double({ noNaN: true, noDefaultInfinity: true })), (s, n) => {
        expect(json({ s, n })).toBe(JSON.stringify({ s, n }));
      }),
    );
    const long = 'a"\\\n\u2028é😀'.repeat(5000);
    const n = [0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER, 2 ** 60, -0, 0.1, -3];
    expect(json({ s: long, n })).toBe(JSON.stringify({ s: long, n }));
  });

  it('refuse numbers JSON cannot hold, which io-ts would let through', () => {
    const json = compileCodec(t.type({ n: t.number }));
    expect(json({ n: 2 })).toBe('{"n":2}');
    expect(json({ n: Number.NaN })).toBeUndefined();
    expect(json({ n: Number.POSITIVE_INFINITY })).toBeUndefined();
  });

  it('refuse a codec with no compiled form, or a key declared twice', () => {
    expect(() => compileCodec(t.unknown)).toThrow(/no compiled form/);
    expect(() => compileCodec(t.intersection([t.type({ a: t.number }), t.partial({ a: t.number })]))).toThrow(/declared twice/);
  });
});
