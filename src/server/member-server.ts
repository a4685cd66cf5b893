// An ensemble member: the Member core (src/core/zab) driven by real time,
// real disks and real TCP. Storage is opened and recovered first (the
// committed database, the log beyond it, the epoch files); then the member
// listens on its election and quorum ports and its client port, and looks
// for a leader. Clients are refused until it is synchronised.
//
// The driver carries out the core's effects in order. Those that change the
// log go through one queue: an append waits behind a truncation, a
// snapshot install or a key file write asked for before it; durability
// comes back to the core as `durable` once the disk says so. While an epoch
// file is being written, every effect after it waits: the packet that
// depends on the epoch goes out only once it is durable.
//
// With traceDir set, the member writes its trace there (./member-trace.ts):
// its steps are on file before the transport writes anything to a peer and
// before a connection is opened or closed (so no other member can have seen
// what a step did before the step is on file, even if this process is
// killed), and at least every tick otherwise; the transport reports every
// message, which goes on the line of the step that sent or took it.

import { promises as fsp } from 'node:fs';
import type { Database } from '../core/database.js';
import type { Frontend } from '../core/frontend.js';
import { sessionIdBase } from '../core/sessions.js';
import type { MemberEffect } from '../core/zab/effects.js';
import { LeaderRole } from '../core/zab/leader.js';
import { Member, type MemberConfig } from '../core/zab/member.js';
import type { Notification, QuorumPacket, ServerId } from '../core/zab/messages.js';
import { QuorumVerifier } from '../core/zab/quorum.js';
import { zxidHex } from '../core/zxid.js';
import type { ServerConfig } from './config.js';
import type { FourLetterSource } from './fourletter-context.js';
import type { ServerMode } from './fourletter.js';
import { recoverMember } from './member-recovery.js';
import { peerCheck } from './peer-codec.js';
import { PeerTransport, type PeerHandler } from './peer-transport.js';
import { ServerShell, coreSettings, openStorage, type ShellOptions } from './server-shell.js';
import { captureLeaderSnapshot, installLeaderSnapshot } from './snapshot-install.js';
import type { DirLock } from './storage/dirlock.js';
import type { EpochFiles } from './storage/epochs.js';
import { repairMarkPath } from './storage/repair.js';
import { loadSessionKey, storeSessionKey } from './storage/sessionkey.js';
import { MemberTraceFile } from './member-trace.js';
import type { TxnLog } from './storage/txnlog.js';

export type MemberServerOptions = ShellOptions<MemberServer>;

/** How often the driver gives the core the time: often enough for election timers. */
const TICK_MS = 20;

export class MemberServer extends ServerShell implements PeerHandler {
  readonly transport: PeerTransport;
  private ticker: NodeJS.Timeout | null = null;
  /** storage effects waiting behind a truncation, an install or a file write */
  private readonly storageQueue: Array<() => Promise<void> | void> = [];
  private storageBusy = false;
  /** effects waiting for an epoch file write to be durable (null: none is being written) */
  private held: MemberEffect[] | null = null;
  private lastRole = '';
  private electionStarted: number;
  private ticks = 0;

  private constructor(
    config: ServerConfig,
    readonly member: Member,
    txnLog: TxnLog,
    private readonly epochs: EpochFiles,
    locks: DirLock[],
    options: MemberServerOptions,
    private readonly traceFile: MemberTraceFile | null,
  ) {
    super(config, txnLog, locks, options, options.fourLetterWord ? (chunk, conn) => options.fourLetterWord!(chunk, this, conn) : null);
    this.electionStarted = this.startedAt;
    const members = config.servers.map((s) => ({ id: s.id, observer: s.type === 'observer' }));
    this.transport = new PeerTransport({
      myid: config.myid!,
      servers: config.servers,
      check: peerCheck(config.myid!, members),
      logger: this.log.child('peers'),
      handler: this,
      connectTimeoutMs: Math.max(1000, config.tickTime * config.initLimit),
      maxPacketBytes: 2 * config.juteMaxBuffer + 1024,
      ...(traceFile ? { wire: (dir: 'send' | 'recv', channel: string, n: number) => traceFile.wire(dir, channel, n), beforeWrite: () => traceFile.flush() } : {}),
    });
  }

