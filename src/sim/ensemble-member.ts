// An ensemble member in the simulator: the same Member core as the real
// server, on a virtual disk (its log, what was written and what is durable;
// its snapshot; its epoch files), virtual connections and the virtual clock.
// A crash keeps only what is durable; a restart recovers from it.

import { Database } from '../core/database.js';
import { type ConnId, detach } from '../core/effects.js';
import { sessionIdBase } from '../core/sessions.js';
import type { Txn } from '../core/txn.js';
import type { MemberEffect, ZabPhase } from '../core/zab/effects.js';
import { Member, type MemberConfig } from '../core/zab/member.js';
import type { Notification, PeerState, QuorumPacket, ServerId } from '../core/zab/messages.js';
import { type SpecEvent, specZxid } from '../core/zab/trace.js';
import type { ConnectRequest, Request } from '../wire/protocol.js';
import { decodeSnapshot, encodeSnapshot } from '../wire/snapshot-codec.js';
import { decodeTxn, encodeTxn } from '../wire/txn-codec.js';
import type { ClientNet, ClientPort } from './clientnet.js';
import type { Timer, VirtualClock } from './clock.js';
import type { DiskLatency } from './disk.js';
import { SimDisk } from './disk.js';
import type { PeerEndpoint, PeerNet } from './peernet.js';
import type { Rng } from './rng.js';

/** What a member keeps on its disk across crashes. */
export class MemberDisk {
  readonly log: SimDisk<Txn>;
  /** the last snapshot, as bytes (durable when installed) */
  snapshot: Uint8Array | null = null;
  snapshotZxid = 0;
  readonly epochs = { acceptedEpoch: 0, currentEpoch: 0 };
  /** the member's session key file (its own until it adopts the ensemble's) */
  sessionKey: Uint8Array;

  constructor(clock: VirtualClock, rng: Rng, latency: () => DiskLatency) {
    this.log = new SimDisk<Txn>(clock, rng, latency);
    this.sessionKey = Uint8Array.from({ length: 32 }, () => rng.int(256));
  }

  crash(keepWritten = false): void {
    this.log.crash(keepWritten);
  }
}

export interface MemberObserver {
  /** a transaction was applied at `member` */
  delivered(member: ServerId, txn: Txn): void;
  /** `member` changed role */
  role(member: ServerId, state: PeerState, phase: ZabPhase, epoch: number): void;
  /** `member` (re)starts from its disk, its database at `zxid` */
  started(member: ServerId, zxid: number): void;
  /** `member` took its leader's snapshot, at `zxid` */
  installed(member: ServerId, zxid: number): void;
  /** `member` took a snapshot of its own, of what it delivered up to `zxid` */
  snapshotTaken(member: ServerId, zxid: number): void;
  /** the member emitted a trace event */
  trace?(member: ServerId, action: string, fields: Record<string, unknown>): void;
  /** a step of the spec happened at a member (its own, or the world's: Crash) */
  step?(event: SpecEvent): void;
}

export class EnsembleMember implements ClientPort, PeerEndpoint {
  member: Member | null = null;
  private ticker: Timer | null = null;
  private syncAsked = false;
  restarts = 0;

  constructor(
    readonly id: ServerId,
    private readonly clock: VirtualClock,
    readonly disk: MemberDisk,
    private readonly clients: ClientNet,
    private readonly peers: PeerNet,
    private readonly config: MemberConfig,
    private readonly observer: MemberObserver,
  ) {}

  get up(): boolean {
    return this.member !== null;
  }

  get serving(): boolean {
    return this.member?.frontend.serving ?? false;
  }

  /** Recovers from the disk and starts looking for a leader (`restarted`: not the ensemble's first start). */
  start(restarted = false): void {
    const db = this.disk.snapshot ? decodeSnapshot(this.disk.snapshot) : new Database();
    const log = this.disk.log.durable().filter((t) => t.hdr.zxid > db.lastZxid);
    const now = this.clock.now;
    const m = new Member(
      { ...this.config, sessionKey: this.disk.sessionKey },
      { db, log, acceptedEpoch: this.disk.epochs.acceptedEpoch, currentEpoch: this.disk.epochs.currentEpoch },
      sessionIdBase(this.id, now),
      now,
    );
    this.member = m;
    this.observer.started(this.id, db.lastZxid);
    this.disk.log.onDurable = (count) => {
      if (count > 0) this.step((mm) => mm.durable(this.disk.log.records[count - 1]!.hdr.zxid, this.clock.now));
    };
    this.step((mm) => mm.start(this.clock.now, restarted));
    const every = Math.max(5, Math.floor(this.config.tickTime / 4));
    const tick = (): void => {
      this.step((mm) => mm.tick(this.clock.now));
      this.ticker = this.clock.after(every, tick);
    };
    this.ticker = this.clock.after(every, tick);
  }

  /** The member crashes: its machine (only what was durable stays), or with `processOnly` its process (what it wrote stays). */
  crash(processOnly = false): void {
    if (!this.member) return;
    const before = this.member.post();
    this.member = null;
    this.ticker?.cancel();
    this.ticker = null;
    this.disk.crash(processOnly);
    if (this.observer.step) {
      // what the member has after a crash: what stayed in its log, all durable now; delivered, only its snapshot
      const d = this.disk.log;
      const last = specZxid(d.durableCount > 0 ? d.records[d.durableCount - 1]!.hdr.zxid : this.disk.snapshotZxid);
      this.observer.step({
        action: 'Crash',
        srv: this.id,
        post: { ...before, state: 'LOOKING', zabState: 'DOWN', last, durable: last, committed: specZxid(this.disk.snapshotZxid) },
      });
    }
    this.disk.log.onDurable = () => {};
    this.clients.cutMember(this.id);
    this.peers.crashed(this.id);
    this.observer.role(this.id, 'LOOKING', 'ELECTION', -1);
  }

