// Trace files: one spec step per line (NDJSON), each checked against its
// codec when it is written and when it is read, so that a trace TLC sees
// is a trace the implementation wrote. The first line is a header naming
// the ensemble (its servers and voters) and where the trace came from.
//
// A real member writes a trace of its own (member traces, below): its
// steps with the time, and a line for every message it sends or receives,
// named so that the sender's and the receiver's lines name the same
// message. src/trace/merge.ts puts the members' traces into one order that
// respects them.

import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { SPEC_ACTIONS, type SpecAction, type SpecEvent } from '../core/zab/trace.js';

const Nat = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'Nat');
const Zxid = t.tuple([Nat, Nat]);
const PeerState = t.keyof({ LOOKING: null, FOLLOWING: null, LEADING: null, OBSERVING: null });
const Phase = t.keyof({ ELECTION: null, DISCOVERY: null, SYNCHRONIZATION: null, BROADCAST: null, DOWN: null });
const Action = t.keyof(Object.fromEntries(SPEC_ACTIONS.map((a) => [a, null])) as Record<SpecAction, null>);

const Vote = t.type({ leader: Nat, zxid: Zxid, epoch: Nat });

export const SpecEventCodec = t.exact(
  t.intersection([
    t.type({
      action: Action,
      srv: Nat,
      post: t.exact(
        t.type({
          state: PeerState,
          zabState: Phase,
          clock: Nat,
          vote: t.exact(Vote),
          last: Zxid,
          durable: Zxid,
          committed: Zxid,
          accepted: Nat,
          current: Nat,
        }),
      ),
    }),
    t.partial({
      peer: Nat,
      value: t.string,
      msg: t.exact(t.intersection([Vote, t.type({ round: Nat, state: PeerState })])),
    }),
  ]),
);

export const TraceHeaderCodec = t.exact(
  t.intersection([
    t.type({
      trace: t.literal('verikeeper-zab'),
      servers: t.array(Nat),
      voters: t.array(Nat),
      /** how the run can be repeated, or what it was */
      source: t.string,
    }),
    t.partial({ seed: t.number, bug: t.string }),
  ]),
);

export type TraceHeader = t.TypeOf<typeof TraceHeaderCodec>;

export interface Trace {
  header: TraceHeader;
  events: SpecEvent[];
}

export class TraceFormatError extends Error {}

// ------------------------------------------------------------ member traces
//
// One file per member (member-<id>.ndjson in the trace directory), appended
// to by every process that runs the member:
//   {"member":"verikeeper-zab-member","srv":2,"servers":[1,2,3],"voters":[1,2,3],"pid":..,"t":..}
//       a process started (a later one: the member restarted)
//   {"t":..,"step":{...}}   a step, as in a trace (SpecEvent)
//   {"t":..,"send":"id"}    a message went out; its id names the connection
//   {"t":..,"recv":"id"}    a message came in, before the step that takes it
//   {"t":..,"crash":true}   written by whoever killed the process
// t is microseconds of the host's monotonic clock. Message ids are
// "e:" (election) or "q:" (quorum), the connection as the sender's
// "host:port>host:port", "#", and the message's number on it; both ends
// compute the same id without anything added to the wire.

export const MemberHeaderCodec = t.exact(
  t.type({
    member: t.literal('verikeeper-zab-member'),
    srv: Nat,
    servers: t.array(Nat),
    voters: t.array(Nat),
    pid: Nat,
    t: Nat,
  }),
);
export type MemberHeader = t.TypeOf<typeof MemberHeaderCodec>;

export const MemberLineCodec = t.union([
  t.exact(t.type({ t: Nat, step: SpecEventCodec })),
  t.exact(t.type({ t: Nat, send: t.string })),
  t.exact(t.type({ t: Nat, recv: t.string })),
  t.exact(t.type({ t: Nat, crash: t.literal(true) })),
]);
export type MemberLine = t.TypeOf<typeof MemberLineCodec>;

/** A member trace line as JSON, checked against its codec. */
export function memberLine(line: MemberHeader | MemberLine): string {
  if ('member' in line) return JSON.stringify(decode(MemberHeaderCodec, line, 'member trace header'));
  return JSON.stringify(decode(MemberLineCodec, line, 'member trace line'));
}

export interface MemberIncarnation {
  header: MemberHeader;
  lines: MemberLine[];
}

/** A member's trace: one part per process that ran it, in order. */
export function readMemberTrace(text: string, name = 'member trace'): MemberIncarnation[] {
  const parts: MemberIncarnation[] = [];
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    if (raw.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new TraceFormatError(`${name} line ${n}: not JSON (${(e as Error).message})`);
    }
    if (typeof v === 'object' && v !== null && 'member' in v) {
      parts.push({ header: decode(MemberHeaderCodec, v, `${name} line ${n} (header)`), lines: [] });
      continue;
    }
    const part = parts.at(-1);
    if (!part) throw new TraceFormatError(`${name} line ${n}: a line before the first header`);
    part.lines.push(decode(MemberLineCodec, v, `${name} line ${n}`));
  }
  if (parts.length === 0) throw new TraceFormatError(`${name} is empty`);
  return parts;
}

function decode<A>(codec: t.Type<A, unknown>, value: unknown, where: string): A {
  const r = codec.decode(value);
  if (isLeft(r)) throw new TraceFormatError(`${where}: ${PathReporter.report(r).join('; ')}`);
  return r.right;
}

/** The trace as NDJSON; every line is checked against its codec first. */
export function writeTrace(trace: Trace): string {
  const lines = [JSON.stringify(decode(TraceHeaderCodec, trace.header, 'header'))];
  trace.events.forEach((e, i) => lines.push(JSON.stringify(decode(SpecEventCodec, e, `event ${i + 1}`))));
  return lines.join('\n') + '\n';
}

/** Reads NDJSON written by writeTrace; a line that is not what the codec says is an error naming it. */
export function readTrace(text: string, name = 'trace'): Trace {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new TraceFormatError(`${name} is empty`);
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new TraceFormatError(`${name} line ${n}: not JSON (${(e as Error).message})`);
    }
  };
  const header = decode(TraceHeaderCodec, parse(lines[0]!, 1), `${name} line 1 (header)`);
  const events = lines.slice(1).map((l, i) => decode(SpecEventCodec, parse(l, i + 2), `${name} line ${i + 2}`) as SpecEvent);
  return { header, events };
}
