// Quorum connections a member did not ask for: a learner that takes it for
// its leader while it follows (or looks) is refused with the spec's
// RefuseConnection, and a connection its own learner opened for a role it
// has left is closed without a step, since the other end never heard who
// opened it. A real three-process run once had a member that followed
// close such connections without a step, and TLC rejected its trace.

import { describe, expect, it } from 'vitest';
import { Database } from '../../../src/core/database.js';
import { sessionIdBase } from '../../../src/core/sessions.js';
import type { MemberEffect } from '../../../src/core/zab/effects.js';
import { Member, type MemberConfig } from '../../../src/core/zab/member.js';
import { QuorumVerifier } from '../../../src/core/zab/quorum.js';

const CONFIG: MemberConfig = {
  myid: 2,
  quorum: new QuorumVerifier([1, 2, 3], []),
  tickTime: 100,
  initLimit: 10,
  syncLimit: 5,
  finalizeWait: 20,
  minNotificationInterval: 50,
  maxNotificationInterval: 800,
  commitLogCount: 1000,
  minSessionTimeout: 200,
  maxSessionTimeout: 2000,
  extendedTypesEnabled: false,
  containerCheckIntervalMs: 1000,
  containerMaxPerMinute: 10000,
  sessionKey: new Uint8Array(32),
  traceSteps: true,
};

function summary(effects: MemberEffect[]): string[] {
  return effects.flatMap((e) => {
    switch (e.kind) {
      case 'step':
        return [`step ${e.event.action}${e.event.peer !== undefined ? ` ${e.event.peer}` : ''}`];
      case 'disconnect':
        return [`disconnect ${e.conn}`];
      case 'connect':
        return [`connect ${e.to}`];
      default:
        return [];
    }
  });
}

/** Member 2 of three, following 3: it heard 3's vote and its own. */
function follower(): Member {
  const m = new Member(CONFIG, { db: new Database(), log: [], acceptedEpoch: 0, currentEpoch: 0 }, sessionIdBase(2, 0), 0);
  m.start(0);
  const vote = { leader: 3, zxid: 0, peerEpoch: 0, electionEpoch: 1, state: 'LOOKING' as const };
  m.receiveVote(3, vote, 1);
  m.receiveVote(2, vote, 2);
  m.tick(30);
  expect(summary(m.ready())).toContain('connect 3');
  expect(m.state).toBe('FOLLOWING');
  return m;
}

describe('quorum connections a member did not ask for', () => {
  it('are refused with RefuseConnection when a learner opens one to a member that follows', () => {
    const m = follower();
    m.quorumConnected(7, 1, 40, true);
    expect(summary(m.ready())).toEqual(['disconnect 7', 'step RefuseConnection 1']);
  });

  it('are refused with RefuseConnection when a learner opens one to a member that looks', () => {
    const m = new Member(CONFIG, { db: new Database(), log: [], acceptedEpoch: 0, currentEpoch: 0 }, sessionIdBase(2, 0), 0);
    m.start(0);
    m.ready();
    m.quorumConnected(4, 3, 5, true);
    expect(summary(m.ready())).toEqual(['disconnect 4', 'step RefuseConnection 3']);
  });

  it('are its learner’s to its leader: LearnerConnect; one the learner no longer wants is closed without a step', () => {
    const m = follower();
    m.quorumConnected(5, 3, 40, false);
    expect(summary(m.ready())).toEqual(['step LearnerConnect 3']);
    m.quorumConnected(6, 3, 41, false);
    expect(summary(m.ready())).toEqual(['disconnect 6']);
  });
});
