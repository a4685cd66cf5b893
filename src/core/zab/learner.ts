// A learner's side of Zab (a follower, or an observer that never votes).
//
// It connects to the leader it elected and says which epoch it last
// accepted (FOLLOWERINFO / OBSERVERINFO). A LEADERINFO with a newer epoch is
// made durable as its acceptedEpoch before it answers ACKEPOCH with its
// current epoch and last zxid. The leader then synchronises it: DIFF (it
// keeps its log), TRUNC (it drops what the leader does not have) or SNAP (it
// takes the leader's database), followed by the missing transactions as
// PROPOSAL and COMMIT. At NEWLEADER it makes everything it logged durable,
// then the new epoch its currentEpoch, and only then acks — so that an ack
// never stands for a history a crash could take back. UPTODATE opens it to
// clients.
//
// In broadcast, a follower logs each PROPOSAL and acks it once it is
// durable; a COMMIT applies the logged transactions up to it; an observer
// logs and applies each INFORM. Client writes, new and closing sessions,
// syncs and re-attachments go to the leader; so do its clients' session
// touches, in the answer to the leader's PING.

import { type Id, type Request } from '../../wire/protocol.js';
import { invariant } from '../invariant.js';
import type { Txn } from '../txn.js';
import { epochOf, makeZxid, zxidHex } from '../zxid.js';
import type { QuorumPacket, ServerId, SessionTouch } from './messages.js';
import type { Member, Role } from './member.js';

type Stage =
  /** waiting for the quorum connection to the leader */
  | 'CONNECTING'
  /** FOLLOWERINFO/OBSERVERINFO sent; waiting for LEADERINFO */
  | 'INFO_SENT'
  /** ACKEPOCH sent; the synchronisation stream comes */
  | 'SYNCHRONISING'
  /** NEWLEADER came: the log is being made durable; then currentEpoch is written and the ack sent */
  | 'NEWLEADER_PENDING'
  /** NEWLEADER acked; waiting for UPTODATE */
  | 'AWAITING_UPTODATE'
  | 'BROADCAST';

export class LearnerRole implements Role {
  private conn: number | null = null;
  private stage: Stage = 'CONNECTING';
  private newEpoch = -1;
  /** the log must be durable up to here before NEWLEADER is acked */
  private newLeaderLogEnd = 0;
  private lastHeard: number;
  /** proposals logged and not yet acked, oldest first (acked once durable, after NEWLEADER was acked) */
  private readonly toAck: number[] = [];
  private newLeaderAcked = false;
  /** the synchronisation began (DIFF, TRUNC or SNAP came), and which */
  private syncStarted = false;
  private syncMode: 'DIFF' | 'TRUNC' | 'SNAP' | undefined;
  /** clients' session activity since the last PING */
  private readonly touches = new Map<bigint, number>();
  private stopped = false;
  private readonly observer: boolean;

  constructor(
    private readonly m: Member,
    readonly leader: ServerId,
    now: number,
  ) {
    this.lastHeard = now;
    this.observer = m.isObserver;
    m.out.push({ kind: 'connect', to: leader });
  }

  get serving(): boolean {
    return this.stage === 'BROADCAST' && !this.stopped;
  }

  private send(packet: QuorumPacket): void {
    if (this.conn !== null) this.m.out.push({ kind: 'send', conn: this.conn, packet });
  }

  private giveUp(reason: string): void {
    this.m.lookForLeader(this.m.now, reason);
  }

  stop(reason: string): void {
    this.stopped = true;
    if (this.conn !== null) {
      // the injected bug keeps listening to the leader it left
      if (this.m.config.bugs?.acceptStaleProposal) this.m.staleLeaders.add(this.conn);
      else this.m.out.push({ kind: 'disconnect', conn: this.conn });
    }
    this.conn = null;
    this.m.trace('LearnerStop', { leader: this.leader, reason });
  }

  // ------------------------------------------------------------ connection

