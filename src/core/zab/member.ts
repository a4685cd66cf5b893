// A member of an ensemble: the state it keeps whatever its role — the
// committed database (the Replica), the transactions it has logged beyond
// it, what of them is durable, its accepted and current epochs — and the
// role it plays: LOOKING (fast leader election), LEADING or FOLLOWING /
// OBSERVING (a Learner). Every role applies committed transactions through
// the one Replica.apply, in zxid order.
//
// Invariants kept here (a violation throws):
// - logged transactions (`pending`) come after the database's last zxid, in
//   strictly increasing zxid order; `lastLogged` is the last of them (or the
//   database's zxid when there is none);
// - `durableZxid` ≤ `lastLogged`: nothing is durable that was not written;
// - the member's own snapshot holds only what was delivered and durable
//   (`snapshotZxid` ≤ the database's zxid), and the DIFF window starts at it
//   or later (`historyBase` ≥ `snapshotZxid`);
// - a transaction is applied only when committed, and only the next one.
//
// Pure: inputs are method calls with the time, effects come out of ready().

import type { ClientEffect, ConnId } from '../effects.js';
import { Outbox } from '../effects.js';
import type { Database } from '../database.js';
import type { FrontendConfig, SessionAuthority, WritePath } from '../frontend.js';
import { invariant } from '../invariant.js';
import type { PrepOptions } from '../prep.js';
import { Replica } from '../replica.js';
import { SessionTracker } from '../sessions.js';
import type { Txn } from '../txn.js';
import { zxidHex } from '../zxid.js';
import type { Id, Request } from '../../wire/protocol.js';
import { Election, type ElectionConfig } from './election.js';
import type { EpochFile, MemberEffect, ZabPhase } from './effects.js';
import { LeaderRole } from './leader.js';
import { LearnerRole } from './learner.js';
import type { Notification, PeerState, QuorumPacket, ServerId, Vote } from './messages.js';
import type { QuorumVerifier } from './quorum.js';
import { type SpecAction, type SpecEvent, type SpecPost, specVote, specZxid } from './trace.js';

export interface MemberConfig extends FrontendConfig, PrepOptions {
  myid: ServerId;
  quorum: QuorumVerifier;
  tickTime: number;
  /** ticks a learner has to connect and synchronise */
  initLimit: number;
  /** ticks a learner may stay silent (and the leader without a quorum) */
  syncLimit: number;
  /** election timing (ms) */
  finalizeWait: number;
  minNotificationInterval: number;
  maxNotificationInterval: number;
  /** committed transactions kept in memory to bring a learner up to date by DIFF; one further behind gets SNAP */
  commitLogCount: number;
  containerCheckIntervalMs: number;
  containerMaxPerMinute: number;
  containerMaxNeverUsedIntervalMs?: number;
  /** emit a `step` effect for each step an action of spec/Zab.tla describes (a trace) */
  traceSteps?: boolean;
  /** emit `trace` effects, notes of what the member did (the simulator counts them) */
  traceNotes?: boolean;
  /**
   * The member's log was repaired (a damaged tail moved aside): what it
   * holds may lack transactions that were committed, so it must not vote
   * on it. It takes part in no election (as an observer does) until a
   * leader has synchronised it.
   */
  repaired?: boolean;
  /** deliberately injected protocol bugs, for proving the checks can fail; never set in production */
  bugs?: ZabBugs;
}

export interface ZabBugs {
  /** the leader commits once a quorum has the proposal, counting acks sent before the acker's log is durable */
  commitBeforeQuorum?: boolean;
  /** a follower acks a proposal as soon as it is written, before it is durable */
  ackBeforeFsync?: boolean;
  /** a follower takes proposals from a leader of an older epoch */
  acceptStaleProposal?: boolean;
  /** election compares zxids before epochs */
  zxidBeforeEpoch?: boolean;
}

/** What a member starts from: its recovered database, the log after it, its epochs. */
export interface RecoveredMember {
  db: Database;
  /** transactions logged after db.lastZxid, in order, all durable */
  log: Txn[];
  acceptedEpoch: number;
  currentEpoch: number;
}

