// A simulated ZooKeeper client: one session, re-attached after every lost
// connection (to the same member or another), requests pipelined up to a
// bound, every outcome written to the history the checks read. It checks
// what a client can see for itself: replies in the order of its requests,
// and zxids that never go back within its session.

import { OPEN_ACL_UNSAFE } from '../core/acl.js';
import type { ClientEffect } from '../core/effects.js';
import { type ConnectResponse, CreateMode, ErrorCode, OpCode, type Request, type Response, Xid } from '../wire/protocol.js';
import type { Rng } from './rng.js';

/** The keys every client works on. */
export const KEYS = ['/k0', '/k1', '/k2', '/k3', '/k4', '/k5'];

/** A write as the history keeps it. */
export interface WriteRecord {
  client: number;
  sessionId: bigint;
  xid: number;
  req: Request;
  /** ok: answered with err 0 at zxid; failed: answered with an error; lost: no answer came (the connection went) */
  outcome: { kind: 'ok'; zxid: number } | { kind: 'failed'; err: number } | { kind: 'lost' } | { kind: 'pending' };
}

/** A read of one key as the history keeps it. */
export interface ReadRecord {
  client: number;
  path: string;
  /** the reply header's zxid: the state the member had applied */
  zxid: number;
  /** null: NoNode */
  value: { data: string; mzxid: number } | null;
  /** the member that answered */
  member: number;
}

export interface History {
  writes: WriteRecord[];
  reads: ReadRecord[];
  /** what clients saw that no server may show */
  violations: string[];
}

/** How a client reaches the members (the world's side of the connection). */
export interface Dialer {
  /** Opens a connection to `member`; its effects arrive at `client.receive`, and `client.lost` when it goes, each naming it. */
  dial(client: SimClient, member: number): ClientLine | null;
}

export interface ClientLine {
  readonly member: number;
  handshake(req: { lastZxidSeen: number; timeOut: number; sessionId: bigint; passwd: Uint8Array }): void;
  send(xid: number, req: Request): void;
  close(): void;
}

interface Outstanding {
  xid: number;
  req: Request;
  write: WriteRecord | null;
}

/**
 * Starts `count` clients that connect (again, after any loss) and issue
 * their requests, each on its own rhythm: first after `start` ms, then
 * every `every` ms (ranges drawn from the world's generator).
 */
export function startClients(
  count: number,
  rng: Rng,
  clock: { after(ms: number, run: () => void): unknown },
  dialer: Dialer,
  members: readonly number[],
  history: History,
  opts: { requests: number; inFlight: number; timeout: number; start: [number, number]; every: [number, number] },
): SimClient[] {
  const clients: SimClient[] = [];
  for (let i = 0; i < count; i++) {
    const c = new SimClient(i, rng.fork(), dialer, members, history, opts);
    clients.push(c);
    const crng = rng.fork();
    const drive = (): void => {
      if (!c.busy) return;
      if (!c.connected) c.connect();
      else c.work();
      clock.after(crng.between(...opts.every), drive);
    };
    clock.after(crng.between(...opts.start), drive);
  }
  return clients;
}

const dec = (b: Uint8Array | null): string => (b === null ? '' : String.fromCharCode(...b));
const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

export class SimClient {
  sessionId = 0n;
  private passwd: Uint8Array = new Uint8Array(16);
  private lastZxid = 0;
  private line: ClientLine | null = null;
  private established = false;
  private nextXid = 1;
  private seq = 0;
  private readonly outstanding: Outstanding[] = [];
  /** requests left to issue */
  remaining: number;
  sessionsMade = 0;

  constructor(
    readonly id: number,
    private readonly rng: Rng,
    private readonly dialer: Dialer,
    private readonly members: readonly number[],
    private readonly history: History,
    private readonly opts: { requests: number; inFlight: number; timeout: number },
  ) {
    this.remaining = opts.requests;
  }

  get busy(): boolean {
    return this.remaining > 0 || this.outstanding.length > 0;
  }

  get connected(): boolean {
    return this.established;
  }

  /** Connects (re-attaching its session, if it has one) to a member of its choice. */
  connect(): void {
    if (this.line) return;
    const line = this.dialer.dial(this, this.rng.pick(this.members));
    if (!line) return;
    this.line = line;
    this.established = false;
    line.handshake({ lastZxidSeen: this.lastZxid, timeOut: this.opts.timeout, sessionId: this.sessionId, passwd: this.passwd });
  }

