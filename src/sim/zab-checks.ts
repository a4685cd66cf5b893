// The Zab invariants, checked on the live state of a simulated ensemble
// after every step and over its whole history (ghost state that never
// shrinks, whatever members crash, truncate or take a snapshot):
// - one global committed sequence: every member delivers a prefix of it, in
//   zxid order, each transaction the same everywhere (prefix consistency,
//   agreement, integrity, total order);
// - nothing is delivered that is not committed: the first delivery of a
//   transaction anywhere finds it durable on a quorum of voters;
// - a member that restarts or installs its leader's snapshot delivers again
//   exactly what it had; a snapshot a member takes of its own holds exactly
//   what it delivered;
// - a member that decides to lead on the votes of an election is at least
//   as recent (epoch, then zxid) as every member of some quorum of voters
//   (ElectedLeaderIsMostRecent);
// - at most one leader per epoch, counted from when it starts to
//   synchronise learners;
// - committed transactions are never lost: a leader that establishes its
//   epoch holds every transaction committed before.

import type { SpecEvent } from '../core/zab/trace.js';
import type { Txn } from '../core/txn.js';
import type { ZabPhase } from '../core/zab/effects.js';
import type { PeerState, ServerId } from '../core/zab/messages.js';
import type { QuorumVerifier } from '../core/zab/quorum.js';
import { zxidHex } from '../core/zxid.js';
import type { MemberObserver } from './ensemble-member.js';

/** What the checker may look at in a member. */
export interface Inspectable {
  /** zxids durable on the member's disk now (its snapshot's included) */
  durableHas(zxid: number): boolean;
  /** the zxid of the database the member applied up to, null when down */
  appliedZxid(): number | null;
  /** the vote the member started its last election with (from its disk when down): its epoch and last logged zxid then */
  recency(): { epoch: number; zxid: number };
  /** the vote the member acts on, when past the election */
  vote(): { leader: ServerId; peerEpoch: number; zxid: number } | null;
}

function sameTxn(a: Txn, b: Txn): boolean {
  return (
    a.hdr.zxid === b.hdr.zxid &&
    a.hdr.sessionId === b.hdr.sessionId &&
    a.hdr.cxid === b.hdr.cxid &&
    a.hdr.type === b.hdr.type &&
    a.body.kind === b.body.kind
  );
}

export class ZabChecker implements MemberObserver {
  /** the committed sequence, as first delivered anywhere */
  readonly global: Txn[] = [];
  private readonly index = new Map<number, number>();
  /** each member's place in the global sequence: how much of it it has delivered since it started */
  private readonly position = new Map<ServerId, number>();
  /** the leader of each epoch, from its synchronisation on */
  readonly leaders = new Map<number, ServerId>();
  readonly violations: string[] = [];
  /** how many epochs were established, and leaders lost */
  established = 0;
  elections = 0;
  /** sees every trace event, when set */
  trace?: (member: ServerId, action: string, fields: Record<string, unknown>) => void;
  /** sees every step of the spec, when set */
  step?: (event: SpecEvent) => void;

  constructor(
    private readonly quorum: QuorumVerifier,
    private readonly members: Map<ServerId, Inspectable>,
  ) {}

  private fail(what: string): void {
    if (this.violations.length < 50) this.violations.push(what);
  }

  /** Where `zxid` stands in the global sequence: its index + 1 (0 for the empty prefix), or -1. */
  private placeOf(zxid: number): number {
    if (zxid === 0) return 0;
    const i = this.index.get(zxid);
    return i === undefined ? -1 : i + 1;
  }

  started(member: ServerId, zxid: number): void {
    const at = this.placeOf(zxid);
    if (at < 0) this.fail(`member ${member} starts from ${zxidHex(zxid)}, which was never committed`);
    this.position.set(member, Math.max(0, at));
  }

  installed(member: ServerId, zxid: number): void {
    const at = this.placeOf(zxid);
    if (at < 0) this.fail(`member ${member} took a snapshot at ${zxidHex(zxid)}, which was never committed`);
    const was = this.position.get(member) ?? 0;
    if (at >= 0 && at < was) this.fail(`member ${member} took a snapshot at ${zxidHex(zxid)}, behind what it had delivered`);
    this.position.set(member, Math.max(0, at));
  }