/** What the member asks of the role it plays (leader or learner). */
export interface Role extends WritePath, Omit<SessionAuthority, 'newSessionId'> {
  /** it serves clients now */
  readonly serving: boolean;
  connected(conn: number, peer: ServerId, now: number): void;
  closed(conn: number, now: number): void;
  receive(conn: number, packet: QuorumPacket, now: number): void;
  durable(zxid: number, now: number): void;
  /** the log is durable up to `zxid`: what the spec's FlushLog step sends (a follower's acks) */
  flushed(zxid: number): void;
  /** a committed transaction was applied here */
  applied(txn: Txn): void;
  tick(now: number): void;
  /** the member leaves this role: its connections close */
  stop(reason: string): void;
}

export class Member implements WritePath, SessionAuthority {
  readonly out = new Outbox<MemberEffect>();
  replica: Replica;
  state: PeerState = 'LOOKING';
  phase: ZabPhase = 'ELECTION';
  /** the epoch files' values (written durably in the step that changes them) */
  acceptedEpoch: number;
  currentEpoch: number;
  /** logged transactions not yet applied, oldest first */
  pending: Txn[];
  lastLogged: number;
  durableZxid: number;
  /** committed transactions kept for DIFF, and the zxid the window starts after */
  readonly history: Txn[] = [];
  historyBase: number;
  /**
   * The zxid of the member's snapshot: what it restarts from (its recovered
   * database, the leader's snapshot it installed, or one it took itself).
   * The DIFF window starts at it or later. (spec: snapshotLen)
   */
  snapshotZxid: number;
  readonly election: Election;
  /** the vote this member acts on once past the election */
  vote: Vote;
  electionEpoch = 0;
  role: (Role & (LeaderRole | LearnerRole)) | null = null;
  /**
   * The member is leaving its role (why), waiting for its log writer to
   * drain first, as ZooKeeper shuts its sync processor down before it goes
   * back to the election: the role stays, hears nothing more, and its
   * writes still become durable (a follower acks them); once they are all
   * durable the member leaves. (spec: LearnerTimeout, LeaderTimeout need
   * Drained.)
   */
  private leaving: { reason: string; as: SpecAction | null; peer?: ServerId } | null = null;
  /** quorum connections opened to this member while it was leaving: closed when it leaves */
  private readonly heldConns: number[] = [];
  /** connections to leaders this member left, still heard (only under the injected acceptStaleProposal bug) */
  readonly staleLeaders = new Set<number>();
  /** session ids made here (their creation goes to the leader) */
  readonly ids: SessionTracker;
  now: number;

  constructor(
    readonly config: MemberConfig,
    recovered: RecoveredMember,
    sessionIdBase: bigint,
    now: number,
  ) {
    this.now = now;
    recovered.db.tree.values.deferReleases = true;
    this.replica = new Replica(recovered.db, this, this, this.out, config);
    this.replica.frontend.abandon('this member has not joined a leader yet');
    this.acceptedEpoch = recovered.acceptedEpoch;
    this.currentEpoch = recovered.currentEpoch;
    this.pending = [...recovered.log];
    let last = recovered.db.lastZxid;
    for (const t of this.pending) {
      invariant(t.hdr.zxid > last, () => `recovered log out of order: ${zxidHex(t.hdr.zxid)} after ${zxidHex(last)}`);
      last = t.hdr.zxid;
    }
    this.lastLogged = last;
    this.durableZxid = last;
    this.historyBase = recovered.db.lastZxid;
    this.snapshotZxid = recovered.db.lastZxid;
    this.ids = new SessionTracker(sessionIdBase);
    const electionConfig: ElectionConfig = {
      myid: config.myid,
      participant: config.quorum.isVoter(config.myid) && !config.repaired,
      finalizeWait: config.finalizeWait,
      minNotificationInterval: config.minNotificationInterval,
      maxNotificationInterval: config.maxNotificationInterval,
      ...(config.bugs?.zxidBeforeEpoch ? { zxidBeforeEpoch: true } : {}),
    };
    this.election = new Election(electionConfig, config.quorum, {
      sendVote: (to, n) => this.out.push({ kind: 'sendVote', to, n }),
      decided: (vote, electionEpoch) => this.decided(vote, electionEpoch),
      resent: () => this.step('FLENotificationTimeout'),
    });
    this.vote = { leader: config.myid, zxid: this.lastLogged, peerEpoch: this.currentEpoch };
  }

