// Fast leader election, as ZooKeeper runs it and the seeds describe it. A
// LOOKING member votes for itself (myid, last logged zxid, current epoch),
// sends its vote to every voter — itself included, through the same path —
// and adopts any better vote it receives (epoch, then zxid, then id). Once
// the votes it has received for its proposal make a quorum, it waits for
// the finalize wait without hearing a better vote, then decides. A vote from
// a member already FOLLOWING or LEADING lets it join an established leader
// once a quorum reports that leader and the leader says it leads.
//
// Everything here is decided from what this member has received; time
// arrives as `tick(now)`.

import { betterVote, type Notification, type PeerState, type ServerId, type Vote } from './messages.js';
import type { QuorumVerifier } from './quorum.js';

export interface ElectionConfig {
  myid: ServerId;
  /**
   * false for an observer, and for a member whose log was repaired until a
   * leader has synchronised it: it proposes no one and only learns the leader
   */
  participant: boolean;
  /** ms without a better vote after a quorum agrees, before deciding */
  finalizeWait: number;
  /**
   * ms after sending our vote before sending it again while still looking;
   * doubles each time, up to maxNotificationInterval. (ZooKeeper resends
   * after a silence and, on a new connection, repeats the last message; a
   * vote lost with a broken connection would otherwise never be repeated by
   * a member that keeps hearing others.)
   */
  minNotificationInterval: number;
  maxNotificationInterval: number;
  /** an injected bug: votes compared by zxid before epoch */
  zxidBeforeEpoch?: boolean;
}

export interface ElectionHost {
  sendVote(to: ServerId, n: Notification): void;
  /** The election is over: follow or lead `vote.leader`. */
  decided(vote: Vote, electionEpoch: number): void;
  /** the notification timer fired and the vote went out again */
  resent(): void;
}

interface Received extends Vote {
  electionEpoch: number;
  state: PeerState;
}

/** A vote that no member proposes: an observer's, which never wins. */
const NO_ONE = -1;

/** The injected bug's order: zxid first, so a longer log of an older epoch wins. */
function zxidFirst(a: Vote, b: Vote): boolean {
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  if (a.peerEpoch !== b.peerEpoch) return a.peerEpoch > b.peerEpoch;
  return a.leader > b.leader;
}

function sameVote(a: Received, b: Received): boolean {
  if (a.state === 'LOOKING' || b.state === 'LOOKING') {
    return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
  }
  return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
}

export class Election {
  /** this member's round; raised by every lookForLeader and by a later round heard of */
  logicalClock = 0;
  looking = false;
  proposal: Vote = { leader: NO_ONE, zxid: 0, peerEpoch: 0 };
  /** the vote this member starts from in this round */
  private initial: Vote = this.proposal;

  /** This member's own vote in the current round (what it says of itself). */
  get ownVote(): Vote {
    return this.initial;
  }
  /** votes of this round, by voter */
  private readonly recvset = new Map<ServerId, Received>();
  /** votes of members that are past the election */
  private readonly outOfElection = new Map<ServerId, Received>();
  /** when the finalize wait ends, if a quorum agrees with the proposal */
  private finalizeAt: number | null = null;
  private resendAt = 0;
  private resendInterval: number;
  /**
   * A looking voter sent a vote of our round worse than ours: it may have
   * missed ours (sent while it still followed, say), and would wait for our
   * notification timeout to hear it. answer() sends it at once.
   */
  private answerDue = false;

  /** a decision reached on receiving a notification, taken by settle() (a step of its own) */
  private settling: { vote: Vote; electionEpoch: number } | null = null;

  private readonly better: (a: Vote, b: Vote) => boolean;

  constructor(
    readonly config: ElectionConfig,
    private readonly quorum: QuorumVerifier,
    private readonly host: ElectionHost,
  ) {
    this.resendInterval = config.minNotificationInterval;
    this.better = config.zxidBeforeEpoch ? zxidFirst : betterVote;
  }

  /** A new round: vote for ourselves (a participant) and tell every voter. */
  start(self: Vote, now: number): void {
    this.looking = true;
    this.answerDue = false;
    this.logicalClock++;
    this.recvset.clear();
    this.outOfElection.clear();
    this.finalizeAt = null;
    this.settling = null;
    this.initial = this.config.participant ? self : { leader: NO_ONE, zxid: 0, peerEpoch: 0 };
    this.proposal = this.initial;
    this.resendInterval = this.config.minNotificationInterval;
    this.sendNotifications(now);
  }

  /** What this member says of itself when it is not looking. */
  private notification(state: PeerState, vote: Vote, electionEpoch: number): Notification {
    return { ...vote, electionEpoch, state };
  }

  private sendNotifications(now: number): void {
    this.resendAt = now + this.resendInterval;
    const n = this.notification('LOOKING', this.proposal, this.logicalClock);
    for (const v of this.quorum.voters) this.host.sendVote(v, n);
  }

