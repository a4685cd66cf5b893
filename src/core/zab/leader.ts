// The leader's side of Zab, as ZooKeeper runs it.
//
// Discovery: learners connect and send FOLLOWERINFO (OBSERVERINFO) with
// their accepted epoch; once a quorum of voters (the leader included) has,
// the new epoch is one more than every accepted epoch heard of, made
// durable as the leader's acceptedEpoch before LEADERINFO goes out. A quorum
// of ACKEPOCH (none of them ahead of the leader) ends discovery; the leader
// makes the epoch its currentEpoch.
//
// Synchronisation: each learner gets DIFF, TRUNC or SNAP, chosen from its
// last zxid and the transactions the leader keeps, then the missing
// transactions as PROPOSAL (and COMMIT for the committed ones), then
// NEWLEADER. The epoch is established when a quorum of voters has acked
// NEWLEADER — the leader's own ack counts once its log and currentEpoch are
// durable; the leader then commits its initial history and sends UPTODATE
// with its commit point.
//
// Broadcast: client writes are prepared here (or forwarded by learners),
// logged and proposed; a proposal commits, in zxid order, once a quorum of
// voters has acked it, each ack sent after the acker's log is durable —
// the leader's own after its own log is. Sessions are the leader's: it
// decides expiry; learners report their clients' activity in PING.

import { type Id, OpCode, type Request } from '../../wire/protocol.js';
import type { Txn } from '../txn.js';
import { invariant } from '../invariant.js';
import { Prep } from '../prep.js';
import { SessionTracker } from '../sessions.js';
import { containerBudget, containerCandidates } from '../containers.js';
import { counterExhausted, makeZxid, zxidHex } from '../zxid.js';
import { betterVote, type ForwardedRequest, type QuorumPacket, type ServerId } from './messages.js';
import type { Member, Role } from './member.js';

type LearnerStage =
  /** connected; its FOLLOWERINFO/OBSERVERINFO has not come */
  | 'INFO'
  /** LEADERINFO sent; waiting for its ACKEPOCH */
  | 'LEADERINFO_SENT'
  /** its ACKEPOCH came; it is synchronised once a quorum has acked the epoch */
  | 'EPOCH_ACKED'
  /** synchronisation and NEWLEADER sent; waiting for its ack of NEWLEADER */
  | 'SYNCED'
  /** it acked NEWLEADER; UPTODATE goes out once the epoch is established */
  | 'NEWLEADER_ACKED'
  /** UPTODATE sent: it serves clients */
  | 'UP';

interface LearnerHandle {
  conn: number;
  peer: ServerId;
  observer: boolean;
  stage: LearnerStage;
  acceptedEpoch: number;
  lastHeard: number;
  /** gets proposals and commits as they happen (from its synchronisation on) */
  forwarding: boolean;
  /** its last zxid, as its ACKEPOCH said */
  lastZxid: number;
}

interface Proposal {
  txn: Txn;
  acks: Set<ServerId>;
}

export class LeaderRole implements Role {
  private readonly learners = new Map<number, LearnerHandle>();
  /** accepted epochs of the members that asked to join, the leader's own included */
  private readonly connecting = new Map<ServerId, number>();
  private readonly epochAcks = new Set<ServerId>();
  private readonly newLeaderAcks = new Set<ServerId>();
  /** the epoch this leader leads, once a quorum of voters has connected */
  epoch: number | null = null;
  /** the last zxid of the history the leader starts the epoch with */
  private readonly initialHistoryEnd: number;
  private established = false;
  private readonly proposals: Proposal[] = [];
  /** what only an established leader has: the preparation of writes and the session table */
  private broadcast: { prep: Prep; tracker: SessionTracker } | null = null;
  private readonly deadline: number;
  private nextPing = 0;
  private nextContainerCheck = 0;
  private stopped = false;

  constructor(
    private readonly m: Member,
    now: number,
  ) {
    this.initialHistoryEnd = m.lastLogged;
    this.deadline = now + m.config.initLimit * m.config.tickTime;
    this.connecting.set(m.myid, m.acceptedEpoch);
    this.maybeFixEpoch();
  }