  get db(): Database {
    return this.replica.db;
  }

  get myid(): ServerId {
    return this.config.myid;
  }

  get frontend() {
    return this.replica.frontend;
  }

  get isObserver(): boolean {
    return !this.config.quorum.isVoter(this.config.myid);
  }

  /** The effects of every input since the last call; node data in them are valid until the next input. */
  ready(): MemberEffect[] {
    this.db.tree.values.settle();
    return this.out.take();
  }

  trace(action: string, fields: Record<string, unknown>): void {
    if (this.config.traceNotes) this.out.push({ kind: 'trace', action, fields: { server: this.myid, ...fields } });
  }

  /** A step of spec/Zab.tla's `action` just ended here; `args`: its other arguments. */
  step(action: SpecAction, args?: Omit<SpecEvent, 'action' | 'srv' | 'post'>): void {
    if (!this.config.traceSteps) return;
    const event: SpecEvent = { action, srv: this.myid, post: this.post() };
    if (args?.peer !== undefined) event.peer = args.peer;
    if (args?.value !== undefined) event.value = args.value;
    if (args?.msg !== undefined) event.msg = args.msg;
    this.out.push({ kind: 'step', event });
  }

  /** This member's variables of the spec, now. */
  post(): SpecPost {
    const looking = this.state === 'LOOKING';
    return {
      state: this.state,
      zabState: this.phase,
      clock: this.election.logicalClock,
      vote: specVote(looking ? this.election.proposal : this.vote),
      last: specZxid(this.lastLogged),
      durable: specZxid(this.durableZxid),
      committed: specZxid(this.db.lastZxid),
      accepted: this.acceptedEpoch,
      current: this.currentEpoch,
    };
  }

  // ------------------------------------------------------------ inputs

  /**
   * The member starts: it looks for a leader. `restarted`: it ran before
   * (spec: Restart); the first start of an ensemble is the spec's Init.
   */
  start(now: number, restarted = false): void {
    this.now = now;
    this.lookForLeader(now, 'started', restarted ? 'Restart' : null);
  }

  tick(now: number): void {
    this.now = now;
    if (this.leaving) return;
    if (this.state === 'LOOKING') this.election.tick(now);
    else this.role?.tick(now);
  }

  /** An election notification from `from` (ourselves included). */
  /** The shell's election connection to `peer` came up (a new one). */
  electionConnected(peer: ServerId, now: number): void {
    this.now = now;
    if (this.leaving || peer === this.myid) return;
    this.election.reconnected(now);
  }

  receiveVote(from: ServerId, n: Notification, now: number): void {
    this.now = now;
    this.election.receive(from, n, now, { state: this.state, vote: this.vote, electionEpoch: this.electionEpoch });
    this.step('FLEReceiveNotification', {
      peer: from,
      msg: { ...specVote(n), round: n.electionEpoch, state: n.state },
    });
    // a looking voter without our vote hears it now: a step of its own
    this.election.answer(now);
    // a quorum of members past the election named a leader that leads: a step of its own
    this.election.settle();
  }

  /**
   * A quorum connection with `peer` is up. `accepted`: `peer` opened it (a
   * learner that takes this member for its leader); otherwise this
   * member's learner opened it, to its leader.
   */
  quorumConnected(conn: number, peer: ServerId, now: number, accepted: boolean): void {
    this.now = now;
    if (accepted) {
      if (!(this.role instanceof LeaderRole)) this.refuse(conn, peer);
      else if (this.leaving) this.heldConns.push(conn);
      else this.role.connected(conn, peer, now);
    } else if (this.role instanceof LearnerRole && !this.leaving) {
      this.role.connected(conn, peer, now);
    } else {
      // opened for a learner this member no longer is: it never said who it is, so the other end heard of nothing
      this.out.push({ kind: 'disconnect', conn });
    }
  }

