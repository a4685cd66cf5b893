// Trace files: one spec step per line (NDJSON), each checked against its
// codec when it is written and when it is read, so that a trace TLC sees
// is a trace the implementation wrote. The first line is a header naming
// the ensemble (its servers and voters) and where the trace came from.

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
