// A promise-based ZooKeeper client over TCP, built on the jute codec.
//
// - Connect handshake (long form, with the readOnly flag), session id and
//   password, negotiated timeout; pings every third of the negotiated
//   timeout; the connection is dropped when nothing was heard for two thirds.
// - Requests are pipelined: each gets the next xid, frames written in the
//   same tick go out in one socket write, and replies must come back in
//   order (as ZooKeeper guarantees); an out-of-order reply drops the
//   connection, as ZooKeeper's own client does.
// - Watch notifications and session state changes are delivered as
//   WatchedEvents ('watch' and 'state' events, and the `watcher` option).
// - On connection loss, requests in flight fail with ConnectionLoss and the
//   client reconnects (next host of the connect string, same session),
//   re-sends its credentials and sets its watches again (setWatches /
//   setWatches2 from the last zxid seen). Requests made while reconnecting
//   wait and go out once connected. If no server can be reached within the
//   session timeout, or the server reports the session expired, the client
//   ends in state CLOSED and everything fails with SessionExpired.
// - Not supported: chroot suffixes in the connect string, SASL, looking for
//   a read-write server while connected to a read-only one.

import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { FrameDecoder } from '../wire/frame.js';
import { JuteReader, JuteWriter, UnknownOpcodeError } from '../wire/jute.js';
import {
  CreateMode,
  DEFAULT_JUTE_MAXBUFFER,
  ErrorCode,
  EventType,
  KeeperState,
  OpCode,
  Perms,
  Xid,
  type ACL,
  type ClientInfo,
  type OpResult,
  type ReplyHeader,
  type Request,
  type Response,
  type Stat,
} from '../wire/protocol.js';
import {
  decodeConnectResponse,
  encodeConnectRequest,
  readReplyHeader,
  readWatcherEvent,
} from '../wire/records.js';
import { writeRequestFrame } from '../wire/requests.js';
import { decodeResponse } from '../wire/responses.js';
import { ZkError } from './errors.js';
import { WatchRegistry } from './watches.js';

export { ZkError } from './errors.js';

/** ZooDefs.Ids */
export const Ids = {
  OPEN_ACL_UNSAFE: [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }] as ACL[],
  CREATOR_ALL_ACL: [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }] as ACL[],
  READ_ACL_UNSAFE: [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }] as ACL[],
};

/** The client's connection state, named as ZooKeeper.States names them. */
export type ClientState = 'CONNECTING' | 'CONNECTED' | 'CONNECTEDREADONLY' | 'CLOSED' | 'AUTH_FAILED';

/** A watch notification (type ≠ None) or a session state change (type None, path null). */
export interface WatchedEvent {
  type: number;
  state: number;
  path: string | null;
  /** zxid of the change that fired a watch; -1 for state changes */
  zxid: number;
}

export interface ClientOptions {
  /** `host:port[,host:port…]` */
  connectString: string;
  /** Requested session timeout in ms (default 30000); the server negotiates it. */
  sessionTimeout?: number;
  /** Re-attach to an existing session. */
  sessionId?: bigint;
  sessionPasswd?: Uint8Array;
  /** Accept a read-only server (the readOnly flag of the handshake). */
  canBeReadOnly?: boolean;
  /** How long the first connect may take in total, ms (default: the session timeout). */
  connectTimeout?: number;
  /** Reconnect on connection loss (default true). */
  reconnect?: boolean;
  /** Largest reply frame accepted (default jute.maxbuffer). */
  maxFrameLength?: number;
  /**
   * Hand out node data as views into the received bytes instead of copies:
   * less work per reply (for load generators), but data that is kept keeps
   * its whole receive chunk alive. Default false.
   */
  zeroCopy?: boolean;
  /** Receives every watch notification and state change. */
  watcher?: (event: WatchedEvent) => void;
}

export interface CreateOptions {
  /** CreateMode flag (default PERSISTENT). */
  mode?: number;
  /** Default: OPEN_ACL_UNSAFE. */
  acl?: ACL[];
  /** Time to live in ms, for the TTL modes. */
  ttl?: number;
}