  /** Closes a quorum connection `peer` opened to this member, which does not lead. */
  refuse(conn: number, peer: ServerId): void {
    this.out.push({ kind: 'disconnect', conn });
    this.step('RefuseConnection', { peer });
  }

  /** A learner's connection to its leader could not be made. */
  quorumFailed(peer: ServerId, now: number): void {
    this.now = now;
    if (this.role instanceof LearnerRole) this.role.failed(peer, now);
  }

  /** A quorum connection closed (the peer went, or the link broke). */
  quorumClosed(conn: number, now: number): void {
    this.now = now;
    if (this.staleLeaders.delete(conn)) return;
    this.role?.closed(conn, now);
  }

  receive(conn: number, packet: QuorumPacket, now: number): void {
    this.now = now;
    if (this.staleLeaders.has(conn)) this.staleReceive(conn, packet);
    else if (this.leaving) return;
    else if (this.role) this.role.receive(conn, packet, now);
    else this.out.push({ kind: 'disconnect', conn });
  }

  /** Everything logged up to `zxid` is on disk. */
  durable(zxid: number, now: number): void {
    this.now = now;
    invariant(zxid <= this.lastLogged, () => `durable up to ${zxidHex(zxid)}, beyond the last logged ${zxidHex(this.lastLogged)}`);
    if (zxid <= this.durableZxid) return;
    this.durableZxid = zxid;
    // a follower's acks of what is now durable go out in this step
    this.role?.flushed(zxid);
    this.step('FlushLog');
    if (this.leaving && this.durableZxid >= this.lastLogged) this.leave(now);
    else this.role?.durable(zxid, now);
  }

  /** The injected bug: a left leader's proposals are logged when they fit and acked at once. */
  private staleReceive(conn: number, packet: QuorumPacket): void {
    if (packet.type === 'PROPOSAL') {
      if (packet.txn.hdr.zxid > this.lastLogged) this.logTxn(packet.txn);
      this.out.push({ kind: 'send', conn, packet: { type: 'ACK', zxid: packet.txn.hdr.zxid } });
    } else if (packet.type === 'PING') {
      this.out.push({ kind: 'send', conn, packet: { type: 'PING', touches: [] } });
    }
  }

  /** Makes an epoch file hold `epoch`: now, and durably before any later effect is carried out. */
  setEpoch(file: EpochFile, epoch: number): void {
    invariant(epoch >= this[file], () => `${file} would go back from ${this[file]} to ${epoch}`);
    this[file] = epoch;
    invariant(this.currentEpoch <= this.acceptedEpoch, () => `currentEpoch ${this.currentEpoch} above acceptedEpoch ${this.acceptedEpoch}`);
    this.trace('EpochWritten', { file, epoch });
    this.out.push({ kind: 'persistEpoch', file, epoch });
  }

  // ------------------------------------------------------------ roles

  /**
   * Leaves whatever role this member had (closing its connections and
   * clients) and starts an election — once its log writer has drained.
   * `as`: the spec's action this is (default: the role's timeout; null for
   * the first start).
   */
  lookForLeader(now: number, reason: string, as?: SpecAction | null, peer?: ServerId): void {
    if (this.leaving) return;
    const action = as !== undefined ? as : this.role instanceof LeaderRole ? 'LeaderTimeout' : this.role ? 'LearnerTimeout' : null;
    this.leaving = { reason, as: action, ...(peer !== undefined ? { peer } : {}) };
    if (this.frontend.serving) this.frontend.abandon(`this member lost its leader (${reason})`);
    // as ZooKeeper drains its log writer before it goes back to the election: the vote is what is durable
    if (this.durableZxid >= this.lastLogged) this.leave(now);
  }

