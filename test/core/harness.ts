// A standalone core driven by hand: effects are recorded after every step,
// the "log" is made durable when the test says so (or after every step with
// autoCommit).

import { Database } from '../../src/core/database.js';
import { detach } from '../../src/core/effects.js';
import { StandaloneCore, type StandaloneConfig } from '../../src/core/standalone.js';
import type { Txn } from '../../src/core/txn.js';
import type { ConnectRequest, ConnectResponse, Request, Response, WatcherEvent } from '../../src/wire/protocol.js';
import { errorName } from '../../src/wire/protocol.js';

export interface Reply {
  conn: number;
  xid: number;
  zxid: number;
  err: number;
  type: number;
  response: Response | undefined;
}

export interface Note {
  conn: number;
  event: WatcherEvent;
  zxid: number;
}

export const defaultConfig: StandaloneConfig = {
  minSessionTimeout: 4000,
  maxSessionTimeout: 40000,
  sessionKey: new Uint8Array(32).fill(7),
  extendedTypesEnabled: true,
  containerCheckIntervalMs: 1000,
  containerMaxPerMinute: 10000,
};

export class Harness {
  now = 1_000_000;
  readonly replies: Reply[] = [];
  readonly notes: Note[] = [];
  readonly connected = new Map<number, ConnectResponse>();
  readonly closed = new Map<number, string>();
  readonly log: Txn[] = [];
  readonly core: StandaloneCore;
  autoCommit = true;
  private nextConn = 1;
  private xids = new Map<number, number>();

  constructor(config: Partial<StandaloneConfig> = {}, db = new Database()) {
    this.core = new StandaloneCore(db, { ...defaultConfig, ...config }, 0x100n << 40n, this.now);
  }

  /** Records the effects of the steps so far, as a shell would carry them out. */
  pump(): void {
    for (const effect of this.core.ready()) {
      const e = detach(effect);
      switch (e.kind) {
        case 'reply':
          this.replies.push({ conn: e.conn, xid: e.xid, zxid: e.zxid, err: e.err, type: e.type, response: e.response });
          break;
        case 'notify':
          this.notes.push({ conn: e.conn, event: e.event, zxid: e.zxid });
          break;
        case 'connected':
          this.connected.set(e.conn, e.response);
          break;
        case 'close':
          this.closed.set(e.conn, e.reason);
          this.core.frontend.closed(e.conn);
          break;
        case 'persist':
          this.log.push(e.txn);
          break;
      }
    }
  }

  get db(): Database {
    return this.core.db;
  }

  commit(): void {
    this.pump();
    const last = this.log.length === 0 ? 0 : this.log[this.log.length - 1]!.hdr.zxid;
    this.core.durable(last);
    this.pump();
  }

  /** Opens connection `conn` and sends its handshake. */
  connect(conn: number, req: ConnectRequest, address = '127.0.0.1'): void {
    this.core.frontend.open(conn, address);
    this.core.frontend.connect(conn, req, this.now);
    this.pump();
    if (this.autoCommit) this.commit();
  }

  /** Opens a connection and a new session; returns the connection id. */
  session(opts: { address?: string; timeout?: number } = {}): number {
    const conn = this.nextConn++;
    this.connect(
      conn,
      { protocolVersion: 0, lastZxidSeen: 0, timeOut: opts.timeout ?? 10000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false },
      opts.address,
    );
    return conn;
  }

  sessionId(conn: number): bigint {
    return this.connected.get(conn)!.sessionId;
  }

  /** Sends a request; returns its xid. */
  send(conn: number, req: Request): number {
    const xid = (this.xids.get(conn) ?? 0) + 1;
    this.xids.set(conn, xid);
    this.core.frontend.request(conn, xid, req, this.now);
    this.pump();
    if (this.autoCommit) this.commit();
    return xid;
  }

  reply(conn: number, xid: number): Reply {
    const r = this.replies.find((x) => x.conn === conn && x.xid === xid);
    if (!r) throw new Error(`no reply for conn ${conn} xid ${xid}`);
    return r;
  }

  /** Sends and returns the reply, which must have come. */
  call(conn: number, req: Request): Reply {
    return this.reply(conn, this.send(conn, req));
  }

  /** Sends and expects success; returns the response body. */
  ok(conn: number, req: Request): Response {
    const r = this.call(conn, req);
    if (r.err !== 0) throw new Error(`expected success, got ${errorName(r.err)}`);
    return r.response!;
  }

  advance(ms: number): void {
    this.now += ms;
    this.core.tick(this.now);
    this.pump();
    if (this.autoCommit) this.commit();
  }

  notesFor(conn: number): Array<{ type: number; path: string }> {
    return this.notes.filter((n) => n.conn === conn).map((n) => ({ type: n.event.type, path: n.event.path }));
  }
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | null): string => (b === null ? '' : new TextDecoder().decode(b));