  get serving(): boolean {
    return this.established && !this.stopped;
  }

  /** The epoch, once fixed (a step that needs it before is a bug). */
  private get fixedEpoch(): number {
    invariant(this.epoch !== null, 'the leader uses its epoch before a quorum fixed it');
    return this.epoch;
  }

  /** What an established leader has (a step that needs it before is a bug). */
  private get est(): { prep: Prep; tracker: SessionTracker } {
    invariant(this.broadcast !== null, 'the leader serves before its epoch is established');
    return this.broadcast;
  }

  private send(h: LearnerHandle, packet: QuorumPacket): void {
    this.m.out.push({ kind: 'send', conn: h.conn, packet });
  }

  private drop(h: LearnerHandle, reason: string): void {
    this.m.trace('LeaderDropLearner', { peer: h.peer, reason });
    this.learners.delete(h.conn);
    this.m.out.push({ kind: 'disconnect', conn: h.conn });
  }

  /** A packet that has no effect in the leader's present state: dropped, and the drop traced. */
  private discard(h: LearnerHandle, what: string): void {
    this.m.trace('LeaderDiscard', { peer: h.peer, what });
  }

  private giveUp(reason: string): void {
    this.m.lookForLeader(this.m.now, reason);
  }

  stop(reason: string): void {
    this.stopped = true;
    for (const h of this.learners.values()) this.m.out.push({ kind: 'disconnect', conn: h.conn });
    this.learners.clear();
    this.m.trace('LeaderStop', { reason });
  }

  // ------------------------------------------------------------ discovery

  connected(conn: number, peer: ServerId, now: number): void {
    const known = this.m.config.quorum.isVoter(peer) || this.m.config.quorum.observers.has(peer);
    if (!known || peer === this.m.myid) {
      this.m.out.push({ kind: 'disconnect', conn });
      return;
    }
    for (const h of [...this.learners.values()]) if (h.peer === peer) this.drop(h, 'it connected again');
    this.learners.set(conn, { conn, peer, observer: !this.m.config.quorum.isVoter(peer), stage: 'INFO', acceptedEpoch: -1, lastHeard: now, forwarding: false, lastZxid: 0 });
  }

  closed(conn: number, _now: number): void {
    const h = this.learners.get(conn);
    if (!h) return;
    this.learners.delete(conn);
    this.m.trace('LeaderLearnerGone', { peer: h.peer });
  }

  private onInfo(h: LearnerHandle, acceptedEpoch: number): void {
    if (h.stage !== 'INFO') return this.drop(h, `a second ${h.observer ? 'OBSERVERINFO' : 'FOLLOWERINFO'}`);
    h.acceptedEpoch = acceptedEpoch;
    this.m.trace('LeaderProcessFollowerInfo', { peer: h.peer, acceptedEpoch });
    if (this.epoch === null) {
      this.connecting.set(h.peer, acceptedEpoch);
      this.maybeFixEpoch();
    } else {
      this.sendLeaderInfo(h);
    }
  }

  /** Once a quorum of voters has asked to join: the new epoch, beyond every accepted epoch heard of. */
  private maybeFixEpoch(): void {
    if (this.epoch !== null) return;
    const voters = [...this.connecting.keys()].filter((id) => this.m.config.quorum.isVoter(id));
    if (!this.m.config.quorum.isQuorum(voters)) return;
    this.epoch = Math.max(...this.connecting.values()) + 1;
    this.m.trace('LeaderFixEpoch', { epoch: this.epoch, from: [...this.connecting.keys()] });
    // accepted durably before any LEADERINFO names it
    this.m.setEpoch('acceptedEpoch', this.epoch);
    for (const h of this.learners.values()) if (h.stage === 'INFO' && h.acceptedEpoch >= 0) this.sendLeaderInfo(h);
    // the leader's own epoch ack: its state is what it starts from
    this.epochAcks.add(this.m.myid);
    this.maybeEndDiscovery();
  }

