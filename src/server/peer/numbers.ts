// Longs from the wire as JS numbers. Zxids, epochs and ids are numbers in
// the cores, exact below 2^53 (zxids stay there: epochs below 2^21); a long
// outside that range cannot be one of them, and is rejected rather than
// rounded.

import { fail } from './errors.js';

/** `v` as a number, if it lies in [min, 2^53 - 1]. */
export function readRange(v: bigint, min: number, what: string): number {
  if (v < BigInt(min) || v > BigInt(Number.MAX_SAFE_INTEGER)) fail('garbage', `${what} ${v} is out of range`);
  return Number(v);
}
