// The client port: the listener, the client connections and their limits
// (maxClientCnxns per address, the sessionless timeout, the per-connection
// and global bounds on what is read before it is answered), and the
// delivery of what a core says to clients. What a connection reads goes to
// the core's Frontend, which the port's host names: a member's frontend
// changes when it takes its leader's snapshot, and a member that is not
// serving refuses sessions there.

import net from 'node:net';
import type { ClientEffect } from '../core/effects.js';
import type { Frontend } from '../core/frontend.js';
import { ErrorCode, Xid, type ConnectRequest, type Request } from '../wire/protocol.js';
import { JuteWriter } from '../wire/jute.js';
import { authenticate, normaliseAddress } from './auth.js';
import type { ServerConfig } from './config.js';
import { ClientConnection, newServerCounters, type ConnectionHost, type ServerCounters } from './connection.js';
import type { Logger } from './log.js';

/** How long a connection may stay open without a handshake (ZooKeeper's default sessionless timeout). */
export const SESSIONLESS_CONNECTION_TIMEOUT_MS = 10000;

/** What the port needs from the server it belongs to. */
export interface ClientPortHost {
  /** the frontend that takes client input now */
  frontend(): Frontend;
  /** the time, as the server reads it */
  now(): number;
  /** input went to the frontend: carry out the core's effects */
  afterInput(): void;
  /** answers a four-letter word; null when the bytes are not one */
  fourLetterWord(firstChunk: Buffer, conn: ClientConnection): string | null;
}

export class ClientPort implements ConnectionHost {
  readonly maxFrame: number;
  readonly conns = new Map<number, ClientConnection>();
  readonly counters: ServerCounters = newServerCounters();
  authFailures = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly writer = new JuteWriter(256 * 1024);
  private readonly dirtyConns = new Set<ClientConnection>();
  /** Requests received on all connections and not yet answered. */
  private outstandingTotal = 0;
  /** Connections that stopped reading until their replies drain or the load drops. */
  private readonly holdingConns = new Set<ClientConnection>();
  private nextConnId = 1;
  private listener: net.Server | null = null;
  private closing = false;
  /** input is no longer taken (a fatal error or a stop) */
  halted = false;
  private outputScheduled = false;

  constructor(
    private readonly config: ServerConfig,
    readonly log: Logger,
    private readonly host: ClientPortHost,
  ) {
    this.maxFrame = config.juteMaxBuffer;
  }

  listen(): Promise<void> {
    const { clientPort, clientPortAddress } = this.config;
    return new Promise((resolve, reject) => {
      const srv = net.createServer((socket) => this.accept(socket));
      srv.once('error', reject);
      srv.listen({ port: clientPort, host: clientPortAddress ?? undefined, backlog: 511 }, () => {
        srv.removeListener('error', reject);
        srv.on('error', (e) => this.log.error(`client port: ${e.message}`));
        this.listener = srv;
        resolve();
      });
    });
  }

  /** The address the port listens on. */
  address(): { host: string; port: number } {
    const a = this.listener?.address();
    if (!a || typeof a === 'string') throw new Error('not listening');
    return { host: a.address, port: a.port };
  }

  now(): number {
    return this.host.now();
  }