/** Data as bytes, or a string taken as UTF-8. */
export type Data = Uint8Array | string | null;

function bytesOf(data: Data | undefined): Uint8Array | null {
  if (data === undefined || data === null) return null;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function createRequest(path: string, data: Data | undefined, opts: CreateOptions | undefined, withStat: boolean): Request {
  const mode = opts?.mode ?? CreateMode.PERSISTENT;
  const acl = opts?.acl ?? Ids.OPEN_ACL_UNSAFE;
  const bytes = bytesOf(data);
  if (mode === CreateMode.PERSISTENT_WITH_TTL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL) {
    return { type: OpCode.createTTL, path, data: bytes, acl, flags: mode, ttl: opts?.ttl ?? -1 };
  }
  if (mode === CreateMode.CONTAINER) return { type: OpCode.createContainer, path, data: bytes, acl, flags: mode };
  return { type: withStat ? OpCode.create2 : OpCode.create, path, data: bytes, acl, flags: mode };
}

/** Builders of the operations of a multi / multiRead. */
export const Op = {
  create: (path: string, data?: Data, opts?: CreateOptions): Request => createRequest(path, data, opts, false),
  delete: (path: string, version = -1): Request => ({ type: OpCode.delete, path, version }),
  setData: (path: string, data: Data, version = -1): Request => ({
    type: OpCode.setData,
    path,
    data: bytesOf(data),
    version,
  }),
  check: (path: string, version: number): Request => ({ type: OpCode.check, path, version }),
  getData: (path: string): Request => ({ type: OpCode.getData, path, watch: false }),
  getChildren: (path: string): Request => ({ type: OpCode.getChildren, path, watch: false }),
};

/** Called with the reply to a request: err 0 and the response, or an error code. */
export type ReplyCallback = (err: number, response: Response | undefined, header: ReplyHeader | undefined) => void;

interface Pending {
  xid: number;
  type: number;
  request: Request;
  cb: ReplyCallback;
}

interface Credential {
  scheme: string;
  auth: Uint8Array | null;
  /** The addAuth call still waiting for the server's answer. */
  waiter?: { resolve: () => void; reject: (e: Error) => void };
}

interface Waiting {
  type: number;
  request: Request;
  cb: ReplyCallback;
}

/** A FIFO of requests in flight, in xid order. */
class PendingQueue {
  private items: (Pending | undefined)[] = new Array(64);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(p: Pending): void {
    if (this.count === this.items.length) {
      const bigger: (Pending | undefined)[] = new Array(this.items.length * 2);
      for (let i = 0; i < this.count; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
      this.items = bigger;
      this.head = 0;
    }
    this.items[(this.head + this.count) % this.items.length] = p;
    this.count++;
  }

  shift(): Pending | undefined {
    if (this.count === 0) return undefined;
    const p = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return p;
  }
}

function parseConnectString(s: string): Array<{ host: string; port: number }> {
  if (s.includes('/')) throw new Error(`chroot paths are not supported in the connect string: ${s}`);
  const hosts = s
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => {
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
      if (m === null) throw new Error(`bad server address: ${h}`);
      const host = m[1]!.replace(/^\[|\]$/g, '');
      return { host, port: m[2] === undefined ? 2181 : Number(m[2]) };
    });
  if (hosts.length === 0) throw new Error('empty connect string');
  return hosts;
}

function pathOf(req: Request): string | undefined {
  return 'path' in req ? req.path : undefined;
}

const DEFAULT_TIMEOUT = 30000;

export class ZkClient extends EventEmitter {
  private readonly hosts: Array<{ host: string; port: number }>;
  private hostIndex = 0;
  private readonly requestedTimeout: number;
  private readonly canBeReadOnly: boolean;
  private readonly autoReconnect: boolean;
  private readonly maxFrameLength: number;
  private readonly zeroCopy: boolean;

  private socket: Socket | null = null;
  private decoder: FrameDecoder | null = null;
  private readonly writer = new JuteWriter();
  private flushScheduled = false;
  private readonly pending = new PendingQueue();
  private readonly authWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly waiting: Waiting[] = [];
  private readonly credentials: Credential[] = [];
  private readonly watches = new WatchRegistry();
  private nextXid = 1;
  private pingTimer: NodeJS.Timeout | null = null;
  private lastReceived = 0;
  private closing = false;
  private closeWaiters: Array<() => void> = [];

  /** Connection state. */
  state: ClientState = 'CONNECTING';
  /** Session id (0 until the first handshake). */
  sessionId: bigint;
  /** Session password. */
  sessionPasswd: Uint8Array;
  /** The session timeout the server granted, ms. */
  negotiatedTimeout = 0;
  /** Whether the server we are connected to is read-only. */
  readOnly = false;
  /** The largest zxid seen in a reply. */
  lastZxid = 0;
  /** `host:port` of the current server. */
  server = '';

  private constructor(opts: ClientOptions) {
    super();
    this.hosts = parseConnectString(opts.connectString);
    this.requestedTimeout = opts.sessionTimeout ?? DEFAULT_TIMEOUT;
    this.canBeReadOnly = opts.canBeReadOnly ?? false;
    this.autoReconnect = opts.reconnect ?? true;
    this.maxFrameLength = opts.maxFrameLength ?? DEFAULT_JUTE_MAXBUFFER;
    this.zeroCopy = opts.zeroCopy ?? false;
    this.sessionId = opts.sessionId ?? 0n;
    this.sessionPasswd = opts.sessionPasswd ?? new Uint8Array(16);
    if (opts.watcher !== undefined) {
      const w = opts.watcher;
      this.on('state', w);
      this.on('watch', w);
    }
  }

  /** Connects and establishes (or re-attaches) a session. */
  static async connect(opts: ClientOptions): Promise<ZkClient> {
    const c = new ZkClient(opts);
    const deadline = Date.now() + (opts.connectTimeout ?? c.requestedTimeout);
    await c.establish(deadline);
    return c;
  }

  // ------------------------------------------------------------ connection

  /** Tries the hosts in turn until a handshake succeeds or the deadline passes. */
  private async establish(deadline: number): Promise<void> {
    let delay = 50;
    let lastError: Error = new ZkError(ErrorCode.ConnectionLoss);
    while (!this.closing) {
      const { host, port } = this.hosts[this.hostIndex]!;
      this.hostIndex = (this.hostIndex + 1) % this.hosts.length;
      const left = deadline - Date.now();
      if (left <= 0) break;
      const perAttempt = Math.max(1000, Math.min(left, this.requestedTimeout / this.hosts.length));
      try {
        await this.attempt(host, port, perAttempt);
        return;
      } catch (e) {
        if (e instanceof ZkError && (e.code === ErrorCode.SessionExpired || e.code === ErrorCode.AuthFailed)) throw e;
        lastError = e as Error;
      }
      if (this.hostIndex === 0) {
        const wait = Math.min(delay, deadline - Date.now());
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        delay = Math.min(delay * 2, 1000);
      }
    }
    throw this.closing ? new ZkError(ErrorCode.SessionExpired) : lastError;
  }

  /** One TCP connection and handshake; resolves once connected. */
  private attempt(host: string, port: number, timeout: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      socket.setNoDelay(true);
      const decoder = new FrameDecoder(this.maxFrameLength);
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new ZkError(ErrorCode.ConnectionLoss)), timeout);
      socket.once('error', (e) => fail(Object.assign(new ZkError(ErrorCode.ConnectionLoss), { cause: e })));
      socket.once('close', () => fail(new ZkError(ErrorCode.ConnectionLoss)));
      socket.once('connect', () => {
        socket.write(
          encodeConnectRequest({
            protocolVersion: 0,
            lastZxidSeen: this.lastZxid,
            timeOut: this.requestedTimeout,
            sessionId: this.sessionId,
            passwd: this.sessionPasswd,
            readOnly: this.canBeReadOnly,
          }),
        );
      });
      const onHandshakeData = (chunk: Buffer): void => {
        let frames: Uint8Array[];
        try {
          frames = decoder.push(chunk);
        } catch (e) {
          fail(e as Error);
          return;
        }
        if (frames.length === 0) return;
        let res;
        try {
          res = decodeConnectResponse(new JuteReader(frames[0]!));
        } catch (e) {
          fail(e as Error);
          return;
        }
        settled = true;
        clearTimeout(timer);
        socket.removeListener('data', onHandshakeData);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        if (res.timeOut <= 0 || this.closing) {
          socket.destroy();
          if (!this.closing) this.expire();
          reject(new ZkError(ErrorCode.SessionExpired));
          return;
        }
        this.onConnected(socket, decoder, host, port, res.timeOut, res.sessionId, res.passwd, res.readOnly === true);
        // frames that came with the handshake reply
        for (let i = 1; i < frames.length; i++) this.onFrame(frames[i]!);
        resolve();
      };
      socket.on('data', onHandshakeData);
    });
  }

  private onConnected(
    socket: Socket,
    decoder: FrameDecoder,
    host: string,
    port: number,
    timeout: number,
    sessionId: bigint,
    passwd: Uint8Array,
    readOnly: boolean,
  ): void {
    this.socket = socket;
    this.decoder = decoder;
    this.server = `${host}:${port}`;
    this.negotiatedTimeout = timeout;
    this.sessionId = sessionId;
    this.sessionPasswd = passwd;
    this.readOnly = readOnly;
    this.state = readOnly ? 'CONNECTEDREADONLY' : 'CONNECTED';
    this.lastReceived = Date.now();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      /* 'close' follows */
    });
    socket.on('close', () => this.onSocketClosed(socket));

    // credentials and watches first, then whatever waited for the connection
    for (const c of this.credentials) this.sendAuth(c);
    for (const req of this.watches.setWatchesRequests(this.lastZxid)) {
      writeRequestFrame(this.writer, { xid: Xid.setWatches, type: req.type }, req);
      this.pending.push({ xid: Xid.setWatches, type: req.type, request: req, cb: () => undefined });
    }
    this.scheduleFlush();
    const waiting = this.waiting.splice(0);
    for (const w of waiting) this.submitRaw(w.type, w.request, w.cb);

    const interval = Math.max(1, Math.floor(timeout / 3));
    this.pingTimer = setInterval(() => this.onPingTimer(socket, timeout), interval);
    this.emitState(readOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected);
  }

  private onPingTimer(socket: Socket, timeout: number): void {
    if (socket !== this.socket) return;
    if (Date.now() - this.lastReceived > (timeout * 2) / 3) {
      socket.destroy();
      return;
    }
    writeRequestFrame(this.writer, { xid: Xid.ping, type: OpCode.ping }, { type: OpCode.ping });
    this.scheduleFlush();
  }

  private emitState(state: number): void {
    this.emit('state', { type: EventType.None, state, path: null, zxid: -1 } satisfies WatchedEvent);
  }

  /** Fails everything in flight with `code`. */
  private failInFlight(code: number): void {
    for (let p = this.pending.shift(); p !== undefined; p = this.pending.shift()) p.cb(code, undefined, undefined);
    for (const a of this.authWaiters.splice(0)) a.reject(new ZkError(code));
  }

  private failWaiting(code: number): void {
    for (const w of this.waiting.splice(0)) w.cb(code, undefined, undefined);
  }

  private onSocketClosed(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.decoder = null;
    this.writer.discard();
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.state === 'AUTH_FAILED' || this.state === 'CLOSED') {
      this.finishClose();
      return;
    }
    this.failInFlight(ErrorCode.ConnectionLoss);
    if (this.closing || !this.autoReconnect) {
      this.markClosed();
      this.failWaiting(ErrorCode.ConnectionLoss);
      this.finishClose();
      return;
    }
    this.state = 'CONNECTING';
    this.emitState(KeeperState.Disconnected);
    this.establish(Date.now() + this.negotiatedTimeout).catch(() => {
      if (this.state === 'CONNECTING') this.expire();
    });
  }

  /** The session is gone (the server said so, or it could not be reached within its timeout). */
  private expire(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.failInFlight(ErrorCode.SessionExpired);
    this.failWaiting(ErrorCode.SessionExpired);
    this.emitState(KeeperState.Expired);
    this.finishClose();
  }

  private finishClose(): void {
    for (const w of this.closeWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------ I/O

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.writer.length === 0) return;
    const bytes = this.writer.finish();
    this.socket?.write(bytes);
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let frames: Uint8Array[];
    try {
      frames = this.decoder!.push(chunk);
    } catch {
      this.socket?.destroy();
      return;
    }
    for (const f of frames) {
      if (this.socket === null) return;
      this.onFrame(f);
    }
  }

  private protocolError(): void {
    this.socket?.destroy();
  }

  private onFrame(frame: Uint8Array): void {
    const r = new JuteReader(frame, { maxLength: this.maxFrameLength, views: this.zeroCopy });
    let h: ReplyHeader;
    try {
      h = readReplyHeader(r);
    } catch {
      this.protocolError();
      return;
    }
    switch (h.xid) {
      case Xid.ping:
        return;
      case Xid.notification: {
        let e;
        try {
          e = readWatcherEvent(r);
        } catch {
          this.protocolError();
          return;
        }
        this.watches.onEvent(e.type, e.path);
        this.emit('watch', { type: e.type, state: e.state, path: e.path, zxid: h.zxid } satisfies WatchedEvent);
        return;
      }
      case Xid.auth: {
        const waiter = this.authWaiters.shift();
        if (h.err === 0) {
          waiter?.resolve();
          return;
        }
        waiter?.reject(new ZkError(h.err));
        if (h.err === ErrorCode.AuthFailed) {
          this.state = 'AUTH_FAILED';
          this.failInFlight(ErrorCode.AuthFailed);
          this.failWaiting(ErrorCode.AuthFailed);
          this.emitState(KeeperState.AuthFailed);
          this.socket?.destroy();
        }
        return;
      }
      default:
        break;
    }
    const p = this.pending.shift();
    if (p === undefined || p.xid !== h.xid) {
      p?.cb(ErrorCode.ConnectionLoss, undefined, undefined);
      this.protocolError();
      return;
    }
    if (h.zxid > 0) this.lastZxid = h.zxid;
    let response: Response | undefined;
    if (h.err === 0) {
      try {
        response = decodeResponse(p.type, r);
      } catch (e) {
        if (!(e instanceof UnknownOpcodeError)) {
          p.cb(ErrorCode.MarshallingError, undefined, h);
          this.protocolError();
          return;
        }
      }
    }
    this.watches.onReply(p.request, h.err);
    p.cb(h.err, response, h);
  }

  // ------------------------------------------------------------ requests

  private closedCode(): number {
    return this.state === 'AUTH_FAILED' ? ErrorCode.AuthFailed : ErrorCode.SessionExpired;
  }

  /**
   * The low-level entry point: sends `request` with header type `type` and
   * calls `cb` with the reply. The callback may run synchronously when the
   * client is closed. Throws a JuteError for a request that cannot be
   * encoded.
   */
  submitRaw(type: number, request: Request, cb: ReplyCallback): void {
    if (this.state === 'CLOSED' || this.state === 'AUTH_FAILED' || (this.closing && type !== OpCode.closeSession)) {
      cb(this.closedCode(), undefined, undefined);
      return;
    }
    if (this.socket === null) {
      this.waiting.push({ type, request, cb });
      return;
    }
    const xid = this.nextXid;
    this.nextXid = xid >= 0x7fffffff ? 1 : xid + 1;
    writeRequestFrame(this.writer, { xid, type }, request);
    this.pending.push({ xid, type, request, cb });
    this.scheduleFlush();
  }

  /** Sends a request; calls `cb` with the reply. */
  submit(request: Request, cb: ReplyCallback): void {
    this.submitRaw(request.type, request, cb);
  }

  /**
   * Sends `request` under header type `type` and resolves with the reply
   * header and decoded response, whatever the error code (for tests). A
   * reply to an opcode the codec does not know resolves without a response.
   */
  send(type: number, request: Request): Promise<{ header: ReplyHeader; response?: Response }> {
    return new Promise((resolve, reject) => {
      try {
        this.submitRaw(type, request, (err, response, header) => {
          if (header === undefined) reject(new ZkError(err, pathOf(request)));
          else resolve(response === undefined ? { header } : { header, response });
        });
      } catch (e) {
        reject(e as Error);
      }
    });
  }

  /** Sends `request`; resolves with its response, rejects with a ZkError. */
  call(request: Request): Promise<Response> {
    return new Promise((resolve, reject) => {
      try {
        this.submit(request, (err, response) => {
          if (err === 0 && response !== undefined) resolve(response);
          else reject(new ZkError(err === 0 ? ErrorCode.MarshallingError : err, pathOf(request)));
        });
      } catch (e) {
        reject(e as Error);
      }
    });
  }

  async create(path: string, data?: Data, opts?: CreateOptions): Promise<string> {
    const res = await this.call(createRequest(path, data, opts, false));
    return (res as { path: string }).path;
  }

  /** create2: the created node's path and Stat. */
  async create2(path: string, data?: Data, opts?: CreateOptions): Promise<{ path: string; stat: Stat }> {
    const res = (await this.call(createRequest(path, data, opts, true))) as { path: string; stat: Stat };
    return { path: res.path, stat: res.stat };
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.call({ type: OpCode.delete, path, version });
  }

  /** The node's Stat, or null if there is no such node. */
  exists(path: string, watch = false): Promise<Stat | null> {
    return this.call({ type: OpCode.exists, path, watch }).then(
      (res) => (res as { stat: Stat }).stat,
      (e: unknown) => {
        if (e instanceof ZkError && e.code === ErrorCode.NoNode) return null;
        throw e;
      },
    );
  }

  async getData(path: string, watch = false): Promise<{ data: Uint8Array | null; stat: Stat }> {
    const res = (await this.call({ type: OpCode.getData, path, watch })) as { data: Uint8Array | null; stat: Stat };
    return { data: res.data, stat: res.stat };
  }

  async setData(path: string, data: Data, version = -1): Promise<Stat> {
    const res = await this.call({ type: OpCode.setData, path, data: bytesOf(data), version });
    return (res as { stat: Stat }).stat;
  }

  async getChildren(path: string, watch = false): Promise<string[]> {
    const res = await this.call({ type: OpCode.getChildren, path, watch });
    return (res as { children: string[] }).children;
  }

  async getChildren2(path: string, watch = false): Promise<{ children: string[]; stat: Stat }> {
    const res = (await this.call({ type: OpCode.getChildren2, path, watch })) as { children: string[]; stat: Stat };
    return { children: res.children, stat: res.stat };
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    const res = (await this.call({ type: OpCode.getACL, path })) as { acl: ACL[]; stat: Stat };
    return { acl: res.acl, stat: res.stat };
  }

  async setACL(path: string, acl: ACL[], version = -1): Promise<Stat> {
    const res = await this.call({ type: OpCode.setACL, path, acl, version });
    return (res as { stat: Stat }).stat;
  }

  async sync(path: string): Promise<string> {
    const res = await this.call({ type: OpCode.sync, path });
    return (res as { path: string }).path;
  }

  /**
   * An atomic multi. Resolves with every result; if an operation failed,
   * rejects with a ZkError of the first failure's code carrying all results.
   * An empty list resolves at once without asking the server.
   */
  async multi(ops: Request[]): Promise<OpResult[]> {
    if (ops.length === 0) return [];
    const res = await this.call({ type: OpCode.multi, ops });
    const results = (res as { results: OpResult[] }).results;
    const failed = results.find((r) => r.type === OpCode.error && r.err !== 0);
    if (failed !== undefined && failed.type === OpCode.error) throw new ZkError(failed.err, undefined, results);
    return results;
  }

  /** multiRead: per-operation results, failures included as error results. */
  async multiRead(ops: Request[]): Promise<OpResult[]> {
    if (ops.length === 0) return [];
    const res = await this.call({ type: OpCode.multiRead, ops });
    return (res as { results: OpResult[] }).results;
  }

  /** A persistent (mode 0) or persistent recursive (mode 1) watch. */
  async addWatch(path: string, mode: number): Promise<void> {
    await this.call({ type: OpCode.addWatch, path, mode });
  }

  /** Removes this session's watches of `watcherType` (WatcherType) on `path`. */
  async removeWatches(path: string, watcherType: number): Promise<void> {
    await this.call({ type: OpCode.removeWatches, path, watcherType });
  }

  /** Resolves if this session has a watch of `watcherType` on `path`, else rejects with NoWatcher. */
  async checkWatches(path: string, watcherType: number): Promise<void> {
    await this.call({ type: OpCode.checkWatches, path, watcherType });
  }

  async getEphemerals(prefixPath = '/'): Promise<string[]> {
    const res = await this.call({ type: OpCode.getEphemerals, prefixPath });
    return (res as { ephemerals: string[] }).ephemerals;
  }

  async getAllChildrenNumber(path: string): Promise<number> {
    const res = await this.call({ type: OpCode.getAllChildrenNumber, path });
    return (res as { totalNumber: number }).totalNumber;
  }

  async whoAmI(): Promise<ClientInfo[]> {
    const res = await this.call({ type: OpCode.whoAmI });
    return (res as { clientInfo: ClientInfo[] }).clientInfo;
  }

  /**
   * Adds credentials to the session (e.g. `digest`, `user:password`).
   * Resolves when the server accepts them; on AuthFailed the server closes
   * the connection and the client ends in AUTH_FAILED. Credentials are sent
   * again after every reconnect.
   */
  addAuth(scheme: string, auth: Data): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.state === 'CLOSED' || this.state === 'AUTH_FAILED') {
        reject(new ZkError(this.closedCode()));
        return;
      }
      const cred: Credential = { scheme, auth: bytesOf(auth), waiter: { resolve, reject } };
      this.credentials.push(cred);
      // not connected: sent with the other credentials once connected
      if (this.socket !== null) this.sendAuth(cred);
    });
  }

  private sendAuth(cred: Credential): void {
    writeRequestFrame(
      this.writer,
      { xid: Xid.auth, type: OpCode.auth },
      { type: OpCode.auth, authType: 0, scheme: cred.scheme, auth: cred.auth },
    );
    this.authWaiters.push({
      resolve: () => {
        cred.waiter?.resolve();
        cred.waiter = undefined;
      },
      reject: (e) => {
        cred.waiter?.reject(e);
        cred.waiter = undefined;
      },
    });
    this.scheduleFlush();
  }

  /**
   * Closes the session (closeSession) and the connection. Requests still in
   * flight get their replies first; later ones fail with SessionExpired.
   */
  async close(): Promise<void> {
    if (this.state === 'CLOSED' || this.state === 'AUTH_FAILED') {
      this.socket?.destroy();
      return;
    }
    const closed = new Promise<void>((r) => this.closeWaiters.push(r));
    if (this.closing) return closed;
    const socket = this.socket;
    if (socket === null) {
      // not connected: stop reconnecting
      this.closing = true;
      this.markClosed();
      this.failWaiting(ErrorCode.SessionExpired);
      this.finishClose();
      return closed;
    }
    this.submitRaw(OpCode.closeSession, { type: OpCode.closeSession }, () => {
      this.markClosed();
      socket.end();
    });
    this.closing = true;
    const timer = setTimeout(() => socket.destroy(), Math.max(1000, this.negotiatedTimeout / 3));
    await closed;
    clearTimeout(timer);
  }

  /**
   * Drops the connection without closing the session (the server expires it
   * after its timeout), as a crashed client would. Requests in flight fail
   * with ConnectionLoss; the client does not reconnect.
   */
  destroy(): void {
    if (this.state === 'CLOSED' || this.state === 'AUTH_FAILED') {
      this.socket?.destroy();
      return;
    }
    this.closing = true;
    const socket = this.socket;
    if (socket !== null) {
      socket.destroy();
      return; // onSocketClosed finishes
    }
    this.markClosed();
    this.failWaiting(ErrorCode.ConnectionLoss);
    this.finishClose();
  }

  private markClosed(): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.emitState(KeeperState.Closed);
  }
}
