// The client-facing side of a server: connections and the sessions they
// carry, the handshake, per-session ordering of replies, reads served from
// the tree, watch registration and delivery, and the replies to writes once
// their transactions are applied. Writes and syncs leave through a WritePath
// (the local log when standalone, Zab in an ensemble) and come back through
// `applied` and `synced`; whether a session is alive is the business of a
// SessionAuthority (the server's own tracker when standalone or leading, the
// leader's through Zab when following). Effects go to an outbox, as data.

import {
  type ConnectRequest,
  type ConnectResponse,
  type Id,
  type OpResult,
  type Request,
  type Response,
  type WatcherEvent,
  ErrorCode,
  EventType,
  KeeperState,
  OpCode,
  Perms,
  WatcherType,
  AddWatchMode,
} from '../wire/protocol.js';
import { permits, redactDigests, userOf } from './acl.js';
import type { ApplyResult, Database } from './database.js';
import type { ClientEffect, ConnId, Sink } from './effects.js';
import { isValidPath } from './path.js';
import { writeResponse } from './replies.js';
import { samePassword, sessionPassword } from './sessions.js';
import { type TreeEvent, statOf } from './tree.js';
import type { Txn } from './txn.js';
import { Mode } from './watches.js';

export type { ConnId } from './effects.js';

/**
 * Where writes go. Their transactions come back through `Frontend.applied`
 * (in zxid order, on every member); a sync's point comes back through
 * `Frontend.synced`.
 */
export interface WritePath {
  write(sessionId: bigint, cxid: number, req: Request, ids: readonly Id[], now: number): void;
  /** A new session: established when its createSession transaction is applied. */
  createSession(sessionId: bigint, timeout: number, now: number): void;
  /** The client closes its session; the session takes no more requests. */
  closeSession(sessionId: bigint, cxid: number, now: number): void;
  /**
   * A sync: the write path answers with `Frontend.synced(sessionId, zxid)`
   * once it knows the zxid that every write accepted before it has (at once
   * when it prepares writes itself; after a round trip to the leader when
   * following). The reply waits until that zxid is applied here.
   */
  sync(sessionId: bigint, now: number): void;
}

/** Who decides whether a session lives. */
export interface SessionAuthority {
  /** A fresh session id for a new session made here. */
  newSessionId(): bigint;
  /** Client activity: false when the session is unknown here or closing. */
  touch(sessionId: bigint, now: number): boolean;
  /**
   * A client re-attaches (its password already checked): is the session
   * alive? The answer comes through `Frontend.revalidated` — at once from a
   * tracker of its own, after a round trip from a follower.
   */
  revalidate(sessionId: bigint, timeout: number, now: number): void;
}

export interface FrontendConfig {
  minSessionTimeout: number;
  maxSessionTimeout: number;
  /** The secret that session passwords are derived with (see `sessionPassword`). */
  sessionKey: Uint8Array;
}

type ConnState = 'handshake' | 'creating' | 'revalidating' | 'open' | 'closing';

interface Pending {
  xid: number;
  type: number;
  req: Request | null;
  /** write: waits for its transaction; sync: waits for a zxid; read: runs when at the head */
  wait: 'write' | 'sync' | 'read';
  /** write: its transaction's zxid once applied; sync: the zxid it waits for (SYNC_UNKNOWN until the write path says) */
  zxid: number;
  result: ApplyResult | null;
  err: number;
  /** close the connection once this is answered (ZooKeeper does so after Unimplemented) */
  closeAfter?: string;
}

export interface Conn {
  readonly id: ConnId;
  state: ConnState;
  sessionId: bigint;
  timeout: number;
  /** the client sent the long handshake (with readOnly): the answer carries it too */
  longForm: boolean;
  ids: Id[];
  queue: Pending[];
  head: number;
  /** requests that arrived before the session existed */
  early: Array<{ xid: number; req: Request; now: number } | { xid: number; type: number; err: number; closeReason: string | undefined }>;
  lastZxid: number;
}