  // ------------------------------------------------------------ connections

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const address = normaliseAddress(socket.remoteAddress);
    const max = this.config.maxClientCnxns;
    const count = this.byAddress.get(address) ?? 0;
    if (max > 0 && count >= max) {
      this.log.warn(`too many connections from ${address} - max is ${max}`);
      socket.destroy();
      return;
    }
    this.byAddress.set(address, count + 1);
    const conn = new ClientConnection(this.nextConnId++, socket, address, this, this.writer, this.counters);
    this.conns.set(conn.id, conn);
    this.host.frontend().open(conn.id, address);
    // as ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout: a connection that
    // has not asked for a session by then is closed
    setTimeout(() => {
      if (!conn.initialized && !conn.closing && this.conns.get(conn.id) === conn) {
        conn.close(`no session request within ${SESSIONLESS_CONNECTION_TIMEOUT_MS} ms`);
      }
    }, SESSIONLESS_CONNECTION_TIMEOUT_MS).unref();
  }

  closed(conn: ClientConnection): void {
    if (!this.conns.delete(conn.id)) return;
    const n = (this.byAddress.get(conn.address) ?? 1) - 1;
    if (n <= 0) this.byAddress.delete(conn.address);
    else this.byAddress.set(conn.address, n);
    this.dirtyConns.delete(conn);
    this.host.frontend().closed(conn.id);
  }

  /** ZooKeeper's throttle: over globalOutstandingLimit, connections with requests outstanding stop reading. */
  overloaded(): boolean {
    return this.outstandingTotal > this.config.globalOutstandingLimit;
  }

  outstandingChanged(delta: number): void {
    const was = this.outstandingTotal;
    this.outstandingTotal += delta;
    if (delta < 0 && was > this.config.globalOutstandingLimit && !this.overloaded()) {
      for (const c of this.holdingConns) c.readMore();
    }
  }

  holding(conn: ClientConnection, on: boolean): void {
    if (on) this.holdingConns.add(conn);
    else this.holdingConns.delete(conn);
  }

  fourLetterWord(firstChunk: Buffer, conn: ClientConnection): string | null {
    return this.host.fourLetterWord(firstChunk, conn);
  }

  handshake(conn: ClientConnection, req: ConnectRequest): void {
    if (this.halted) return;
    this.host.frontend().connect(conn.id, req, this.host.now());
    this.afterInput();
  }

  request(conn: ClientConnection, xid: number, req: Request): void {
    if (this.halted) return;
    this.host.frontend().request(conn.id, xid, req, this.host.now());
    this.afterInput();
  }

  reject(conn: ClientConnection, xid: number, type: number, err: number, closeReason?: string): void {
    if (this.halted) return;
    this.host.frontend().reject(conn.id, xid, type, err, closeReason);
    this.afterInput();
  }

  auth(conn: ClientConnection, scheme: string, auth: Uint8Array | null): void {
    const ids = authenticate(scheme, auth, { address: conn.address, superDigest: this.config.superDigest });
    if (ids === null) {
      this.authFailures++;
      this.log.warn(`${conn.describe()}: authentication with unknown scheme ${scheme} failed`);
      conn.sendReply(Xid.auth, 0, ErrorCode.AuthFailed, 100, undefined);
      conn.close(`authentication failed for scheme ${scheme}`);
      return;
    }
    for (const id of ids) this.host.frontend().addAuth(conn.id, id);
    conn.sendReply(Xid.auth, 0, 0, 100, undefined);
    this.scheduleOutput();
  }

  private afterInput(): void {
    this.host.afterInput();
    this.scheduleOutput();
  }

  // ------------------------------------------------------------ output

  /** Carries out a core's effect for a client. */
  deliver(e: ClientEffect): void {
    const c = this.conns.get(e.conn);
    if (!c) return;
    switch (e.kind) {
      case 'reply':
        c.sendReply(e.xid, e.zxid, e.err, e.type, e.response);
        return;
      case 'notify':
        c.sendNotification(e.event, e.zxid);
        return;
      case 'connected':
        c.sendConnected(e.response);
        return;
      case 'close':
        c.close(e.reason);
        return;
    }
  }

  dirty(conn: ClientConnection): void {
    this.dirtyConns.add(conn);
  }

  /** Sends every connection's queued output in one batch per connection. */
  flushOutput(): void {
    if (this.dirtyConns.size === 0) return;
    for (const c of this.dirtyConns) c.flush();
    this.dirtyConns.clear();
  }

  private scheduleOutput(): void {
    if (this.outputScheduled) return;
    this.outputScheduled = true;
    // replies to everything that arrived in this batch of socket reads go out
    // together, once per event loop turn: a tick after each read would write
    // to a connection once per read, and several reads of one connection
    // often land in the same turn
    setImmediate(() => {
      this.outputScheduled = false;
      this.flushOutput();
    });
  }

  /** Stops accepting, drops every connection; resolves once the listener is closed. */
  close(): Promise<void> {
    this.closing = true;
    const closing = new Promise<void>((resolve) => (this.listener ? this.listener.close(() => resolve()) : resolve()));
    for (const c of [...this.conns.values()]) c.socket.destroy();
    return closing;
  }
}