  restart(): void {
    this.restarts++;
    this.start(true);
  }

  /**
   * The member takes a snapshot of its own (spec: TakeSnapshot): of its
   * database as delivered, written to its disk and durable in the same step,
   * as a snapshot file written, synced and renamed into place. It restarts
   * from it; the log before it stays on the disk (ZooKeeper removes old logs
   * only when it purges), but is no longer read. False when it has none to
   * take now (nothing new delivered, or what was delivered not all durable).
   */
  takeSnapshot(): boolean {
    let taken = false;
    this.step((m) => {
      const db = m.takeSnapshot(this.clock.now);
      if (!db) return;
      // checked before it is written: what it holds must be durable in the log already
      this.observer.snapshotTaken(this.id, db.lastZxid);
      this.disk.snapshot = concat(encodeSnapshot(db));
      this.disk.snapshotZxid = db.lastZxid;
      taken = true;
    });
    return taken;
  }

  // ------------------------------------------------------------ inputs

  private step(input: (m: Member) => void): void {
    const m = this.member;
    if (!m) return;
    input(m);
    this.perform(m);
  }

  open(conn: ConnId, address: string): void {
    this.step((m) => m.frontend.open(conn, address));
  }

  connect(conn: ConnId, req: ConnectRequest): void {
    this.step((m) => m.frontend.connect(conn, req, this.clock.now));
  }

  request(conn: ConnId, xid: number, req: Request): void {
    this.step((m) => m.frontend.request(conn, xid, req, this.clock.now));
  }

  closed(conn: ConnId): void {
    this.member?.frontend.closed(conn);
  }

  onVote(from: ServerId, n: Notification): void {
    this.step((m) => m.receiveVote(from, n, this.clock.now));
  }

  onQuorumConnected(conn: number, peer: ServerId, accepted: boolean): void {
    this.step((m) => m.quorumConnected(conn, peer, this.clock.now, accepted));
  }

  onQuorumFailed(peer: ServerId): void {
    this.step((m) => m.quorumFailed(peer, this.clock.now));
  }

  onQuorumClosed(conn: number): void {
    this.step((m) => m.quorumClosed(conn, this.clock.now));
  }

  onPacket(conn: number, packet: QuorumPacket): void {
    this.step((m) => m.receive(conn, packet, this.clock.now));
  }

  // ------------------------------------------------------------ effects

  private perform(m: Member): void {
    for (;;) {
      const effects = m.ready();
      if (effects.length === 0) break;
      for (const e of effects) this.carryOut(m, e);
    }
    if (this.syncAsked) {
      this.syncAsked = false;
      this.disk.log.sync();
    }
  }

  private carryOut(m: Member, e: MemberEffect): void {
    switch (e.kind) {
      case 'reply':
      case 'notify':
      case 'connected':
      case 'close':
        this.clients.toClient(e.conn, detach(e));
        return;
      case 'persist':
        this.disk.log.append(e.txn);
        this.syncAsked = true;
        return;
      case 'truncate': {
        const keep = this.disk.log.records.findIndex((t) => t.hdr.zxid > e.zxid);
        if (keep >= 0) this.disk.log.truncate(keep);
        return;
      }
      case 'installSnapshot': {
        // written and made durable before anything else (the log restarts after it)
        const bytes = concat(encodeSnapshot(e.db));
        this.disk.snapshot = bytes;
        this.observer.installed(this.id, e.zxid);
        this.disk.snapshotZxid = e.zxid;
        this.disk.log.truncate(0);
        this.clock.after(0, () => this.step((mm) => mm === m && mm.durable(e.zxid, this.clock.now)));
        return;
      }
      case 'persistSessionKey':
        // written and made durable before the storage effects after it
        this.disk.sessionKey = e.key.slice();
        return;
      case 'persistEpoch':
        // durable in the step that wrote it (see PeerEffect)
        this.disk.epochs[e.file] = Math.max(this.disk.epochs[e.file], e.epoch);
        return;
      case 'sendVote':
        this.peers.sendVote(this.id, e.to, e.n);
        return;
      case 'connect':
        this.peers.connect(this.id, e.to);
        return;
      case 'send':
        this.peers.send(e.conn, this.id, copyPacket(e.packet));
        return;
      case 'disconnect':
        this.peers.disconnect(e.conn, this.id);
        return;
      case 'role':
        this.observer.role(this.id, e.state, e.phase, e.epoch);
        return;
      case 'deliver':
        this.observer.delivered(this.id, e.txn);
        return;
      case 'trace':
        this.observer.trace?.(this.id, e.action, e.fields);
        return;
      case 'step':
        this.observer.step?.(e.event);
        this.observer.trace?.(this.id, e.event.action, {});
        return;
    }
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** What crosses the wire is bytes: transactions and snapshots are copied as the real shell would encode them. */
function copyPacket(p: QuorumPacket): QuorumPacket {
  switch (p.type) {
    case 'PROPOSAL':
    case 'INFORM':
      return { ...p, txn: decodeTxn(encodeTxn(p.txn)) };
    case 'SNAP': {
      const db = decodeSnapshot(concat(encodeSnapshot(p.db)));
      if (db.lastZxid !== p.zxid) throw new Error(`SNAP of ${p.zxid} captured a database at ${db.lastZxid}`);
      return { ...p, db };
    }
    default:
      return p;
  }
}