  private sendLeaderInfo(h: LearnerHandle): void {
    h.stage = 'LEADERINFO_SENT';
    this.send(h, { type: 'LEADERINFO', epoch: this.fixedEpoch });
  }

  private onAckEpoch(h: LearnerHandle, currentEpoch: number, lastZxid: number): void {
    if (h.stage !== 'LEADERINFO_SENT') return this.drop(h, 'ACKEPOCH out of turn');
    this.m.trace('LeaderProcessAckEpoch', { peer: h.peer, currentEpoch, lastZxid });
    if (currentEpoch !== -1) {
      const theirs = { leader: h.peer, zxid: lastZxid, peerEpoch: currentEpoch };
      const ours = { leader: h.peer, zxid: this.m.lastLogged, peerEpoch: this.m.currentEpoch };
      const ahead = this.m.config.bugs?.zxidBeforeEpoch ? theirs.zxid > ours.zxid : betterVote(theirs, ours);
      if (ahead) {
        // it would lose what it holds: it is not taken (it looks for a leader again and finds a better one)
        this.drop(h, `it is ahead of this leader (epoch ${currentEpoch}, zxid ${zxidHex(lastZxid)})`);
        return;
      }
    }
    h.stage = 'EPOCH_ACKED';
    h.lastZxid = lastZxid;
    if (!h.observer) this.epochAcks.add(h.peer);
    if (this.m.phase === 'DISCOVERY') this.maybeEndDiscovery();
    else this.synchronise(h, lastZxid);
  }

  private maybeEndDiscovery(): void {
    if (this.m.phase !== 'DISCOVERY' || !this.m.config.quorum.isQuorum(this.epochAcks)) return;
    this.m.phase = 'SYNCHRONIZATION';
    this.m.announce(this.m.myid, this.fixedEpoch);
    this.m.trace('LeaderEndDiscovery', { epoch: this.epoch, acks: [...this.epochAcks] });
    // the leader's history is what the epoch starts from: it was durable before the leader voted; now the epoch
    invariant(this.m.durableZxid >= this.initialHistoryEnd, 'a leader whose history is not durable ends discovery');
    this.m.setEpoch('currentEpoch', this.fixedEpoch);
    this.maybeSelfAckNewLeader();
    for (const h of this.learners.values()) {
      if (h.stage === 'EPOCH_ACKED') this.synchronise(h, h.lastZxid);
    }
  }

  // ------------------------------------------------------------ synchronisation

  /**
   * Brings a learner whose last zxid is `peerLast` up to date: DIFF when
   * the leader keeps every transaction after it, TRUNC first when it has
   * some the leader does not, SNAP when it is behind what the leader keeps.
   */
  private synchronise(h: LearnerHandle, peerLast: number): void {
    const m = this.m;
    const committed = m.db.lastZxid;
    const logged = [...m.history, ...m.pending];
    const leaderLast = m.lastLogged;
    let from: number;
    if (peerLast === leaderLast) {
      this.send(h, { type: 'DIFF', zxid: leaderLast });
      from = leaderLast;
      m.trace('LeaderSyncDiff', { peer: h.peer, peerLast, leaderLast });
    } else if (peerLast > leaderLast) {
      this.send(h, { type: 'TRUNC', zxid: leaderLast });
      from = leaderLast;
      m.trace('LeaderSyncTrunc', { peer: h.peer, peerLast, truncateTo: leaderLast });
    } else if (peerLast >= m.historyBase) {
      if (peerLast === m.historyBase || logged.some((t) => t.hdr.zxid === peerLast)) {
        this.send(h, { type: 'DIFF', zxid: leaderLast });
        from = peerLast;
        m.trace('LeaderSyncDiff', { peer: h.peer, peerLast, leaderLast });
      } else {
        // the learner has a transaction this leader does not: cut back to the last one they share
        let t = m.historyBase;
        for (const x of logged) if (x.hdr.zxid < peerLast) t = x.hdr.zxid;
        this.send(h, { type: 'TRUNC', zxid: t });
        from = t;
        m.trace('LeaderSyncTrunc', { peer: h.peer, peerLast, truncateTo: t });
      }
    } else {
      // the shell captures the database when it sends this, before the core's next input; nothing
      // later in this step changes it (establishment, the only commit synchronisation can lead to,
      // comes before any learner is synchronised in the same step)
      this.send(h, { type: 'SNAP', zxid: committed, db: m.db });
      from = committed;
      m.trace('LeaderSyncSnap', { peer: h.peer, peerLast, snapshotZxid: committed });
    }
    // what the learner already holds up to `from` and is committed here: apply it
    const commitTo = Math.min(from, committed);
    if (commitTo > 0) this.send(h, { type: 'COMMIT', zxid: commitTo });
    for (const t of logged) {
      if (t.hdr.zxid <= from) continue;
      this.send(h, { type: 'PROPOSAL', txn: t });
      if (t.hdr.zxid <= committed) this.send(h, { type: 'COMMIT', zxid: t.hdr.zxid });
    }
    h.forwarding = true;
    h.stage = 'SYNCED';
    this.send(h, { type: 'NEWLEADER', epoch: this.fixedEpoch, sessionKey: this.m.config.sessionKey });
  }