  private leave(now: number): void {
    const { reason, as, peer } = this.leaving!;
    this.leaving = null;
    if (this.role) {
      this.role.stop(reason);
      this.role = null;
    }
    for (const conn of this.heldConns.splice(0)) this.out.push({ kind: 'disconnect', conn });
    this.state = 'LOOKING';
    this.phase = 'ELECTION';
    this.announce(null);
    this.trace('GoLooking', { reason, lastLogged: this.lastLogged, currentEpoch: this.currentEpoch });
    this.election.start({ leader: this.myid, zxid: this.lastLogged, peerEpoch: this.currentEpoch }, now);
    if (as) this.step(as, peer !== undefined ? { peer } : {});
  }

  private decided(vote: Vote, electionEpoch: number): void {
    this.vote = vote;
    this.electionEpoch = electionEpoch;
    if (vote.leader === this.myid) {
      this.state = 'LEADING';
      this.phase = 'DISCOVERY';
      this.trace('ElectionDecided', { state: this.state, leader: vote.leader, electionEpoch });
      this.announce(this.myid);
      this.role = new LeaderRole(this, this.now);
      this.step('FLEDecide');
    } else {
      this.state = this.isObserver ? 'OBSERVING' : 'FOLLOWING';
      this.phase = 'DISCOVERY';
      this.trace('ElectionDecided', { state: this.state, leader: vote.leader, electionEpoch });
      this.announce(vote.leader);
      this.role = new LearnerRole(this, vote.leader, this.now);
      this.step('FLEDecide');
    }
  }

  /** Tells the shell of a role change; `epoch`: the epoch being led or followed, when known. */
  announce(leader: ServerId | null, epoch = this.currentEpoch, sync?: 'DIFF' | 'TRUNC' | 'SNAP'): void {
    this.out.push({ kind: 'role', state: this.state, phase: this.phase, leader, epoch, ...(sync ? { sync } : {}) });
  }

  // ------------------------------------------------------------ the log

  /** Logs a transaction after the last one (the shell writes it; durable later). */
  logTxn(txn: Txn): void {
    invariant(txn.hdr.zxid > this.lastLogged, () => `logging ${zxidHex(txn.hdr.zxid)} after ${zxidHex(this.lastLogged)}`);
    this.pending.push(txn);
    this.lastLogged = txn.hdr.zxid;
    this.out.push({ kind: 'persist', txn });
  }

