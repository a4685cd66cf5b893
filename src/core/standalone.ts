// The standalone write path: prep → log (the shell appends and fsyncs, group
// commit) → apply → reply. In an ensemble, Zab takes the place of the local
// log between prep and apply; the Replica that applies is the same.
//
// Effects come out as data (`ready()`): replies and the rest for clients,
// and `persist` for each transaction, which the shell reports back with
// `durable(zxid)` once it is on disk. Nothing is applied or answered before
// that.

import type { Id, Request } from '../wire/protocol.js';
import { OpCode } from '../wire/protocol.js';
import type { Database } from './database.js';
import { type ClientEffect, Outbox, type PersistEffect } from './effects.js';
import type { Frontend, FrontendConfig, SessionAuthority, WritePath } from './frontend.js';
import { type ContainerConfig, containerBudget, containerCandidates } from './containers.js';
import { invariant } from './invariant.js';
import { Prep, type PrepOptions } from './prep.js';
import { Replica } from './replica.js';
import { SessionTracker } from './sessions.js';
import type { Txn } from './txn.js';

export type StandaloneEffect = ClientEffect | PersistEffect;

export interface StandaloneConfig extends FrontendConfig, PrepOptions, ContainerConfig {}

export class StandaloneCore implements WritePath, SessionAuthority {
  readonly tracker: SessionTracker;
  readonly prep: Prep;
  readonly replica: Replica;
  private readonly out = new Outbox<StandaloneEffect>();
  private readonly pending: Array<Txn | undefined> = [];
  private pendingHead = 0;
  private nextContainerCheck = 0;

  constructor(
    readonly db: Database,
    private readonly config: StandaloneConfig,
    sessionIdBase: bigint,
    now: number,
  ) {
    db.tree.values.deferReleases = true;
    this.tracker = new SessionTracker(sessionIdBase);
    for (const [id, timeout] of db.sessions) this.tracker.add(id, timeout, now);
    this.prep = new Prep(db.tree, config);
    this.replica = new Replica(db, this, this, this.out, config);
    this.nextContainerCheck = now + config.containerCheckIntervalMs;
  }

  get frontend(): Frontend {
    return this.replica.frontend;
  }

  /**
   * The effects of every input since the last call, oldest first. Node data
   * in them are views of the tree's values, valid until the next input: the
   * shell sends or copies them before it gives the core anything else.
   */
  ready(): StandaloneEffect[] {
    this.db.tree.values.settle();
    return this.out.take();
  }

  /** Transactions handed to the log and not yet applied. */
  get inFlight(): number {
    return this.pending.length - this.pendingHead;
  }

  // ------------------------------------------------------------ WritePath

  write(sessionId: bigint, cxid: number, req: Request, ids: readonly Id[], now: number): void {
    this.submit(this.prep.write(sessionId, cxid, req, ids, now));
  }

  createSession(sessionId: bigint, timeout: number, now: number): void {
    this.tracker.add(sessionId, timeout, now);
    this.submit(this.prep.createSession(sessionId, timeout, now));
  }

  closeSession(sessionId: bigint, cxid: number, now: number): void {
    this.tracker.setClosing(sessionId);
    this.submit(this.prep.closeSession(sessionId, cxid, now));
  }

  sync(sessionId: bigint): void {
    this.frontend.synced(sessionId, this.prep.lastZxid);
  }

  private submit(txn: Txn): void {
    this.pending.push(txn);
    this.out.push({ kind: 'persist', txn });
  }

  // ------------------------------------------------------------ SessionAuthority

  newSessionId(): bigint {
    return this.tracker.nextId();
  }

  touch(sessionId: bigint, now: number): boolean {
    return this.tracker.touch(sessionId, now);
  }

  revalidate(sessionId: bigint, timeout: number, now: number): void {
    this.frontend.revalidated(sessionId, this.tracker.touch(sessionId, now, timeout));
  }

  // ------------------------------------------------------------ inputs

  /** Every transaction up to `zxid` is on disk: apply them in order and answer. */
  durable(zxid: number): void {
    invariant(zxid <= this.prep.lastZxid, () => `durable up to 0x${zxid.toString(16)}, beyond the last transaction logged`);
    let applied = false;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.hdr.zxid <= zxid) {
      const txn = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = undefined;
      this.replica.apply(txn);
      this.prep.applied(txn.hdr.zxid);
      if (txn.hdr.type === OpCode.closeSession) this.tracker.remove(txn.hdr.sessionId);
      applied = true;
    }
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    }
    if (applied) this.replica.caughtUp();
  }

  /** Time passes: expire sessions, remove empty containers and expired TTL nodes. */
  tick(now: number): void {
    for (const s of this.tracker.expire(now)) {
      this.submit(this.prep.closeSession(s.id, 0, now));
    }
    if (now >= this.nextContainerCheck) {
      this.nextContainerCheck = now + this.config.containerCheckIntervalMs;
      let budget = containerBudget(this.config);
      for (const path of this.containerCandidates(now)) {
        if (budget-- <= 0) break;
        this.submit(this.prep.deleteContainer(path, now));
      }
    }
  }

  /** Containers that had children and have none left; TTL nodes without children past their TTL. */
  containerCandidates(now: number): string[] {
    return containerCandidates(this.db.tree, now, this.config);
  }
}