  connected(conn: number, peer: ServerId, _now: number): void {
    if (peer !== this.leader || this.conn !== null || this.stage !== 'CONNECTING' || this.retryAt !== null) {
      this.m.out.push({ kind: 'disconnect', conn });
      return;
    }
    // (a connection is not a word from the leader: initLimit counts on from the election)
    this.conn = conn;
    this.stage = 'INFO_SENT';
    this.m.trace('LearnerConnected', { leader: peer, acceptedEpoch: this.m.acceptedEpoch });
    this.send(this.observer ? { type: 'OBSERVERINFO', acceptedEpoch: this.m.acceptedEpoch } : { type: 'FOLLOWERINFO', acceptedEpoch: this.m.acceptedEpoch });
  }

  /**
   * The connection to the leader could not be made. The member it elected
   * may not lead yet (it is still finishing its own election): try again,
   * until initLimit passes without a word from it (see tick).
   */
  failed(peer: ServerId, now: number): void {
    if (peer === this.leader && this.stage === 'CONNECTING') this.retryLater(now, 'no connection');
  }

  closed(conn: number, now: number): void {
    if (conn !== this.conn) return;
    this.conn = null;
    // closed before the leader said anything: it was not leading yet, as above
    if (this.stage === 'INFO_SENT') this.retryLater(now, 'the connection closed before LEADERINFO');
    else this.giveUp(`the connection to leader ${this.leader} closed`);
  }

  private retryAt: number | null = null;

  private retryLater(now: number, why: string): void {
    this.stage = 'CONNECTING';
    this.retryAt = now + Math.max(10, Math.floor(this.m.config.tickTime / 10));
    this.m.trace('LearnerConnectRetry', { leader: this.leader, why });
  }

  // ------------------------------------------------------------ packets

  receive(conn: number, packet: QuorumPacket, now: number): void {
    if (conn !== this.conn) {
      this.m.out.push({ kind: 'disconnect', conn });
      return;
    }
    this.lastHeard = now;
    switch (packet.type) {
      case 'LEADERINFO':
        return this.onLeaderInfo(packet.epoch);
      case 'DIFF':
        return this.onSyncStart('DIFF', packet.zxid);
      case 'TRUNC':
        this.onSyncStart('TRUNC', packet.zxid);
        return;
      case 'SNAP':
        if (!this.expectSync('SNAP')) return;
        this.syncStarted = true;
        this.syncMode = 'SNAP';
        this.m.trace('LearnerProcessSnap', { leader: this.leader, zxid: packet.zxid });
        this.m.installSnapshot(packet.db, packet.zxid);
        return;
      case 'PROPOSAL':
        return this.onProposal(packet.txn);
      case 'COMMIT':
        return this.onCommit(packet.zxid);
      case 'INFORM':
        return this.onInform(packet.txn);
      case 'NEWLEADER':
        return this.onNewLeader(packet.epoch, packet.sessionKey);
      case 'UPTODATE':
        return this.onUpToDate(packet.zxid);
      case 'PING':
        return this.onPing();
      case 'REVALIDATE_ANSWER':
        if (this.serving) this.m.frontend.revalidated(packet.sessionId, packet.valid);
        else this.m.trace('LearnerDiscard', { leader: this.leader, what: 'REVALIDATE answer while not serving' });
        return;
      case 'SYNC':
        if (this.serving) this.m.frontend.synced(packet.sessionId, packet.zxid);
        else this.m.trace('LearnerDiscard', { leader: this.leader, what: 'SYNC answer while not serving' });
        return;
      default:
        return this.protocolError(`${packet.type} is not a packet a leader sends`);
    }
  }

  private protocolError(what: string): void {
    this.m.trace('LearnerProtocolError', { leader: this.leader, what });
    this.giveUp(`leader ${this.leader}: ${what}`);
  }

  private onLeaderInfo(epoch: number): void {
    if (this.stage !== 'INFO_SENT') return this.protocolError('LEADERINFO out of turn');
    this.newEpoch = epoch;
    this.m.trace('LearnerProcessLeaderInfo', { leader: this.leader, epoch, acceptedEpoch: this.m.acceptedEpoch });
    if (epoch < this.m.acceptedEpoch) return this.giveUp(`leader's epoch ${epoch} is older than the accepted ${this.m.acceptedEpoch}`);
    if (epoch === this.m.acceptedEpoch) {
      this.ackEpoch(-1);
      return;
    }
    // accepted durably before the ACKEPOCH that promises it
    this.m.setEpoch('acceptedEpoch', epoch);
    this.ackEpoch(this.m.currentEpoch);
  }

