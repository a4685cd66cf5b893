// Fast leader election on its own: members exchange notifications through a
// queue the test drives; decisions must follow (epoch, zxid, id), respect
// quorums and the finalize wait, and let a latecomer join an established
// leader.

import { describe, expect, it } from 'vitest';
import { Election, type ElectionConfig } from '../../../src/core/zab/election.js';
import type { Notification, PeerState, ServerId, Vote } from '../../../src/core/zab/messages.js';
import { QuorumVerifier } from '../../../src/core/zab/quorum.js';

interface Node {
  id: ServerId;
  election: Election;
  state: PeerState;
  decided: { vote: Vote; electionEpoch: number } | null;
}

class Net {
  readonly nodes = new Map<ServerId, Node>();
  readonly queue: Array<{ from: ServerId; to: ServerId; n: Notification }> = [];
  now = 0;
  /** members whose messages are lost, both ways */
  readonly cut = new Set<ServerId>();

  constructor(voters: ServerId[], observers: ServerId[] = [], config: Partial<ElectionConfig> = {}) {
    const quorum = new QuorumVerifier(voters, observers);
    for (const id of [...voters, ...observers]) {
      const node: Node = { id, state: 'LOOKING', decided: null, election: undefined as never };
      node.election = new Election(
        { myid: id, participant: quorum.isVoter(id), finalizeWait: 50, minNotificationInterval: 100, maxNotificationInterval: 800, ...config },
        quorum,
        {
          sendVote: (to, n) => this.queue.push({ from: id, to, n }),
          decided: (vote, electionEpoch) => {
            node.decided = { vote, electionEpoch };
            node.state = vote.leader === id ? 'LEADING' : quorum.isVoter(id) ? 'FOLLOWING' : 'OBSERVING';
          },
          resent: () => {},
        },
      );
      this.nodes.set(id, node);
    }
  }

  start(id: ServerId, zxid: number, epoch: number): void {
    const n = this.nodes.get(id)!;
    n.state = 'LOOKING';
    n.decided = null;
    n.election.start({ leader: id, zxid, peerEpoch: epoch }, this.now);
  }

  /** Delivers every queued notification, then lets time pass in steps until nothing is left to do. */
  run(ms = 2000): void {
    const end = this.now + ms;
    while (this.now <= end) {
      while (this.queue.length > 0) {
        const { from, to, n } = this.queue.shift()!;
        if (this.cut.has(from) || this.cut.has(to)) continue;
        const node = this.nodes.get(to)!;
        const self = node.decided ?? { vote: node.election.proposal, electionEpoch: node.election.logicalClock };
        node.election.receive(from, n, this.now, { state: node.state, vote: self.vote, electionEpoch: self.electionEpoch });
        node.election.answer(this.now);
        node.election.settle();
      }
      this.now += 10;
      for (const node of this.nodes.values()) node.election.tick(this.now);
    }
  }

  leaderOf(id: ServerId): ServerId | undefined {
    return this.nodes.get(id)!.decided?.vote.leader;
  }
}