  /** Recovers the member's storage, listens on its ports and looks for a leader. */
  static async start(config: ServerConfig, options: MemberServerOptions): Promise<MemberServer> {
    const log = options.logger;
    if (config.mode !== 'quorum' || config.myid === null) throw new Error('an ensemble member needs server.N lines and a myid');
    const { locks, txnLog } = await openStorage(config, log, options.preAllocSize);
    let server: MemberServer;
    let traceFile: MemberTraceFile | null = null;
    try {
      const sessionKey = await loadSessionKey(config.dataDir, log);
      const recovered = await recoverMember(config.dataDir, txnLog, log);
      const repaired = await exists(repairMarkPath(config.dataLogDir));
      if (repaired) {
        log.warn(
          `the log in ${config.dataLogDir} was repaired (${repairMarkPath(config.dataLogDir)}): this member votes in no election ` +
            `until a leader has synchronised it, since what it lost may have been committed`,
        );
      }
      const now = (options.clock ?? Date.now)();
      const voters = config.servers.filter((s) => s.type !== 'observer').map((s) => s.id);
      const observers = config.servers.filter((s) => s.type === 'observer').map((s) => s.id);
      if (config.traceDir !== null) {
        traceFile = MemberTraceFile.open(config.traceDir, config.myid, config.servers.map((s) => s.id), voters);
        log.info(`writing this member's trace to ${config.traceDir}`);
      }
      const memberConfig: MemberConfig = {
        myid: config.myid,
        quorum: new QuorumVerifier(voters, observers),
        tickTime: config.tickTime,
        initLimit: config.initLimit,
        syncLimit: config.syncLimit,
        finalizeWait: Math.min(200, Math.max(20, Math.floor(config.tickTime / 4))),
        minNotificationInterval: Math.min(200, config.tickTime),
        maxNotificationInterval: 60000,
        commitLogCount: config.commitLogCount,
        ...(traceFile ? { traceSteps: true } : {}),
        ...(repaired ? { repaired } : {}),
        ...coreSettings(config, sessionKey),
      };
      const member = new Member(memberConfig, recovered, sessionIdBase(config.myid, now), now);
      server = new MemberServer(config, member, txnLog, recovered.epochs, locks, options, traceFile);
    } catch (e) {
      traceFile?.close();
      await txnLog.close();
      for (const l of locks) await l.release();
      throw e;
    }
    try {
      await server.transport.listen();
      await server.port.listen();
    } catch (e) {
      await server.stop();
      throw e;
    }
    // a member trace that an earlier process wrote to: this start is the spec's Restart
    server.step((m) => m.start(server.clock(), traceFile?.restarted ?? false));
    server.ticker = setInterval(() => server.tick(), TICK_MS);
    server.startPurge();
    return server;
  }

  private tick(): void {
    if (this.failed) return;
    this.step((m) => m.tick(this.clock()));
    // what no message has carried out yet goes to the file at least this often
    this.traceFile?.flush();
    this.port.flushOutput();
    // the lock is checked about once a second
    if (++this.ticks % 50 === 0) this.checkLocks();
  }

  // ------------------------------------------------------------ FourLetterSource

  get db(): Database {
    return this.member.db;
  }

  get frontend(): Frontend {
    return this.member.frontend;
  }

  get expiries(): FourLetterSource['expiries'] {
    const tracker = this.member.role instanceof LeaderRole ? this.member.role.sessionTracker : null;
    const size = tracker ? tracker.size : this.member.db.sessions.size;
    return {
      size,
      entries: () => (tracker ? tracker.sessions.values() : []),
      expiresAt: (id) => tracker?.get(id)?.expiresAt,
    };
  }