  /** Drops the connection from the client's side. */
  disconnect(): void {
    if (!this.line) return;
    this.line.close();
    this.lost();
  }

  /** Connection `line` is gone (news of an older one is ignored): what it waited for has no known outcome. */
  lost(line: ClientLine | null = this.line): void {
    if (!this.line || line !== this.line) return;
    this.line = null;
    this.established = false;
    for (const o of this.outstanding) if (o.write && o.write.outcome.kind === 'pending') o.write.outcome = { kind: 'lost' };
    this.outstanding.length = 0;
  }

  /** Issues requests while fewer than the bound are outstanding. */
  work(): void {
    while (this.line && this.established && this.remaining > 0 && this.outstanding.length < this.opts.inFlight) {
      this.remaining--;
      this.issue(this.nextRequest());
    }
  }

  receive(line: ClientLine, e: ClientEffect): void {
    if (!this.line || line !== this.line) return;
    switch (e.kind) {
      case 'connected':
        this.onConnected(e.response);
        return;
      case 'notify':
        return;
      case 'close':
        return;
      case 'reply':
        this.onReply(e.xid, e.zxid, e.err, e.type, e.response);
        return;
    }
  }

  private onConnected(r: ConnectResponse): void {
    if (r.sessionId === 0n) {
      // the session expired: a new one on the next connection
      this.sessionId = 0n;
      this.passwd = new Uint8Array(16);
      this.line?.close();
      this.lost();
      return;
    }
    if (this.sessionId !== r.sessionId) this.sessionsMade++;
    this.sessionId = r.sessionId;
    this.passwd = r.passwd;
    this.established = true;
  }

  private onReply(xid: number, zxid: number, err: number, type: number, response: Response | undefined): void {
    if (xid === Xid.ping) return;
    const o = this.outstanding.shift();
    if (!o || o.xid !== xid) {
      this.history.violations.push(`client ${this.id}: reply for xid ${xid} while the oldest outstanding request is ${o?.xid ?? 'none'}`);
      return;
    }
    if (zxid < this.lastZxid && err !== ErrorCode.SessionExpired) {
      this.history.violations.push(`client ${this.id}: reply zxid 0x${zxid.toString(16)} after it had seen 0x${this.lastZxid.toString(16)}`);
    }
    if (zxid > this.lastZxid) this.lastZxid = zxid;
    if (o.write) {
      o.write.outcome = err === 0 ? { kind: 'ok', zxid } : { kind: 'failed', err };
      return;
    }
    if (type === OpCode.getData) {
      const path = (o.req as { path: string }).path;
      const member = this.line!.member;
      if (err === ErrorCode.NoNode) this.history.reads.push({ client: this.id, path, zxid, value: null, member });
      else if (err === 0 && response?.kind === 'data') {
        this.history.reads.push({ client: this.id, path, zxid, value: { data: dec(response.data), mzxid: response.stat.mzxid }, member });
      }
    }
  }

  private issue(req: Request): void {
    const xid = this.nextXid++;
    const isWrite = req.type !== OpCode.getData && req.type !== OpCode.exists && req.type !== OpCode.sync;
    const write: WriteRecord | null = isWrite
      ? { client: this.id, sessionId: this.sessionId, xid, req, outcome: { kind: 'pending' } }
      : null;
    if (write) this.history.writes.push(write);
    this.outstanding.push({ xid, req, write });
    this.line!.send(xid, req);
  }

  private nextRequest(): Request {
    const path = this.rng.pick(KEYS);
    const value = `c${this.id}.${++this.seq}`;
    const r = this.rng.int(100);
    if (r < 30) return { type: OpCode.getData, path, watch: this.rng.chance(0.2) };
    if (r < 35) return { type: OpCode.sync, path };
    if (r < 55) return { type: OpCode.setData, path, data: enc(value), version: -1 };
    if (r < 75) {
      const flags = this.rng.chance(0.25) ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT;
      return { type: OpCode.create, path, data: enc(value), acl: OPEN_ACL_UNSAFE, flags };
    }
    if (r < 90) return { type: OpCode.delete, path, version: -1 };
    const other = this.rng.pick(KEYS);
    return {
      type: OpCode.multi,
      ops: [
        { type: OpCode.setData, path, data: enc(value), version: -1 },
        { type: OpCode.create, path: other, data: enc(value + 'm'), acl: OPEN_ACL_UNSAFE, flags: CreateMode.PERSISTENT },
      ],
    };
  }
}