/** A sync whose point the write path has not given yet. */
const SYNC_UNKNOWN = -1;

export class Frontend {
  readonly conns = new Map<ConnId, Conn>();
  private readonly bySession = new Map<bigint, Conn>();
  /** why new sessions are refused (null while serving) */
  private notServing: string | null = null;

  constructor(
    private readonly db: Database,
    private readonly sessions: SessionAuthority,
    private readonly writes: WritePath,
    private readonly out: Sink<ClientEffect>,
    private readonly config: FrontendConfig,
  ) {
    db.tree.onEvent((e) => this.deliver(e));
  }

  connOf(sessionId: bigint): Conn | undefined {
    return this.bySession.get(sessionId);
  }

  private reply(conn: ConnId, xid: number, zxid: number, err: number, type: number, response: Response | undefined): void {
    this.out.push({ kind: 'reply', conn, xid, zxid, err, type, response });
  }

  private notify(conn: ConnId, event: WatcherEvent, zxid: number): void {
    this.out.push({ kind: 'notify', conn, event, zxid });
  }

  /** Closes `c` after what it was sent; it takes nothing more. */
  private close(c: Conn, reason: string): void {
    c.state = 'closing';
    this.out.push({ kind: 'close', conn: c.id, reason });
  }

  // ------------------------------------------------------------ serving

  get serving(): boolean {
    return this.notServing === null;
  }

  /** Sessions are served again (a standalone server always; a member once synchronised). */
  serve(): void {
    this.notServing = null;
  }

  /**
   * Stops serving: every connection is closed, with whatever it waited for
   * (writes whose transactions may never commit, syncs, re-attachments);
   * its client reconnects, to this member once it serves again or to
   * another, as with ZooKeeper when a member loses its leader. Sessions
   * live on; their fate is the leader's. New connections are refused until
   * `serve`.
   */
  abandon(reason: string): void {
    this.notServing = reason;
    for (const c of this.conns.values()) if (c.state !== 'closing') this.close(c, reason);
  }

  // ------------------------------------------------------------ connections

  /** A client connected from `address` (its `ip` identity). */
  open(conn: ConnId, address: string): void {
    this.conns.set(conn, {
      id: conn,
      state: 'handshake',
      sessionId: 0n,
      timeout: 0,
      longForm: false,
      ids: [{ scheme: 'ip', id: address }],
      queue: [],
      head: 0,
      early: [],
      lastZxid: 0,
    });
  }

  /** The connection is gone: its watches go with it; its session lives on until it expires. */
  closed(conn: ConnId): void {
    const c = this.conns.get(conn);
    if (!c) return;
    this.conns.delete(conn);
    this.db.tree.watches.removeWatcher(conn);
    if (c.sessionId !== 0n && this.bySession.get(c.sessionId) === c) this.bySession.delete(c.sessionId);
  }

  /** The handshake: a new session, or an existing one re-attached with its password. */
  connect(conn: ConnId, req: ConnectRequest, now: number): void {
    const c = this.conns.get(conn);
    if (!c || c.state !== 'handshake') return;
    if (this.notServing !== null) {
      this.close(c, `not serving: ${this.notServing}`);
      return;
    }
    c.longForm = req.readOnly !== undefined;
    const last = this.db.lastZxid;
    if (req.lastZxidSeen > last) {
      this.close(
        c,
        `refusing session request: the client has seen zxid 0x${req.lastZxidSeen.toString(16)}, ` +
          `our last zxid is 0x${last.toString(16)}; the client must try another server`,
      );
      return;
    }
    const timeout = Math.min(Math.max(req.timeOut, this.config.minSessionTimeout), this.config.maxSessionTimeout);
    c.timeout = timeout;
    if (req.sessionId === 0n) {
      const id = this.sessions.newSessionId();
      c.sessionId = id;
      c.state = 'creating';
      this.bySession.set(id, c);
      this.writes.createSession(id, timeout, now);
      return;
    }
    const id = req.sessionId;
    c.sessionId = id;
    if (!samePassword(req.passwd, sessionPassword(id, this.config.sessionKey))) {
      this.refuseSession(c);
      return;
    }
    c.state = 'revalidating';
    this.sessions.revalidate(id, timeout, now);
  }