  role(): ReturnType<FourLetterSource['role']> {
    const m = this.member;
    const mode: ServerMode = m.state === 'LEADING' ? 'leader' : m.state === 'OBSERVING' ? 'observer' : 'follower';
    const serving = m.frontend.serving;
    const peerState = `${m.state.toLowerCase()} - ${m.phase.toLowerCase()}`;
    const r = m.role;
    if (!(r instanceof LeaderRole)) return { serving, mode, peerState };
    const n = r.learnerCount;
    return {
      serving,
      mode,
      peerState,
      proposalSizes: this.transport.proposalSizes,
      monitorExtras: [
        ['learners', n.all],
        ['synced_followers', n.syncedFollowers],
        ['synced_non_voting_followers', 0],
        ['synced_observers', n.syncedObservers],
        ['pending_syncs', n.pendingSyncs],
        ['last_proposal_size', this.transport.proposalSizes.last],
        ['max_proposal_size', this.transport.proposalSizes.max],
        ['min_proposal_size', this.transport.proposalSizes.min],
      ],
    };
  }

  // ------------------------------------------------------------ inputs from the peers

  onVote(from: ServerId, n: Notification): void {
    this.step((m) => m.receiveVote(from, n, this.clock()));
  }

  onElectionConnected(peer: ServerId): void {
    this.step((m) => m.electionConnected(peer, this.clock()));
  }

  onQuorumConnected(conn: number, peer: ServerId, accepted: boolean): void {
    this.step((m) => m.quorumConnected(conn, peer, this.clock(), accepted));
  }

  onQuorumFailed(peer: ServerId): void {
    this.step((m) => m.quorumFailed(peer, this.clock()));
  }

  onQuorumClosed(conn: number): void {
    this.step((m) => m.quorumClosed(conn, this.clock()));
  }

  onPacket(conn: number, packet: QuorumPacket): void {
    this.step((m) => m.receive(conn, packet, this.clock()));
  }

  // ------------------------------------------------------------ effects

  private step(input: (m: Member) => void): void {
    if (this.failed) return;
    input(this.member);
    this.perform();
  }

  protected perform(): void {
    if (this.failed) return;
    const effects = this.member.ready();
    const trace = this.traceFile;
    if (trace) for (const e of effects) if (e.kind === 'step') trace.step(e.event);
    for (const e of effects) {
      if (this.held !== null) this.held.push(e);
      else this.carryOut(e);
    }
  }

  protected durable(zxid: number): void {
    this.step((m) => m.durable(zxid, this.clock()));
    this.port.flushOutput();
  }

  /** The member's own snapshots are its core's step (TakeSnapshot), which says when one can be taken. */
  protected override snapshotDatabase(): Database | null {
    let db: Database | null = null;
    this.step((m) => (db = m.takeSnapshot(this.clock())));
    return db;
  }

  protected async stopDriver(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await this.transport.close();
    this.traceFile?.close();
  }