  private onAckNewLeader(h: LearnerHandle): void {
    h.stage = 'NEWLEADER_ACKED';
    this.m.trace('LeaderProcessAckNewLeader', { peer: h.peer });
    if (this.established) {
      this.upToDate(h);
      return;
    }
    if (!h.observer) this.newLeaderAcks.add(h.peer);
    this.maybeEstablish();
  }

  /** The leader acks its own NEWLEADER once its history and its currentEpoch are durable. */
  private maybeSelfAckNewLeader(): void {
    const m = this.m;
    if (this.m.phase === 'DISCOVERY' || m.currentEpoch !== this.fixedEpoch || m.durableZxid < this.initialHistoryEnd) return;
    if (this.newLeaderAcks.has(m.myid)) return;
    this.newLeaderAcks.add(m.myid);
    m.trace('LeaderSelfAckNewLeader', { epoch: this.epoch });
    this.maybeEstablish();
  }

  private maybeEstablish(): void {
    if (this.established || !this.m.config.quorum.isQuorum(this.newLeaderAcks) || !this.newLeaderAcks.has(this.m.myid)) return;
    const m = this.m;
    this.established = true;
    m.phase = 'BROADCAST';
    m.trace('LeaderEstablished', { epoch: this.epoch, acks: [...this.newLeaderAcks], initialHistoryEnd: this.initialHistoryEnd });
    m.announce(m.myid, this.fixedEpoch);
    // the initial history is committed: here, and at every learner synchronised with it
    m.commitUpTo(this.initialHistoryEnd);
    // learners that acked learn the commit point with UPTODATE; the others with theirs, or from the COMMITs before it
    for (const h of this.learners.values()) if (h.stage === 'NEWLEADER_ACKED') this.upToDate(h);
    const prep = new Prep(m.db.tree, m.config);
    prep.reset(makeZxid(this.fixedEpoch, 0));
    const tracker = new SessionTracker(0n);
    for (const [id, timeout] of m.db.sessions) tracker.add(id, timeout, m.now);
    this.broadcast = { prep, tracker };
    this.nextContainerCheck = m.now + m.config.containerCheckIntervalMs;
    m.frontend.serve();
  }

  private upToDate(h: LearnerHandle): void {
    h.stage = 'UP';
    this.send(h, { type: 'UPTODATE', zxid: this.m.db.lastZxid });
  }

  // ------------------------------------------------------------ broadcast

  private propose(txn: Txn): void {
    const m = this.m;
    this.proposals.push({ txn, acks: new Set() });
    m.logTxn(txn);
    m.trace('LeaderPropose', { zxid: txn.hdr.zxid });
    // observers get committed transactions (INFORM) once up to date, proposals while synchronising
    for (const h of this.learners.values()) if (h.forwarding && (!h.observer || h.stage !== 'UP')) this.send(h, { type: 'PROPOSAL', txn });
    if (counterExhausted(txn.hdr.zxid)) this.giveUp(`zxid counter of epoch ${this.epoch} exhausted`);
  }

