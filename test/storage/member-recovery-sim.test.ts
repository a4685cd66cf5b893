// The rules recoverMember enforces must never refuse a state the member's
// own core can leave on disk. The simulator crashes and restarts members of
// an ensemble and keeps only what was durable; every state a member
// restarts from there is put to the same rules. Crashes aimed just after a
// learner receives NEWLEADER reach the state ZooKeeper refuses to start
// from: a history on disk that is ahead of currentEpoch.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { Member } from '../../src/core/zab/member.js';
import { epochOf } from '../../src/core/zxid.js';
import { epochProblem, historyGap } from '../../src/server/member-recovery.js';
import { type EnsembleFault, type EnsembleOptions, defaultEnsemble, simulateEnsemble } from '../../src/sim/ensemble.js';
import { EnsembleMember } from '../../src/sim/ensemble-member.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const SHAPES: Array<Omit<EnsembleOptions, 'seed'>> = [
  { ...defaultEnsemble, maxFaults: 8 },
  // a short DIFF window: learners get SNAP
  { ...defaultEnsemble, observers: 1, commitLogCount: 8, maxFaults: 8 },
];

/** Puts every state a simulated member starts from to the recovery rules. */
function watchStarts() {
  const start = EnsembleMember.prototype.start;
  const problems: string[] = [];
  const seen = { restarts: 0, fromSnapshot: 0, aheadOfCurrentEpoch: 0 };
  vi.spyOn(EnsembleMember.prototype, 'start').mockImplementation(function (this: EnsembleMember) {
    const d = this.disk;
    const base = d.snapshot ? d.snapshotZxid : 0;
    const logged = d.log.durable().map((t) => t.hdr.zxid).filter((zxid) => zxid > base);
    const last = logged.length > 0 ? logged[logged.length - 1]! : base;
    const { acceptedEpoch, currentEpoch } = d.epochs;
    const gap = historyGap(base, logged);
    const epochs = epochProblem(last, acceptedEpoch, currentEpoch);
    if (gap || epochs) problems.push(`member ${this.id}: ${JSON.stringify({ base, last, acceptedEpoch, currentEpoch, gap, epochs })}`);
    if (this.restarts > 0) {
      seen.restarts++;
      if (d.snapshot) seen.fromSnapshot++;
      if (epochOf(last) > currentEpoch) seen.aheadOfCurrentEpoch++;
    }
    start.call(this);
  });
  return { problems, seen };
}

describe('the rules of member recovery', () => {
  it('accept every state a simulated member restarts from', () => {
    const { problems, seen } = watchStarts();
    for (let seed = 1; seed <= 60; seed++) for (const shape of SHAPES) simulateEnsemble({ seed, ...shape });
    expect(problems).toEqual([]);
    expect(seen.restarts).toBeGreaterThan(100);
    expect(seen.fromSnapshot).toBeGreaterThan(0);
  });

  it('accept a member that crashed between the new leader history and its NEWLEADER, its log ahead of currentEpoch', () => {
    const { problems, seen } = watchStarts();
    let newLeaders: Array<{ at: number; member: number }> = [];
    const trace = Member.prototype.trace;
    vi.spyOn(Member.prototype, 'trace').mockImplementation(function (this: Member, action: string, fields: Record<string, unknown>) {
      if (action === 'LearnerProcessNewLeader') newLeaders.push({ at: this.now, member: this.myid });
      trace.call(this, action, fields);
    });
    const failed: string[] = [];
    for (let seed = 1; seed <= 40 && seen.aheadOfCurrentEpoch < 3; seed++) {
      for (const shape of SHAPES) {
        newLeaders = [];
        const base = simulateEnsemble({ seed, ...shape });
        for (const e of newLeaders.slice(0, 6)) {
          for (const after of [0, 1, 2, 3]) {
            const crash: EnsembleFault = { at: e.at + after, kind: 'crash', member: e.member, downFor: 200 };
            const r = simulateEnsemble({ seed, ...shape, faults: [...base.faults, crash].sort((a, b) => a.at - b.at) });
            if (!r.ok) failed.push(`${r.violations[0]} (${r.replay})`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // the ensemble's own invariants held after those restarts too
    expect(failed).toEqual([]);
    expect(seen.aheadOfCurrentEpoch).toBeGreaterThan(0);
  });
});