  /**
   * The answer to `SessionAuthority.revalidate`: every connection waiting to
   * re-attach `sessionId` is established, or told its session is gone.
   */
  revalidated(sessionId: bigint, alive: boolean): void {
    for (const c of this.conns.values()) {
      if (c.state !== 'revalidating' || c.sessionId !== sessionId) continue;
      if (!alive) {
        this.refuseSession(c);
        continue;
      }
      const old = this.bySession.get(sessionId);
      if (old && old !== c) {
        this.close(old, `session 0x${BigInt.asUintN(64, sessionId).toString(16)} moved to another connection`);
        this.closed(old.id);
      }
      this.bySession.set(sessionId, c);
      this.established(c);
    }
  }

  private refuseSession(c: Conn): void {
    const id = c.sessionId;
    this.out.push({ kind: 'connected', conn: c.id, response: this.answer(c, 0n, 0) });
    c.sessionId = 0n;
    this.close(c, `session 0x${BigInt.asUintN(64, id).toString(16)} is expired or its password does not match`);
  }

  private answer(c: Conn, sessionId: bigint, timeout: number): ConnectResponse {
    const r: ConnectResponse = {
      protocolVersion: 0,
      timeOut: timeout,
      sessionId,
      passwd: sessionId === 0n ? new Uint8Array(16) : sessionPassword(sessionId, this.config.sessionKey),
    };
    if (c.longForm) r.readOnly = false;
    return r;
  }

  private established(c: Conn): void {
    c.state = 'open';
    this.out.push({ kind: 'connected', conn: c.id, response: this.answer(c, c.sessionId, c.timeout) });
    const early = c.early;
    c.early = [];
    for (const e of early) {
      if ('req' in e) this.request(c.id, e.xid, e.req, e.now);
      else this.reject(c.id, e.xid, e.type, e.err, e.closeReason);
    }
  }

  /** A connection authenticated as `id` (digest ids are computed by the shell). */
  addAuth(conn: ConnId, id: Id): void {
    const c = this.conns.get(conn);
    if (!c) return;
    if (!c.ids.some((x) => x.scheme === id.scheme && x.id === id.id)) c.ids.push(id);
  }

  // ------------------------------------------------------------ requests

  /** A request on an established (or establishing) connection, at time `now`. */
  request(conn: ConnId, xid: number, req: Request, now: number): void {
    const c = this.conns.get(conn);
    if (!c) return;
    if (c.state === 'creating' || c.state === 'revalidating') {
      c.early.push({ xid, req, now });
      return;
    }
    if (c.state !== 'open') return;
    const sessionId = c.sessionId;
    const alive = this.sessions.touch(sessionId, now);
    const type = req.type;
    if (!alive) {
      this.enqueue(c, { xid, type, req, wait: 'read', zxid: 0, result: null, err: ErrorCode.SessionExpired });
      return;
    }
    switch (type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createTTL:
      case OpCode.createContainer:
      case OpCode.delete:
      case OpCode.deleteContainer:
      case OpCode.setData:
      case OpCode.setACL:
      case OpCode.multi:
      case OpCode.reconfig:
        c.queue.push({ xid, type, req, wait: 'write', zxid: 0, result: null, err: 0 });
        this.writes.write(sessionId, xid, req, c.ids, now);
        return;
      case OpCode.closeSession:
        c.queue.push({ xid, type, req, wait: 'write', zxid: 0, result: null, err: 0 });
        this.writes.closeSession(sessionId, xid, now);
        return;
      case OpCode.sync:
        c.queue.push({ xid, type, req, wait: 'sync', zxid: SYNC_UNKNOWN, result: null, err: 0 });
        this.writes.sync(sessionId, now);
        return;
      case OpCode.check:
        // valid inside a multi, but not a request ZooKeeper serves on its own
        this.reject(conn, xid, type, ErrorCode.Unimplemented, `request type ${type} is not served`);
        return;
      default:
        this.enqueue(c, { xid, type, req, wait: 'read', zxid: 0, result: null, err: 0 });
    }
  }