  durable(zxid: number, _now: number): void {
    if (!this.established) return;
    for (const p of this.proposals) if (p.txn.hdr.zxid <= zxid) p.acks.add(this.m.myid);
    this.tryCommit();
  }

  private onAck(h: LearnerHandle, zxid: number): void {
    if (h.observer) return;
    const p = this.proposals.find((x) => x.txn.hdr.zxid === zxid);
    if (!p) return; // committed already, or from before this epoch
    p.acks.add(h.peer);
    this.m.trace('LeaderProcessAck', { peer: h.peer, zxid });
    this.tryCommit();
  }

  /** Commits proposals in zxid order while the oldest has a quorum of acks. */
  private tryCommit(): void {
    const m = this.m;
    while (this.proposals.length > 0) {
      const p = this.proposals[0]!;
      const acked = m.config.bugs?.commitBeforeQuorum ? p.acks.size > 0 : m.config.quorum.isQuorum(p.acks);
      if (!acked) return;
      this.proposals.shift();
      const zxid = p.txn.hdr.zxid;
      m.trace('LeaderCommit', { zxid, acks: [...p.acks] });
      for (const h of this.learners.values()) {
        if (!h.forwarding) continue;
        this.send(h, h.observer && h.stage === 'UP' ? { type: 'INFORM', txn: p.txn } : { type: 'COMMIT', zxid });
      }
      m.commitUpTo(zxid);
    }
  }

  /** A committed transaction was applied here: the prepared state and the session table follow. */
  applied(txn: Txn): void {
    this.broadcast?.prep.applied(txn.hdr.zxid);
    if (txn.hdr.type === OpCode.closeSession) this.broadcast?.tracker.remove(txn.hdr.sessionId);
  }

  // ------------------------------------------------------------ requests (local clients and forwarded)

  write(sessionId: bigint, cxid: number, req: Request, ids: readonly Id[], now: number): void {
    this.propose(this.est.prep.write(sessionId, cxid, req, ids, now));
  }

  createSession(sessionId: bigint, timeout: number, now: number): void {
    this.est.tracker.add(sessionId, timeout, now);
    this.propose(this.est.prep.createSession(sessionId, timeout, now));
  }

  closeSession(sessionId: bigint, cxid: number, now: number): void {
    this.est.tracker.setClosing(sessionId);
    this.propose(this.est.prep.closeSession(sessionId, cxid, now));
  }

  sync(sessionId: bigint): void {
    this.m.frontend.synced(sessionId, this.est.prep.lastZxid);
  }

  touch(sessionId: bigint, now: number): boolean {
    return this.est.tracker.touch(sessionId, now);
  }

  revalidate(sessionId: bigint, timeout: number, now: number): void {
    this.m.frontend.revalidated(sessionId, this.est.tracker.touch(sessionId, now, timeout));
  }

  private onRequest(h: LearnerHandle, sessionId: bigint, cxid: number, request: ForwardedRequest, ids: Id[], now: number): void {
    // a learner serves only after UPTODATE, so this comes after the leader stopped: its client hears nothing, and retries
    if (!this.serving) return this.discard(h, `a forwarded ${request.kind} while not serving`);
    switch (request.kind) {
      case 'write':
        this.write(sessionId, cxid, request.req, ids, now);
        return;
      case 'createSession':
        this.createSession(sessionId, request.timeout, now);
        return;
      case 'closeSession':
        this.closeSession(sessionId, cxid, now);
        return;
      case 'sync':
        this.send(h, { type: 'SYNC', sessionId, zxid: this.est.prep.lastZxid });
        return;
    }
  }

  // ------------------------------------------------------------ packets