describe('fast leader election', () => {
  it('elects the highest id when every log is equal, as the seeds describe', () => {
    const net = new Net([1, 2, 3]);
    for (const id of [1, 2, 3]) net.start(id, 0, 0);
    net.run();
    expect([1, 2, 3].map((id) => net.leaderOf(id))).toEqual([3, 3, 3]);
    expect(net.nodes.get(3)!.state).toBe('LEADING');
    expect(net.nodes.get(1)!.state).toBe('FOLLOWING');
  });

  it('prefers the later epoch, then the longer log, then the higher id', () => {
    const byZxid = new Net([1, 2, 3]);
    byZxid.start(1, 11, 3);
    byZxid.start(2, 10, 3);
    byZxid.start(3, 9, 3);
    byZxid.run();
    expect([1, 2, 3].map((id) => byZxid.leaderOf(id))).toEqual([1, 1, 1]);

    const byEpoch = new Net([1, 2, 3]);
    byEpoch.start(1, 0x1_0000_0009, 2); // epoch 2, an older log
    byEpoch.start(2, 0x1_0000_0005, 1);
    byEpoch.start(3, 0x1_0000_000a, 1); // a longer log of an older epoch
    byEpoch.run();
    expect([1, 2, 3].map((id) => byEpoch.leaderOf(id))).toEqual([1, 1, 1]);
  });

  it('under the injected bug, lets the longer log of an older epoch win', () => {
    const net = new Net([1, 2, 3], [], { zxidBeforeEpoch: true });
    net.start(1, 0x1_0000_0009, 2);
    net.start(2, 0x1_0000_0005, 1);
    net.start(3, 0x1_0000_000a, 1);
    net.run();
    expect(net.leaderOf(1)).toBe(3);
  });

  it('decides nothing without a quorum, and decides once one is back', () => {
    const net = new Net([1, 2, 3]);
    net.cut.add(2);
    net.cut.add(3);
    net.start(1, 0, 0);
    net.run(3000);
    expect(net.nodes.get(1)!.decided).toBeNull();
    net.cut.delete(2); // 3 stays away: 1 and 2 are a quorum
    net.start(2, 0, 0);
    net.run();
    expect(net.leaderOf(1)).toBe(2);
    expect(net.leaderOf(2)).toBe(2);
  });

  it('lets a restarted member join the established leader from the others’ answers', () => {
    const net = new Net([1, 2, 3]);
    for (const id of [1, 2, 3]) net.start(id, 0, 0);
    net.run();
    // member 1 comes back with a better log than the leader had: it still joins the leader in place
    net.start(1, 99, 0);
    net.run();
    expect(net.leaderOf(1)).toBe(3);
    expect(net.nodes.get(1)!.state).toBe('FOLLOWING');
  });

  it('waits the finalize wait before deciding, and a better vote within it changes the outcome', () => {
    const net = new Net([1, 2, 3, 4, 5]);
    net.cut.add(5);
    for (const id of [1, 2, 3, 4]) net.start(id, 0, 0);
    // deliver the first exchange only: a quorum (1..4 for 4) agrees, nobody has decided yet
    for (let i = 0; i < 200 && net.queue.length > 0; i++) {
      const { from, to, n } = net.queue.shift()!;
      if (net.cut.has(to)) continue;
      const node = net.nodes.get(to)!;
      node.election.receive(from, n, net.now, { state: node.state, vote: node.election.proposal, electionEpoch: 1 });
    }
    expect([1, 2, 3, 4].every((id) => net.nodes.get(id)!.decided === null)).toBe(true);
    net.cut.clear();
    net.start(5, 0, 0); // a better vote (id 5) within the wait
    net.run();
    expect([1, 2, 3, 4, 5].map((id) => net.leaderOf(id))).toEqual([5, 5, 5, 5, 5]);
  });

  it('lets an observer learn the leader without counting it', () => {
    const net = new Net([1, 2], [9]);
    net.start(9, 1000, 5); // an observer with a "better" log is never proposed
    net.start(1, 0, 0);
    net.start(2, 0, 0);
    net.run();
    expect(net.leaderOf(9)).toBe(2);
    expect(net.nodes.get(9)!.state).toBe('OBSERVING');
    expect(net.leaderOf(1)).toBe(2);
  });

  it('answers at once a looking voter whose vote is worse, which may have missed ours while it still followed', () => {
    const net = new Net([1, 2, 3], [], { minNotificationInterval: 10_000, maxNotificationInterval: 10_000 });
    // 2 led 1 and 3 and is gone; 3 looks first, and its notification reaches 1 while 1 still follows
    net.cut.add(2);
    const one = net.nodes.get(1)!;
    one.state = 'FOLLOWING';
    one.decided = { vote: { leader: 2, zxid: 5, peerEpoch: 1 }, electionEpoch: 1 };
    net.start(3, 5, 1);
    const { from, n } = net.queue.find((m) => m.to === 1)!;
    net.queue.splice(0);
    one.election.receive(from, n, net.now, { state: 'FOLLOWING', vote: one.decided.vote, electionEpoch: 1 });
    expect(net.queue.map((m) => `${m.from}->${m.to} ${m.n.state}`)).toEqual(['1->3 FOLLOWING']);
    // then 1 looks too: without the answer 3's vote would reach it only at 3's notification timeout (10 s)
    net.start(1, 5, 1);
    net.run(500);
    expect([1, 3].map((id) => net.leaderOf(id))).toEqual([3, 3]);
    expect(net.now).toBeLessThan(1_000);
  });
});