  /**
   * A request that cannot be served (it did not parse, or its opcode is
   * unknown): answered with `err`, in order; with `closeReason` the
   * connection is closed after the answer, as ZooKeeper does after
   * Unimplemented.
   */
  reject(conn: ConnId, xid: number, type: number, err: number, closeReason?: string): void {
    const c = this.conns.get(conn);
    if (!c) return;
    if (c.state === 'creating' || c.state === 'revalidating') {
      c.early.push({ xid, type, err, closeReason });
      return;
    }
    if (c.state !== 'open') return;
    const p: Pending = { xid, type, req: null, wait: 'read', zxid: 0, result: null, err };
    if (closeReason !== undefined) p.closeAfter = closeReason;
    this.enqueue(c, p);
  }

  /** Runs `p` now when nothing of its session is ahead of it, else queues it. */
  private enqueue(c: Conn, p: Pending): void {
    if (c.head === c.queue.length) {
      this.finish(c, p);
      return;
    }
    c.queue.push(p);
  }

  private drain(c: Conn): void {
    const q = c.queue;
    while (c.head < q.length) {
      const p = q[c.head]!;
      if (p.wait === 'write' && p.result === null) break;
      if (p.wait === 'sync' && (p.zxid === SYNC_UNKNOWN || this.db.lastZxid < p.zxid)) break;
      c.head++;
      this.finish(c, p);
      if (c.state !== 'open') return;
    }
    if (c.head === q.length) {
      q.length = 0;
      c.head = 0;
    }
  }

  private finish(c: Conn, p: Pending): void {
    const zxid = this.db.lastZxid;
    if (p.err !== 0) {
      this.reply(c.id, p.xid, zxid, p.err, p.type, undefined);
      if (p.closeAfter !== undefined) this.close(c, p.closeAfter);
      return;
    }
    if (p.wait === 'write') {
      const r = p.result!;
      if (r.err !== 0) this.reply(c.id, p.xid, p.zxid, r.err, p.type, undefined);
      else this.reply(c.id, p.xid, p.zxid, 0, p.type, writeResponse(p.type, r));
      if (p.type === OpCode.closeSession) {
        this.close(c, `session 0x${BigInt.asUintN(64, c.sessionId).toString(16)} closed by the client`);
      }
      return;
    }
    if (p.wait === 'sync') {
      this.reply(c.id, p.xid, zxid, 0, p.type, { kind: 'path', path: (p.req as { path: string }).path });
      return;
    }
    const { err, response } = this.read(c, p.req!);
    this.reply(c.id, p.xid, zxid, err, p.type, err === 0 ? response : undefined);
  }

  /**
   * The point of the oldest sync of `sessionId` still without one: its
   * reply goes out once every transaction up to `zxid` is applied here.
   */
  synced(sessionId: bigint, zxid: number): void {
    const c = this.bySession.get(sessionId);
    if (!c) return;
    for (let i = c.head; i < c.queue.length; i++) {
      const p = c.queue[i]!;
      if (p.wait === 'sync' && p.zxid === SYNC_UNKNOWN) {
        p.zxid = zxid;
        this.drain(c);
        return;
      }
    }
  }

  // ------------------------------------------------------------ reads