  private carryOut(e: MemberEffect): void {
    switch (e.kind) {
      case 'reply':
      case 'notify':
      case 'connected':
      case 'close':
        this.port.deliver(e);
        return;
      case 'persist': {
        const txn = e.txn;
        this.storage(() => this.pipeline.append(txn));
        return;
      }
      case 'truncate': {
        const zxid = e.zxid;
        this.storage(async () => {
          await this.pipeline.truncate(zxid);
          this.log.info(`truncated the log after zxid ${zxidHex(zxid)}, as the leader asked`);
        });
        return;
      }
      case 'installSnapshot': {
        const zxid = e.zxid;
        // captured now: the member applies what follows the SNAP before the disk gets to it
        const encoder = captureLeaderSnapshot(e.db, zxid);
        this.pipeline.holdSnapshots = true;
        // the core counts the snapshot durable from this step on (an ack of NEWLEADER may follow at
        // once): what it asks after this waits until the snapshot is on disk
        this.holdEffectsUntil(
          new Promise<void>((resolve, reject) =>
            this.storage(async () => {
              try {
                await this.pipeline.snapshotDone();
                await installLeaderSnapshot(this.config.dataDir, this.pipeline.txnLog, encoder, zxid, this.log);
                resolve();
              } catch (err) {
                reject(err as Error);
                throw err;
              } finally {
                encoder.close();
                this.pipeline.holdSnapshots = false;
              }
            }),
          ),
        );
        return;
      }
      case 'persistEpoch':
        // durable before the effects after it (the packet that depends on it) are carried out: they wait
        this.holdEffectsUntil(this.epochs.write(e.file, e.epoch).then(() => {}));
        return;
      case 'persistSessionKey': {
        const key = e.key;
        this.storage(() => storeSessionKey(this.config.dataDir, key, this.log));
        return;
      }
      case 'sendVote':
        this.transport.sendVote(e.to, e.n);
        return;
      case 'connect':
        this.traceFile?.flush();
        this.transport.connect(e.to);
        return;
      case 'send':
        this.transport.send(e.conn, e.packet);
        return;
      case 'disconnect':
        this.traceFile?.flush();
        this.transport.disconnect(e.conn);
        return;
      case 'role':
        this.announce(e.state, e.phase, e.leader, e.epoch, e.sync);
        return;
      case 'repairSettled':
        this.storage(async () => {
          await fsp.rm(repairMarkPath(this.config.dataLogDir), { force: true });
          this.log.info('synchronised by a leader after its log was repaired: this member votes again');
        });
        return;
      case 'deliver':
      case 'step':
      case 'trace':
        return;
    }
  }

  private announce(state: string, phase: string, leader: ServerId | null, epoch: number, sync?: string): void {
    const now = this.clock();
    if (state === 'LOOKING') {
      if (this.lastRole !== 'LOOKING') this.electionStarted = now;
      this.log.info(`LOOKING: looking for a leader (last logged zxid ${zxidHex(this.member.lastLogged)}, current epoch ${this.member.currentEpoch})`);
    } else if (phase === 'BROADCAST') {
      const with_ = leader !== null && leader !== this.member.myid ? `, leader ${leader}${sync ? `, synchronised by ${sync}` : ''}` : '';
      this.log.info(`${state} in epoch ${epoch}${with_}: serving clients ${now - this.electionStarted} ms after the election began`);
    } else {
      this.log.info(`${state} ${phase.toLowerCase()}${leader !== null && leader !== this.member.myid ? ` with leader ${leader}` : ''}`);
    }
    this.lastRole = state;
  }

  /** Holds the effects that come after this one until `done`; then carries them out (a later hold holds the rest in turn). */
  private holdEffectsUntil(done: Promise<void>): void {
    const held: MemberEffect[] = [];
    this.held = held;
    done.then(
      () => {
        if (this.held !== held) return;
        this.held = null;
        for (let i = 0; i < held.length && !this.failed; i++) {
          this.carryOut(held[i]!);
          const again = this.held as MemberEffect[] | null;
          if (again !== null) {
            again.push(...held.slice(i + 1));
            return;
          }
        }
        this.port.flushOutput();
      },
      (err: Error) => this.fatal(err.message),
    );
  }

  /** Runs a storage step in order: at once when nothing waits, else after what is ahead of it. */
  private storage(op: () => Promise<void> | void): void {
    if (!this.storageBusy && this.storageQueue.length === 0) {
      const r = op();
      if (r instanceof Promise) this.wait(r);
      return;
    }
    this.storageQueue.push(op);
  }

  private wait(p: Promise<void>): void {
    this.storageBusy = true;
    p.then(
      () => {
        this.storageBusy = false;
        while (!this.storageBusy && this.storageQueue.length > 0 && !this.failed) {
          const r = this.storageQueue.shift()!();
          if (r instanceof Promise) this.wait(r);
        }
      },
      (e: Error) => this.fatal(`storage: ${e.message}`),
    );
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