  private ackEpoch(currentEpoch: number): void {
    this.stage = 'SYNCHRONISING';
    this.m.trace('LearnerAckEpoch', { leader: this.leader, currentEpoch, lastZxid: this.m.lastLogged });
    this.send({ type: 'ACKEPOCH', currentEpoch, lastZxid: this.m.lastLogged });
  }

  private expectSync(what: string): boolean {
    if (this.stage !== 'SYNCHRONISING' || this.syncStarted) {
      this.protocolError(`${what} out of turn`);
      return false;
    }
    return true;
  }

  private onSyncStart(kind: 'DIFF' | 'TRUNC', zxid: number): void {
    if (!this.expectSync(kind)) return;
    this.syncStarted = true;
    this.syncMode = kind;
    if (kind === 'TRUNC') {
      this.m.trace('LearnerProcessTrunc', { leader: this.leader, zxid });
      this.m.truncateLog(zxid);
    } else {
      this.m.trace('LearnerProcessDiff', { leader: this.leader, zxid });
    }
  }

  private inSync(): boolean {
    return this.syncStarted && this.stage !== 'CONNECTING' && this.stage !== 'INFO_SENT';
  }

  private onProposal(txn: Txn): void {
    if (!this.inSync()) return this.protocolError('PROPOSAL before synchronisation');
    // after NEWLEADER, proposals are the new leader's own
    const afterNewLeader = this.stage === 'NEWLEADER_PENDING' || this.stage === 'AWAITING_UPTODATE' || this.stage === 'BROADCAST';
    if (afterNewLeader && epochOf(txn.hdr.zxid) !== this.newEpoch) {
      return this.protocolError(`proposal ${zxidHex(txn.hdr.zxid)} is not of epoch ${this.newEpoch}`);
    }
    if (txn.hdr.zxid <= this.m.lastLogged) return this.protocolError(`proposal ${zxidHex(txn.hdr.zxid)} not after ${zxidHex(this.m.lastLogged)}`);
    this.m.trace('LearnerLogProposal', { leader: this.leader, zxid: txn.hdr.zxid });
    this.m.logTxn(txn);
    if (!this.observer) {
      this.toAck.push(txn.hdr.zxid);
      if (this.m.config.bugs?.ackBeforeFsync && this.newLeaderAcked) this.flushAcks(txn.hdr.zxid);
    }
  }

  private onCommit(zxid: number): void {
    if (!this.inSync()) return this.protocolError('COMMIT before synchronisation');
    if (zxid > this.m.lastLogged) return this.protocolError(`commit of ${zxidHex(zxid)}, which is not logged here`);
    this.m.trace('LearnerCommit', { leader: this.leader, zxid });
    this.m.commitUpTo(zxid);
  }

  private onInform(txn: Txn): void {
    if (!this.observer || this.stage !== 'BROADCAST') return this.protocolError('INFORM to a follower or out of turn');
    if (txn.hdr.zxid > this.m.lastLogged) this.m.logTxn(txn);
    this.m.trace('ObserverProcessInform', { leader: this.leader, zxid: txn.hdr.zxid });
    this.m.commitUpTo(txn.hdr.zxid);
  }

  private onNewLeader(epoch: number, sessionKey: Uint8Array): void {
    if (this.stage !== 'SYNCHRONISING' || !this.syncStarted || epoch !== this.newEpoch) return this.protocolError('NEWLEADER out of turn');
    this.stage = 'NEWLEADER_PENDING';
    if (!sameBytes(sessionKey, this.m.config.sessionKey)) {
      // the ensemble's key: sessions made at any member re-attach here
      this.m.config.sessionKey = sessionKey;
      this.m.out.push({ kind: 'persistSessionKey', key: sessionKey });
    }
    this.newLeaderLogEnd = this.m.lastLogged;
    this.m.trace('LearnerProcessNewLeader', { leader: this.leader, epoch, logEnd: this.newLeaderLogEnd });
    this.afterNewLeaderLogDurable();
  }

  /** Once everything logged before NEWLEADER is durable: the epoch becomes current (durably), then the ack. */
  private afterNewLeaderLogDurable(): void {
    if (this.stage !== 'NEWLEADER_PENDING' || this.m.durableZxid < this.newLeaderLogEnd) return;
    if (this.m.currentEpoch < this.newEpoch) this.m.setEpoch('currentEpoch', this.newEpoch);
    this.ackNewLeader();
  }