  /** Applies every logged transaction up to `zxid`, which must be the database's or one of them. */
  commitUpTo(zxid: number): void {
    if (zxid <= this.db.lastZxid) return;
    invariant(
      this.pending.some((t) => t.hdr.zxid === zxid),
      () => `commit of ${zxidHex(zxid)}, which is not logged here (applied ${zxidHex(this.db.lastZxid)}, logged ${zxidHex(this.lastLogged)})`,
    );
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.hdr.zxid <= zxid) {
      const txn = this.pending[n++]!;
      this.replica.apply(txn);
      this.out.push({ kind: 'deliver', txn });
      this.role?.applied(txn);
      this.remember(txn);
    }
    this.pending.splice(0, n);
    this.replica.caughtUp();
  }

  /** A leader synchronised this member: if its log was repaired, it votes again from now on. */
  synchronised(): void {
    if (!this.config.repaired) return;
    this.config.repaired = false;
    this.election.config.participant = this.config.quorum.isVoter(this.myid);
    this.trace('RepairSettled', {});
    this.out.push({ kind: 'repairSettled' });
  }

  /** Keeps a committed transaction for DIFF, dropping the oldest beyond the window. */
  private remember(txn: Txn): void {
    this.history.push(txn);
    // trimmed in batches of an eighth of the window, so that trimming stays cheap
    const keep = this.config.commitLogCount;
    if (this.history.length > keep + Math.max(1, keep >> 3)) {
      const cut = this.history.splice(0, this.history.length - keep);
      this.historyBase = cut[cut.length - 1]!.hdr.zxid;
    }
  }

  /**
   * The shell is about to write a snapshot of this member's own (spec:
   * TakeSnapshot): of the database as delivered, when all of it is durable
   * (the spec's snapshot is of what is delivered and durable, at
   * Min(lastCommitted, durableLen)) and it holds something the last
   * snapshot does not. The snapshot is what the member restarts from; the
   * DIFF window starts after it, so a learner behind it gets SNAP. Returns
   * the database to write (at its lastZxid), before any later input changes
   * it, or null when there is no such snapshot to take now (ask again later).
   */
  takeSnapshot(now: number): Database | null {
    this.now = now;
    const zxid = this.db.lastZxid;
    if (zxid <= this.snapshotZxid || zxid > this.durableZxid) return null;
    this.snapshotZxid = zxid;
    // the window holds committed transactions only, all of them in the snapshot now
    this.history.length = 0;
    this.historyBase = zxid;
    this.step('TakeSnapshot');
    return this.db;
  }

  /** Removes logged transactions after `zxid`; none of them may be applied. */
  truncateLog(zxid: number): void {
    invariant(this.db.lastZxid <= zxid, () => `truncation to ${zxidHex(zxid)} below the applied ${zxidHex(this.db.lastZxid)}`);
    let keep = this.pending.length;
    while (keep > 0 && this.pending[keep - 1]!.hdr.zxid > zxid) keep--;
    this.pending.length = keep;
    this.lastLogged = keep > 0 ? this.pending[keep - 1]!.hdr.zxid : this.db.lastZxid;
    if (this.durableZxid > this.lastLogged) this.durableZxid = this.lastLogged;
    this.out.push({ kind: 'truncate', zxid: this.lastLogged });
  }

  /** Replaces the database with the leader's snapshot (the member is not serving). */
  installSnapshot(db: Database, zxid: number): void {
    invariant(!this.frontend.serving, 'a snapshot installed while serving clients');
    invariant(db.lastZxid === zxid, () => `snapshot claims ${zxidHex(zxid)} but holds ${zxidHex(db.lastZxid)}`);
    db.tree.values.deferReleases = true;
    this.replica = new Replica(db, this, this, this.out, this.config);
    this.replica.frontend.abandon('this member is synchronising with its leader');
    this.pending = [];
    this.lastLogged = zxid;
    // the shell makes the snapshot durable before it carries out any later effect
    this.durableZxid = zxid;
    this.history.length = 0;
    this.historyBase = zxid;
    this.snapshotZxid = zxid;
    this.out.push({ kind: 'installSnapshot', zxid, db });
  }

  /** The transactions logged here after `zxid` (the database's or a logged one), oldest first. */
  loggedAfter(zxid: number): Txn[] {
    return this.pending.filter((t) => t.hdr.zxid > zxid);
  }

  // ------------------------------------------------------------ WritePath and SessionAuthority, by role

  write(sessionId: bigint, cxid: number, req: Request, ids: readonly Id[], now: number): void {
    this.serving().write(sessionId, cxid, req, ids, now);
  }

  createSession(sessionId: bigint, timeout: number, now: number): void {
    this.serving().createSession(sessionId, timeout, now);
  }

  closeSession(sessionId: bigint, cxid: number, now: number): void {
    this.serving().closeSession(sessionId, cxid, now);
  }

  sync(sessionId: bigint, now: number): void {
    this.serving().sync(sessionId, now);
  }

  newSessionId(): bigint {
    return this.ids.nextId();
  }

  touch(sessionId: bigint, now: number): boolean {
    return this.serving().touch(sessionId, now);
  }

  revalidate(sessionId: bigint, timeout: number, now: number): void {
    this.serving().revalidate(sessionId, timeout, now);
  }

  /** The role that serves clients now; the frontend takes requests only while one does. */
  private serving(): Role {
    const r = this.role;
    invariant(r !== null && r.serving, 'a client request reached a member that is not serving');
    return r;
  }

  /** Client connections this member holds now. */
  get clientConns(): ConnId[] {
    return [...this.frontend.conns.keys()];
  }
}

export type { ClientEffect };