  snapshotTaken(member: ServerId, zxid: number): void {
    const at = this.placeOf(zxid);
    const delivered = this.position.get(member) ?? 0;
    if (at < 0) this.fail(`member ${member} took a snapshot at ${zxidHex(zxid)}, which was never committed`);
    else if (at !== delivered) this.fail(`member ${member} took a snapshot at ${zxidHex(zxid)}, not what it delivered (${delivered} transactions)`);
    if (!this.members.get(member)?.durableHas(zxid)) this.fail(`member ${member} took a snapshot at ${zxidHex(zxid)}, which is not durable there`);
  }

  delivered(member: ServerId, txn: Txn): void {
    const at = this.position.get(member) ?? 0;
    if (at < this.global.length) {
      const expected = this.global[at]!;
      if (!sameTxn(expected, txn)) {
        this.fail(
          `member ${member} delivered ${zxidHex(txn.hdr.zxid)} (session 0x${txn.hdr.sessionId.toString(16)} cxid ${txn.hdr.cxid}) ` +
            `where the committed sequence has ${zxidHex(expected.hdr.zxid)} (session 0x${expected.hdr.sessionId.toString(16)} cxid ${expected.hdr.cxid})`,
        );
      }
    } else {
      const last = this.global.length > 0 ? this.global[this.global.length - 1]!.hdr.zxid : 0;
      if (txn.hdr.zxid <= last) this.fail(`member ${member} delivered ${zxidHex(txn.hdr.zxid)} after ${zxidHex(last)}`);
      const holders = [...this.members].filter(([, m]) => m.durableHas(txn.hdr.zxid)).map(([id]) => id);
      if (!this.quorum.isQuorum(holders)) {
        this.fail(
          `member ${member} delivered ${zxidHex(txn.hdr.zxid)} first, while it was durable only on ${JSON.stringify(holders)}: not committed`,
        );
      }
      this.index.set(txn.hdr.zxid, this.global.length);
      this.global.push(txn);
    }
    this.position.set(member, at + 1);
  }

  role(member: ServerId, state: PeerState, phase: ZabPhase, epoch: number): void {
    if (state === 'LOOKING') {
      this.elections++;
      return;
    }
    if (state !== 'LEADING') return;
    if (phase === 'DISCOVERY') {
      this.checkMostRecent(member);
      return;
    }
    const other = this.leaders.get(epoch);
    if (other !== undefined && other !== member) this.fail(`two leaders of epoch ${epoch}: ${other} and ${member}`);
    this.leaders.set(epoch, member);
    if (phase === 'BROADCAST') {
      this.established++;
      const last = this.global.length > 0 ? this.global[this.global.length - 1]!.hdr.zxid : 0;
      const applied = this.members.get(member)?.appliedZxid() ?? 0;
      if (applied < last) {
        this.fail(`leader ${member} established epoch ${epoch} at ${zxidHex(applied)}, without ${zxidHex(last)}, which was committed`);
      }
    }
  }

  private checkMostRecent(leader: ServerId): void {
    const m = this.members.get(leader);
    const vote = m?.vote();
    if (!m || !vote) return;
    // A vote of its own election carries the leader's own epoch. One of an
    // older epoch is what members that still follow it sent it (FOLLOWING
    // notifications of their round, as ZooKeeper's FastLeaderElection
    // takes them): it was their leader, restarted, and takes them up again.
    // Its election says nothing of its log then; its discovery refuses a
    // learner ahead of it, and an established leader is checked to hold
    // everything committed (role, below).
    if (vote.peerEpoch < m.recency().epoch) return;
    const behind: ServerId[] = [];
    for (const id of this.quorum.voters) {
      const r = this.members.get(id)!.recency();
      if (vote.peerEpoch > r.epoch || (vote.peerEpoch === r.epoch && vote.zxid >= r.zxid)) behind.push(id);
    }
    if (!this.quorum.isQuorum(behind)) {
      this.fail(
        `member ${leader} decided to lead with epoch ${vote.peerEpoch} zxid ${zxidHex(vote.zxid)}, ` +
          `not as recent as a quorum: only ${JSON.stringify(behind)} are behind it`,
      );
    }
  }

  /** How far `member` has delivered in the global sequence. */
  deliveredCount(member: ServerId): number {
    return this.position.get(member) ?? 0;
  }
}