  private ackNewLeader(): void {
    invariant(this.m.durableZxid >= this.newLeaderLogEnd, 'NEWLEADER acked before the synchronised log is durable');
    this.stage = 'AWAITING_UPTODATE';
    this.newLeaderAcked = true;
    this.m.trace('LearnerAckNewLeader', { leader: this.leader, epoch: this.newEpoch });
    this.send({ type: 'ACK', zxid: makeZxid(this.newEpoch, 0) });
    this.flushAcks(this.m.durableZxid);
  }

  private onUpToDate(commitPoint: number): void {
    if (this.stage !== 'AWAITING_UPTODATE') return this.protocolError('UPTODATE out of turn');
    if (commitPoint > this.m.lastLogged) return this.protocolError(`UPTODATE commits ${zxidHex(commitPoint)}, which is not logged here`);
    this.m.commitUpTo(commitPoint);
    this.stage = 'BROADCAST';
    this.m.phase = 'BROADCAST';
    this.m.trace('LearnerUpToDate', { leader: this.leader, epoch: this.newEpoch, applied: this.m.db.lastZxid });
    this.m.announce(this.leader, this.newEpoch, this.syncMode);
    this.m.synchronised();
    this.m.frontend.serve();
  }

  durable(zxid: number, _now: number): void {
    this.afterNewLeaderLogDurable();
    if (this.newLeaderAcked) this.flushAcks(zxid);
  }

  /** Acks, one by one, every proposal logged up to `upTo` (durable, or written under the injected bug). */
  private flushAcks(upTo: number): void {
    let n = 0;
    while (n < this.toAck.length && this.toAck[n]! <= upTo) {
      this.send({ type: 'ACK', zxid: this.toAck[n]! });
      n++;
    }
    if (n > 0) this.toAck.splice(0, n);
  }

  /** A committed transaction was applied: nothing of it is left to ack. */
  applied(txn: Txn): void {
    while (this.toAck.length > 0 && this.toAck[0]! <= txn.hdr.zxid) this.toAck.shift();
  }

  private onPing(): void {
    const touches: SessionTouch[] = [];
    for (const [sessionId, timeout] of this.touches) touches.push({ sessionId, timeout });
    this.touches.clear();
    this.send({ type: 'PING', touches });
  }

  // ------------------------------------------------------------ time

  tick(now: number): void {
    const { tickTime, initLimit, syncLimit } = this.m.config;
    const limit = (this.stage === 'BROADCAST' ? syncLimit : initLimit) * tickTime;
    if (now - this.lastHeard > limit) {
      this.giveUp(`nothing from leader ${this.leader} for ${now - this.lastHeard} ms`);
      return;
    }
    if (this.retryAt !== null && now >= this.retryAt && this.stage === 'CONNECTING') {
      this.retryAt = null;
      this.m.out.push({ kind: 'connect', to: this.leader });
    }
  }

  // ------------------------------------------------------------ client requests, to the leader

  private forward(sessionId: bigint, cxid: number, request: Extract<QuorumPacket, { type: 'REQUEST' }>['request'], ids: readonly Id[]): void {
    this.send({ type: 'REQUEST', sessionId, cxid, request, ids: [...ids] });
  }

  write(sessionId: bigint, cxid: number, req: Request, ids: readonly Id[]): void {
    this.forward(sessionId, cxid, { kind: 'write', req }, ids);
  }

  createSession(sessionId: bigint, timeout: number): void {
    this.forward(sessionId, 0, { kind: 'createSession', timeout }, []);
  }

  closeSession(sessionId: bigint, cxid: number): void {
    this.forward(sessionId, cxid, { kind: 'closeSession' }, []);
  }

  sync(sessionId: bigint): void {
    this.forward(sessionId, 0, { kind: 'sync' }, []);
  }

  /** A session lives here while its creation is applied and its closing is not. */
  touch(sessionId: bigint): boolean {
    const timeout = this.m.db.sessions.get(sessionId);
    if (timeout === undefined) return false;
    this.touches.set(sessionId, timeout);
    return true;
  }

  revalidate(sessionId: bigint, timeout: number): void {
    this.send({ type: 'REVALIDATE', sessionId, timeout });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