  /**
   * A notification from `from`. `self` is this member's state and, when not
   * LOOKING, the vote it acts on (the leader it follows or is).
   */
  receive(from: ServerId, n: Notification, now: number, self: { state: PeerState; vote: Vote; electionEpoch: number }): void {
    if (!this.looking) {
      // past the election: a voter tells a looking member whom it follows or leads (an observer
      // tells no one; its own notifications of an earlier round are nothing to it)
      if (n.state === 'LOOKING' && from !== this.config.myid && this.quorum.isVoter(this.config.myid)) {
        this.host.sendVote(from, this.notification(self.state, self.vote, self.electionEpoch));
      }
      return;
    }
    if (!this.quorum.isVoter(from)) {
      // an observer looking for the leader: our view, its vote does not count
      this.host.sendVote(from, this.notification('LOOKING', this.proposal, this.logicalClock));
      return;
    }
    if (n.state === 'LOOKING' && n.electionEpoch < this.logicalClock) {
      // a lagging voter: send it our round so it catches up
      this.host.sendVote(from, this.notification('LOOKING', this.proposal, this.logicalClock));
    }
    if (n.leader !== NO_ONE && !this.quorum.isVoter(n.leader)) return;
    switch (n.state) {
      case 'LOOKING':
        this.onLooking(from, n, now);
        return;
      case 'OBSERVING':
        return;
      case 'FOLLOWING':
      case 'LEADING':
        this.onDecided(from, n);
        return;
    }
  }

  private onLooking(from: ServerId, n: Notification, now: number): void {
    const vote: Vote = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch };
    if (n.electionEpoch > this.logicalClock) {
      this.logicalClock = n.electionEpoch;
      this.recvset.clear();
      this.finalizeAt = null;
      this.proposal = this.better(vote, this.initial) ? vote : this.initial;
      this.sendNotifications(now);
    } else if (n.electionEpoch < this.logicalClock) {
      return;
    } else if (this.better(vote, this.proposal)) {
      this.proposal = vote;
      this.finalizeAt = null;
      this.sendNotifications(now);
    } else if (from !== this.config.myid && this.better(this.proposal, vote)) {
      this.answerDue = true;
    }
    this.recvset.set(from, { ...vote, electionEpoch: n.electionEpoch, state: 'LOOKING' });
    const mine: Received = { ...this.proposal, electionEpoch: this.logicalClock, state: 'LOOKING' };
    if (this.proposal.leader !== NO_ONE && this.agreeing(this.recvset, mine)) {
      // a quorum agrees: decide unless a better vote comes within the finalize wait
      this.finalizeAt = now + this.config.finalizeWait;
    } else {
      this.finalizeAt = null;
    }
  }

  private onDecided(from: ServerId, n: Notification): void {
    const received: Received = { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch, electionEpoch: n.electionEpoch, state: n.state };
    if (n.electionEpoch === this.logicalClock) {
      this.recvset.set(from, received);
      if (this.agreeing(this.recvset, received) && this.leaderConfirmed(this.recvset, n.leader, n.electionEpoch)) {
        this.outOfElection.set(from, received);
        this.settling = { vote: { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch }, electionEpoch: n.electionEpoch };
        return;
      }
    }
    this.outOfElection.set(from, received);
    if (this.agreeing(this.outOfElection, received) && this.leaderConfirmed(this.outOfElection, n.leader, n.electionEpoch)) {
      this.settling = { vote: { leader: n.leader, zxid: n.zxid, peerEpoch: n.peerEpoch }, electionEpoch: n.electionEpoch };
    }
  }

  /** Decides, if the last notification received settled the election. */
  /**
   * Our vote to every voter again, right after a receipt that showed a
   * looking voter without it: a step of its own, the spec's notification
   * timeout (a looking member may send its vote again at any time).
   */
  answer(now: number): void {
    if (!this.answerDue) return;
    this.answerDue = false;
    if (!this.looking) return;
    this.sendNotifications(now);
    this.host.resent();
  }

  settle(): void {
    const s = this.settling;
    if (s === null) return;
    this.settling = null;
    this.logicalClock = s.electionEpoch;
    this.decide(s.vote, s.electionEpoch);
  }

  /** Whether the voters whose votes in `votes` equal `vote` make a quorum. */
  private agreeing(votes: Map<ServerId, Received>, vote: Received): boolean {
    const ids: ServerId[] = [];
    for (const [id, v] of votes) if (sameVote(v, vote)) ids.push(id);
    return this.quorum.isQuorum(ids);
  }

  /** A member we would follow must itself say it leads; a round we would lead must be ours. */
  private leaderConfirmed(votes: Map<ServerId, Received>, leader: ServerId, electionEpoch: number): boolean {
    if (leader !== this.config.myid) return votes.get(leader)?.state === 'LEADING';
    return this.logicalClock === electionEpoch;
  }

  /**
   * An election connection to another member came up: a looking member
   * sends its vote again at once (to every voter, as after a silence), since
   * what it sent over an earlier connection may have been lost with it.
   */
  reconnected(now: number): void {
    if (!this.looking || this.finalizeAt !== null) return;
    this.sendNotifications(now);
    this.host.resent();
  }

  /** Time passes: the finalize wait ends, or our vote goes out again after a silence. */
  tick(now: number): void {
    if (!this.looking) return;
    if (this.finalizeAt !== null && now >= this.finalizeAt) {
      this.decide(this.proposal, this.logicalClock);
      return;
    }
    if (now >= this.resendAt) {
      this.resendInterval = Math.min(this.resendInterval * 2, this.config.maxNotificationInterval);
      this.sendNotifications(now);
      this.host.resent();
    }
  }

  private decide(vote: Vote, electionEpoch: number): void {
    this.looking = false;
    this.finalizeAt = null;
    this.settling = null;
    this.recvset.clear();
    this.outOfElection.clear();
    this.host.decided(vote, electionEpoch);
  }
}