  private read(c: Conn, req: Request): { err: number; response?: Response } {
    const tree = this.db.tree;
    switch (req.type) {
      case OpCode.ping:
        return { err: 0 };
      case OpCode.exists: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        const n = tree.get(req.path);
        if (n && !permits(tree.aclOf(n), Perms.READ, c.ids)) return { err: ErrorCode.NoAuth };
        if (req.watch) tree.watches.data.add(req.path, c.id, Mode.STANDARD);
        if (!n) return { err: ErrorCode.NoNode };
        return { err: 0, response: { kind: 'stat', stat: statOf(n) } };
      }
      case OpCode.getData: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        const n = tree.get(req.path);
        if (!n) return { err: ErrorCode.NoNode };
        if (!permits(tree.aclOf(n), Perms.READ, c.ids)) return { err: ErrorCode.NoAuth };
        if (req.watch) tree.watches.data.add(req.path, c.id, Mode.STANDARD);
        return { err: 0, response: { kind: 'data', data: n.data, stat: statOf(n) } };
      }
      case OpCode.getChildren:
      case OpCode.getChildren2: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        const n = tree.get(req.path);
        if (!n) return { err: ErrorCode.NoNode };
        if (!permits(tree.aclOf(n), Perms.READ, c.ids)) return { err: ErrorCode.NoAuth };
        if (req.watch) tree.watches.child.add(req.path, c.id, Mode.STANDARD);
        const children = n.children === null ? [] : [...n.children];
        return {
          err: 0,
          response:
            req.type === OpCode.getChildren ? { kind: 'children', children } : { kind: 'children2', children, stat: statOf(n) },
        };
      }
      case OpCode.getACL: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        const n = tree.get(req.path);
        if (!n) return { err: ErrorCode.NoNode };
        const acl = tree.aclOf(n);
        if (!permits(acl, Perms.READ | Perms.ADMIN, c.ids)) return { err: ErrorCode.NoAuth };
        const shown = permits(acl, Perms.ADMIN, c.ids) ? acl : redactDigests(acl);
        return { err: 0, response: { kind: 'acl', acl: shown, stat: statOf(n) } };
      }
      case OpCode.getAllChildrenNumber: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        const n = tree.get(req.path);
        if (!n) return { err: ErrorCode.NoNode };
        if (!permits(tree.aclOf(n), Perms.READ, c.ids)) return { err: ErrorCode.NoAuth };
        return { err: 0, response: { kind: 'count', totalNumber: tree.countDescendants(req.path) } };
      }
      case OpCode.getEphemerals: {
        const owned = tree.ephemerals.get(c.sessionId);
        const prefix = req.prefixPath.trim();
        const all = owned ? [...owned] : [];
        const ephemerals = prefix === '' || prefix === '/' ? all : all.filter((p) => p.startsWith(req.prefixPath));
        return { err: 0, response: { kind: 'ephemerals', ephemerals } };
      }
      case OpCode.multiRead: {
        const results: OpResult[] = req.ops.map((op) => {
          if (op.type !== OpCode.getChildren && op.type !== OpCode.getData) return { type: OpCode.error, err: ErrorCode.BadArguments };
          const r = this.read(c, op);
          if (r.err !== 0) return { type: OpCode.error, err: r.err };
          const resp = r.response!;
          if (resp.kind === 'children') return { type: OpCode.getChildren, children: resp.children };
          if (resp.kind === 'data') return { type: OpCode.getData, data: resp.data, stat: resp.stat };
          return { type: OpCode.error, err: ErrorCode.SystemError };
        });
        return { err: 0, response: { kind: 'multi', results } };
      }
      case OpCode.setWatches:
      case OpCode.setWatches2:
        this.setWatches(c, req.relativeZxid, req);
        return { err: 0 };
      case OpCode.addWatch: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        if (req.mode !== AddWatchMode.Persistent && req.mode !== AddWatchMode.PersistentRecursive) {
          return { err: ErrorCode.BadArguments };
        }
        tree.watches.addPersistent(req.path, c.id, req.mode);
        return { err: 0, response: { kind: 'error', err: 0 } };
      }
      case OpCode.checkWatches:
      case OpCode.removeWatches: {
        if (!isValidPath(req.path)) return { err: ErrorCode.BadArguments };
        if (req.watcherType < WatcherType.Children || req.watcherType > WatcherType.PersistentRecursive) {
          return { err: ErrorCode.BadArguments };
        }
        const ok =
          req.type === OpCode.checkWatches
            ? tree.watches.contains(req.path, c.id, req.watcherType)
            : tree.watches.remove(req.path, c.id, req.watcherType);
        return { err: ok ? 0 : ErrorCode.NoWatcher };
      }
      case OpCode.whoAmI:
        return {
          err: 0,
          response: { kind: 'whoAmI', clientInfo: c.ids.map((id) => ({ authScheme: id.scheme, user: userOf(id) })) },
        };
      case OpCode.sasl:
        return { err: ErrorCode.AuthFailed };
      default:
        return { err: ErrorCode.Unimplemented };
    }
  }

  /**
   * Re-registers the watches of a reconnecting client; a change it missed
   * since `relativeZxid` fires at once instead.
   */
  private setWatches(
    c: Conn,
    relativeZxid: number,
    req: { dataWatches: string[]; existWatches: string[]; childWatches: string[]; persistentWatches: string[]; persistentRecursiveWatches: string[] },
  ): void {
    const tree = this.db.tree;
    const fire = (type: number, path: string): void =>
      this.notify(c.id, { type, state: KeeperState.SyncConnected, path }, -1);
    for (const path of req.dataWatches) {
      const n = tree.get(path);
      if (!n) fire(EventType.NodeDeleted, path);
      else if (n.mzxid > relativeZxid) fire(EventType.NodeDataChanged, path);
      else tree.watches.data.add(path, c.id, Mode.STANDARD);
    }
    for (const path of req.existWatches) {
      if (tree.get(path)) fire(EventType.NodeCreated, path);
      else tree.watches.data.add(path, c.id, Mode.STANDARD);
    }
    for (const path of req.childWatches) {
      const n = tree.get(path);
      if (!n) fire(EventType.NodeDeleted, path);
      else if (n.pzxid > relativeZxid) fire(EventType.NodeChildrenChanged, path);
      else tree.watches.child.add(path, c.id, Mode.STANDARD);
    }
    for (const path of req.persistentWatches) tree.watches.addPersistent(path, c.id, AddWatchMode.Persistent);
    for (const path of req.persistentRecursiveWatches) tree.watches.addPersistent(path, c.id, AddWatchMode.PersistentRecursive);
  }

  private deliver(e: TreeEvent): void {
    for (const w of e.watchers) {
      const c = this.conns.get(w);
      if (!c || c.state !== 'open') continue;
      if (!permits(e.acl, Perms.READ, c.ids)) continue;
      this.notify(w, { type: e.type, state: KeeperState.SyncConnected, path: e.path }, e.zxid);
    }
  }

  // ------------------------------------------------------------ applied writes

  /** A transaction was applied: answer the request it came from, if its client is here. */
  applied(txn: Txn, result: ApplyResult): void {
    const { hdr } = txn;
    const c = this.bySession.get(hdr.sessionId);
    if (hdr.type === OpCode.createSession) {
      if (c && c.state === 'creating') this.established(c);
      return;
    }
    if (hdr.type === OpCode.closeSession) {
      if (!c) return;
      const p = this.awaiting(c);
      if (p && p.type === OpCode.closeSession && p.xid === hdr.cxid) {
        p.result = result;
        p.zxid = hdr.zxid;
        this.drain(c);
      } else {
        // the session expired: its client is told by the closed connection
        this.close(c, `session 0x${BigInt.asUintN(64, hdr.sessionId).toString(16)} expired`);
      }
      this.bySession.delete(hdr.sessionId);
      return;
    }
    if (c) {
      const p = this.awaiting(c);
      if (p && p.xid === hdr.cxid) {
        p.result = result;
        p.zxid = hdr.zxid;
      }
      this.drain(c);
    }
  }

  /** The oldest write of a connection still waiting for its transaction (they complete in order). */
  private awaiting(c: Conn): Pending | undefined {
    for (let i = c.head; i < c.queue.length; i++) {
      const p = c.queue[i]!;
      if (p.wait === 'write' && p.result === null) return p;
    }
    return undefined;
  }

  /** After a batch of transactions: syncs waiting on the new zxid can answer. */
  advanced(): void {
    for (const c of this.bySession.values()) if (c.head < c.queue.length) this.drain(c);
  }
}