  receive(conn: number, packet: QuorumPacket, now: number): void {
    const h = this.learners.get(conn);
    if (!h) {
      this.m.out.push({ kind: 'disconnect', conn });
      return;
    }
    h.lastHeard = now;
    switch (packet.type) {
      case 'FOLLOWERINFO':
      case 'OBSERVERINFO':
        if ((packet.type === 'OBSERVERINFO') !== h.observer) return this.drop(h, `${packet.type} from a ${h.observer ? 'observer' : 'voter'}`);
        return this.onInfo(h, packet.acceptedEpoch);
      case 'ACKEPOCH':
        return this.onAckEpoch(h, packet.currentEpoch, packet.lastZxid);
      case 'ACK':
        if (h.stage === 'SYNCED' && packet.zxid === makeZxid(this.fixedEpoch, 0)) return this.onAckNewLeader(h);
        if (h.stage === 'NEWLEADER_ACKED' || h.stage === 'UP') return this.onAck(h, packet.zxid);
        return this.drop(h, `ACK ${zxidHex(packet.zxid)} out of turn`);
      case 'PING':
        if (this.serving) for (const t of packet.touches) this.est.tracker.touch(t.sessionId, now, t.timeout);
        else if (packet.touches.length > 0) this.discard(h, 'session touches while not serving');
        return;
      case 'REVALIDATE':
        if (!this.serving) return this.discard(h, 'REVALIDATE while not serving');
        this.send(h, { type: 'REVALIDATE_ANSWER', sessionId: packet.sessionId, valid: this.est.tracker.touch(packet.sessionId, now, packet.timeout) });
        return;
      case 'REQUEST':
        return this.onRequest(h, packet.sessionId, packet.cxid, packet.request, packet.ids, now);
      default:
        return this.drop(h, `${packet.type} is not a packet a learner sends`);
    }
  }

  // ------------------------------------------------------------ time

  tick(now: number): void {
    const m = this.m;
    const { tickTime, syncLimit } = m.config;
    if (!this.established) {
      if (now >= this.deadline) this.giveUp(`no quorum synchronised within initLimit (${m.config.initLimit} ticks)`);
      return;
    }
    // a quorum of voters must have been heard from within syncLimit
    const alive = [m.myid];
    for (const h of this.learners.values()) if (!h.observer && now - h.lastHeard <= syncLimit * tickTime) alive.push(h.peer);
    if (!m.config.quorum.isQuorum(alive)) {
      this.giveUp(`only ${alive.length} of ${m.config.quorum.voters.size} voters heard from within syncLimit`);
      return;
    }
    if (now >= this.nextPing) {
      this.nextPing = now + Math.max(1, Math.floor(tickTime / 2));
      for (const h of this.learners.values()) if (h.stage === 'UP') this.send(h, { type: 'PING', touches: [] });
    }
    for (const s of this.est.tracker.expire(now)) this.propose(this.est.prep.closeSession(s.id, 0, now));
    if (this.stopped) return;
    if (now >= this.nextContainerCheck) {
      this.nextContainerCheck = now + m.config.containerCheckIntervalMs;
      let budget = containerBudget(m.config);
      for (const path of containerCandidates(m.db.tree, now, m.config)) {
        if (budget-- <= 0 || this.stopped) break;
        this.propose(this.est.prep.deleteContainer(path, now));
      }
    }
  }

  /** The leader's sessions and their expiry (null before the epoch is established). */
  get sessionTracker(): SessionTracker | null {
    return this.broadcast?.tracker ?? null;
  }

  /** What four-letter words report of the leader. */
  get learnerCount(): { all: number; syncedFollowers: number; syncedObservers: number; pendingSyncs: number } {
    let syncedFollowers = 0;
    let syncedObservers = 0;
    let pendingSyncs = 0;
    for (const h of this.learners.values()) {
      if (h.stage === 'UP') {
        if (h.observer) syncedObservers++;
        else syncedFollowers++;
      } else if (h.forwarding) {
        pendingSyncs++;
      }
    }
    return { all: this.learners.size, syncedFollowers, syncedObservers, pendingSyncs };
  }
}

