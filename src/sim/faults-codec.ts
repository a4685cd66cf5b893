// Fault schedules as JSON (a replay command carries one), decoded with io-ts:
// an unknown kind, a missing or extra field or a negative time is an error.

import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type { EnsembleFault } from './ensemble.js';
import type { Fault } from './simulation.js';

const Ms = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'non-negative integer ms');
const Index = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'index');

const FaultCodec = t.union([
  t.exact(t.type({ at: Ms, kind: t.literal('crash'), member: Index, downFor: Ms })),
  t.exact(t.type({ at: Ms, kind: t.literal('drop'), client: Index })),
  t.exact(t.type({ at: Ms, kind: t.literal('slowDisk'), member: Index, for: Ms })),
  t.exact(t.type({ at: Ms, kind: t.literal('slowNet'), for: Ms })),
]);

const ScheduleCodec = t.array(FaultCodec);

const EnsembleFaultCodec = t.union([
  FaultCodec,
  t.exact(t.type({ at: Ms, kind: t.literal('kill'), member: Index, downFor: Ms })),
  t.exact(t.type({ at: Ms, kind: t.literal('partition'), isolate: t.array(Index), for: Ms })),
  t.exact(t.type({ at: Ms, kind: t.literal('snapshot'), member: Index })),
]);

const EnsembleScheduleCodec = t.array(EnsembleFaultCodec);

export function decodeFaults(json: string): Fault[] {
  return decodeWith(ScheduleCodec, json) as Fault[];
}

/** An ensemble's schedule: the standalone faults, partitions and snapshots. */
export function decodeEnsembleFaults(json: string): EnsembleFault[] {
  return decodeWith(EnsembleScheduleCodec, json) as EnsembleFault[];
}

function decodeWith(codec: t.Decoder<unknown, unknown[]>, json: string): object[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`fault schedule is not JSON: ${(e as Error).message}`);
  }
  // exact() strips unknown fields; refuse them instead
  const r = codec.decode(raw);
  if (isLeft(r)) throw new Error(`bad fault schedule: ${PathReporter.report(r).join('; ')}`);
  const faults = r.right as object[];
  faults.forEach((f, i) => {
    const extra = Object.keys((raw as object[])[i]!).filter((k) => !(k in f));
    if (extra.length > 0) throw new Error(`bad fault schedule: fault ${i} has unknown field(s) ${extra.join(', ')}`);
  });
  return faults;
}
