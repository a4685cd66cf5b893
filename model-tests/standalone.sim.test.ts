// The standalone core in the deterministic simulator: clients pipelining
// reads and writes, the server crashing and restarting with only what its
// disk made durable, connections dropped, slow disks and networks. Every run
// must keep every acknowledged write and answer every read from the
// committed sequence; a run is reproduced exactly by its seed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Fault, type SimOptions, type SimStats, defaultOptions, simulate } from '../src/sim/simulation.js';

const SEEDS = 1000;

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ at: fc.nat(4000), kind: fc.constant('crash' as const), member: fc.constant(1), downFor: fc.nat(3000) }),
  fc.record({ at: fc.nat(4000), kind: fc.constant('drop' as const), client: fc.nat(3) }),
  fc.record({ at: fc.nat(4000), kind: fc.constant('slowDisk' as const), member: fc.constant(1), for: fc.nat(3000) }),
  fc.record({ at: fc.nat(4000), kind: fc.constant('slowNet' as const), for: fc.nat(1000) }),
);

function describeFailure(opts: SimOptions): string {
  const r = simulate(opts);
  return [...r.violations.slice(0, 5), `replay: ${r.replay}`].join('\n');
}

describe('the standalone core in the simulator', () => {
  it(`keeps every acknowledged write and reads from the committed sequence, over ${SEEDS} seeds with faults`, () => {
    const total: SimStats = { duration: 0, writesAcked: 0, writesFailed: 0, writesLost: 0, reads: 0, crashes: 0, drops: 0, sessions: 0, committed: 0 };
    const failures: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = simulate({ seed, ...defaultOptions });
      if (!r.ok) failures.push(`seed ${seed}: ${r.violations[0]}\n  replay: ${r.replay}`);
      for (const k of Object.keys(total) as Array<keyof SimStats>) total[k] += r.stats[k];
    }
    expect(failures).toEqual([]);
    // the runs did what they are for: writes answered and lost, crashes, reads
    expect(total.crashes).toBeGreaterThan(SEEDS / 2);
    expect(total.writesAcked).toBeGreaterThan(SEEDS * 50);
    expect(total.writesLost).toBeGreaterThan(0);
    expect(total.reads).toBeGreaterThan(SEEDS * 30);
  });

  it('holds for fault schedules that fast-check makes up', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(faultArb, { maxLength: 8 }), (seed, faults) => {
        const opts = { seed, ...defaultOptions, faults: [...faults].sort((a, b) => a.at - b.at) };
        const r = simulate(opts);
        if (!r.ok) throw new Error(describeFailure(opts));
      }),
      { numRuns: 150 },
    );
  });

  it('replays a run exactly from its seed and schedule', () => {
    const a = simulate({ seed: 77, ...defaultOptions });
    const b = simulate({ seed: 77, ...defaultOptions, faults: a.faults });
    expect(b.stats).toEqual(a.stats);
    expect(simulate({ seed: 78, ...defaultOptions }).stats).not.toEqual(a.stats);
  });

  it('catches a server that answers writes before they are durable, and shrinks the schedule that shows it', () => {
    const bugs = { ackBeforeFsync: true };
    let caught = 0;
    for (let seed = 1; seed <= SEEDS && caught === 0; seed++) if (!simulate({ seed, ...defaultOptions, bugs }).ok) caught = seed;
    expect(caught).toBeGreaterThan(0);

    const out = fc.check(
      fc.property(fc.nat(), fc.array(faultArb, { maxLength: 8 }), (seed, faults) => {
        return simulate({ seed, ...defaultOptions, faults: [...faults].sort((a, b) => a.at - b.at), bugs }).ok;
      }),
      { numRuns: 500, seed: 4242 },
    );
    expect(out.failed).toBe(true);
    const [seed, faults] = out.counterexample!;
    // what it takes is a crash while an answered write is not yet durable;
    // every run ends with one, so the shrunk schedule needs no other fault
    expect(faults).toEqual([]);
    const r = simulate({ seed, ...defaultOptions, faults, bugs });
    expect(r.violations.some((v) => /acknowledged at 0x[0-9a-f]+, which (is not committed|holds another request)/.test(v))).toBe(true);
  });
});
