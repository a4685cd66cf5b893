// One client connection: frames in, requests to the core, replies and
// notifications out. The first frame is the handshake (or a four-letter word,
// answered and closed); a frame over jute.maxbuffer or a handshake that does
// not parse closes the connection with a log line; a request that does not
// parse gets MarshallingError and an unknown opcode Unimplemented, after
// which the connection is closed, as ZooKeeper does (the session lives on).
//
// Memory a client can make the server hold is bounded: requests are handed
// on one frame at a time, and a connection stops reading (the socket is
// paused, frames already received wait here) while more than
// MAX_UNSENT_BYTES of its replies are not yet taken by the kernel, or while
// the requests outstanding on all connections exceed the server's
// globalOutstandingLimit and this one has some of them (ZooKeeper's rule).
// It reads on once its replies drain, or the load drops.

import type { Socket } from 'node:net';
import { FrameDecoder, FrameError } from '../wire/frame.js';
import { JuteError, JuteReader, JuteWriter, UnknownOpcodeError } from '../wire/jute.js';
import { ErrorCode, OpCode, Xid, type Request, type Response, type WatcherEvent, type ConnectResponse } from '../wire/protocol.js';
import { decodeConnectRequest, encodeConnectResponse, encodeNotification, readRequestHeader } from '../wire/records.js';
import { decodeRequest } from '../wire/requests.js';
import { writeReplyFrame } from '../wire/responses.js';
import { opShortName } from './fourletter.js';

/**
 * A connection stops reading while more reply bytes than this wait to be
 * sent (queued here or in the socket): a client that does not read its
 * replies holds at most this much, plus one reply, of the server's memory.
 */
export const MAX_UNSENT_BYTES = 1024 * 1024;

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly maxFrame: number;
  /** Whether the requests outstanding on all connections are over the global limit. */
  overloaded(): boolean;
  /** Requests outstanding on this connection changed by `delta` (arrived, answered, or dropped with the connection). */
  outstandingChanged(delta: number): void;
  /** The connection stopped (`true`) or went back to (`false`) reading; the host calls `readMore` once the load drops. */
  holding(conn: ClientConnection, on: boolean): void;
  now(): number;
  /**
   * The first bytes of a fresh connection may be a four-letter word instead
   * of a frame length: its answer (written, then the connection closes), or
   * null when they are not one.
   */
  fourLetterWord(firstChunk: Buffer, conn: ClientConnection): string | null;
  handshake(conn: ClientConnection, req: ReturnType<typeof decodeConnectRequest>): void;
  request(conn: ClientConnection, xid: number, req: Request): void;
  /** A request that cannot be served (bad record, unknown opcode): answered in order with `err`. */
  reject(conn: ClientConnection, xid: number, type: number, err: number, closeReason?: string): void;
  auth(conn: ClientConnection, scheme: string, auth: Uint8Array | null): void;
  /** Output is waiting: flush it at the end of the current batch. */
  dirty(conn: ClientConnection): void;
  closed(conn: ClientConnection): void;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
}

/** Server-wide counters that every connection adds to. */
export interface ServerCounters {
  packetsReceived: number;
  packetsSent: number;
  minLatency: number;
  maxLatency: number;
  totalLatency: number;
  count: number;
  lastResponseSize: number;
  minResponseSize: number;
  maxResponseSize: number;
}

export function newServerCounters(): ServerCounters {
  return {
    packetsReceived: 0,
    packetsSent: 0,
    minLatency: Number.MAX_SAFE_INTEGER,
    maxLatency: 0,
    totalLatency: 0,
    count: 0,
    lastResponseSize: -1,
    minResponseSize: -1,
    maxResponseSize: -1,
  };
}

export interface ConnectionStats {
  received: number;
  sent: number;
  established: number;
  lastOp: string;
  lastCxid: number;
  lastZxid: number;
  lastResponse: number;
  lastLatency: number;
  minLatency: number;
  maxLatency: number;
  totalLatency: number;
  count: number;
}

export class ClientConnection {
  readonly decoder: FrameDecoder;
  readonly address: string;
  readonly port: number;
  sessionId = 0n;
  timeout = 0;
  initialized = false;
  closing = false;
  private out: Uint8Array[] = [];
  /** Bytes in `out`. */
  private outBytes = 0;
  /** Frames received while reading was held back, from `heldAt` on, in order. */
  private held: Uint8Array[] = [];
  private heldAt = 0;
  /** Reading is held back (the socket paused) until replies drain or the load drops. */
  private holdingBack = false;
  private readMoreScheduled = false;
  /** arrival times of requests not yet answered, in order (replies keep request order) */
  private arrivals: number[] = [];
  private arrivalHead = 0;
  readonly stats: ConnectionStats;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    address: string,
    private readonly host: ConnectionHost,
    private readonly writer: JuteWriter,
    private readonly counters: ServerCounters,
  ) {
    this.address = address;
    this.port = socket.remotePort ?? 0;
    this.decoder = new FrameDecoder(host.maxFrame);
    const now = host.now();
    this.stats = {
      received: 0,
      sent: 0,
      established: now,
      lastOp: 'NA',
      lastCxid: -1,
      lastZxid: -1,
      lastResponse: 0,
      lastLatency: 0,
      minLatency: Number.MAX_SAFE_INTEGER,
      maxLatency: 0,
      totalLatency: 0,
      count: 0,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.readMore());
    socket.on('error', (e) => host.log.debug(`connection ${this.describe()}: ${e.message}`));
    socket.on('close', () => {
      const dropped = this.outstanding;
      this.arrivals.length = 0;
      this.arrivalHead = 0;
      this.held = [];
      this.heldAt = 0;
      if (this.holdingBack) {
        this.holdingBack = false;
        host.holding(this, false);
      }
      if (dropped > 0) host.outstandingChanged(-dropped);
      host.closed(this);
    });
  }

  describe(): string {
    return `${this.address}:${this.port}` + (this.sessionId !== 0n ? ` session 0x${BigInt.asUintN(64, this.sessionId).toString(16)}` : '');
  }

  /** Requests received and not yet answered. */
  get outstanding(): number {
    return this.arrivals.length - this.arrivalHead;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (!this.initialized && this.stats.received === 0 && this.decoder.buffered === 0 && chunk.length >= 4) {
      const answer = this.host.fourLetterWord(chunk, this);
      if (answer !== null) {
        this.closing = true;
        this.socket.end(answer);
        return;
      }
    }
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      // the frames before the bad one are served as far as the bounds allow; the rest go with the connection
      if (!this.holdingBack) this.consume(e.frames, 0);
      this.close(`${e.message} (jute.maxbuffer is ${this.host.maxFrame})`);
      return;
    }
    if (this.holdingBack) {
      for (const f of frames) this.held.push(f);
      return;
    }
    this.consume(frames, 0);
  }

  /** Reading is held back until replies drain or the load drops (ZooKeeper's cons shows interest 0 then). */
  get readingHeldBack(): boolean {
    return this.holdingBack;
  }

  /** Bytes of replies not yet taken by the kernel. */
  get unsentBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  /** Whether this connection must not hand on another request now. */
  private mustWait(): boolean {
    return this.unsentBytes > MAX_UNSENT_BYTES || (this.outstanding > 0 && this.host.overloaded());
  }

  /** Hands frames on from `from`, one at a time, until the connection must wait: then it holds the rest back. */
  private consume(frames: Uint8Array[], from: number): void {
    for (let i = from; i < frames.length; i++) {
      if (this.closing) return;
      if (this.mustWait()) {
        this.held = frames;
        this.heldAt = i;
        this.holdingBack = true;
        this.socket.pause();
        this.host.holding(this, true);
        return;
      }
      this.onFrame(frames[i]!);
    }
  }

  /**
   * Reads on if the connection no longer has to wait (its replies drained,
   * the load dropped), in a turn of its own: never inside the call that
   * sent a reply or flushed output.
   */
  readMore(): void {
    if (!this.holdingBack || this.readMoreScheduled) return;
    this.readMoreScheduled = true;
    setImmediate(() => {
      this.readMoreScheduled = false;
      if (!this.holdingBack || this.closing || this.socket.destroyed || this.mustWait()) return;
      const frames = this.held;
      const at = this.heldAt;
      this.held = [];
      this.heldAt = 0;
      this.holdingBack = false;
      this.consume(frames, at);
      if (!this.holdingBack) {
        this.host.holding(this, false);
        this.socket.resume();
      }
    });
  }

  private onFrame(frame: Uint8Array): void {
    this.stats.received++;
    this.counters.packetsReceived++;
    if (!this.initialized) {
      let req;
      try {
        const r = new JuteReader(frame, { maxLength: this.host.maxFrame });
        req = decodeConnectRequest(r);
      } catch (e) {
        this.close(`malformed handshake: ${(e as Error).message}`);
        return;
      }
      this.initialized = true;
      this.host.handshake(this, req);
      return;
    }
    const r = new JuteReader(frame, { maxLength: this.host.maxFrame });
    let xid: number;
    let type: number;
    try {
      ({ xid, type } = readRequestHeader(r));
    } catch (e) {
      this.close(`malformed request header: ${(e as Error).message}`);
      return;
    }
    if (xid === Xid.auth && type === OpCode.auth) {
      let scheme: string;
      let auth: Uint8Array | null;
      try {
        const req = decodeRequest(type, r);
        if (req.type !== OpCode.auth) throw new JuteError('not an auth packet');
        scheme = req.scheme;
        auth = req.auth;
      } catch (e) {
        this.close(`malformed auth packet: ${(e as Error).message}`);
        return;
      }
      this.host.auth(this, scheme, auth);
      return;
    }
    this.arrivals.push(this.host.now());
    this.host.outstandingChanged(1);
    let req: Request;
    try {
      // bytes after the record are ignored, as ZooKeeper ignores them
      req = decodeRequest(type, r);
    } catch (e) {
      if (e instanceof UnknownOpcodeError) {
        this.host.reject(this, xid, type, ErrorCode.Unimplemented, `request of unknown type ${type}`);
        return;
      }
      if (e instanceof JuteError) {
        this.host.reject(this, xid, type, ErrorCode.MarshallingError, `malformed request of type ${type}: ${e.message}`);
        return;
      }
      throw e;
    }
    this.host.request(this, xid, req);
  }

  private enqueue(buf: Uint8Array): void {
    this.outBytes += buf.length;
    const out = this.out;
    const n = out.length;
    if (n === 0) {
      this.host.dirty(this);
    } else {
      // frames encoded one after the other into the same slab leave as one buffer
      const last = out[n - 1]!;
      if (last.buffer === buf.buffer && last.byteOffset + last.length === buf.byteOffset) {
        out[n - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + buf.length);
        return;
      }
    }
    out.push(buf);
  }

  sendReply(xid: number, zxid: number, err: number, type: number, response: Response | undefined): void {
    if (this.socket.destroyed) return;
    writeReplyFrame(this.writer, { xid, zxid, err }, response);
    const frame = this.writer.finish();
    this.enqueue(frame);
    const s = this.stats;
    const c = this.counters;
    s.sent++;
    c.packetsSent++;
    c.lastResponseSize = frame.length;
    if (c.minResponseSize < 0 || frame.length < c.minResponseSize) c.minResponseSize = frame.length;
    if (frame.length > c.maxResponseSize) c.maxResponseSize = frame.length;
    if (xid !== Xid.auth) {
      const now = this.host.now();
      let arrived = now;
      if (this.arrivalHead < this.arrivals.length) {
        arrived = this.arrivals[this.arrivalHead++]!;
        this.host.outstandingChanged(-1);
      }
      if (this.arrivalHead === this.arrivals.length) {
        this.arrivals.length = 0;
        this.arrivalHead = 0;
      }
      const lat = now - arrived;
      s.lastLatency = lat;
      if (lat < s.minLatency) s.minLatency = lat;
      if (lat > s.maxLatency) s.maxLatency = lat;
      s.totalLatency += lat;
      s.count++;
      if (lat < c.minLatency) c.minLatency = lat;
      if (lat > c.maxLatency) c.maxLatency = lat;
      c.totalLatency += lat;
      c.count++;
      s.lastResponse = now;
      s.lastOp = opShortName(type);
      if (xid >= 0) s.lastCxid = xid;
      s.lastZxid = zxid;
    }
  }

  sendNotification(event: WatcherEvent, zxid: number): void {
    if (this.socket.destroyed) return;
    this.enqueue(encodeNotification(event, zxid, this.writer));
    this.stats.sent++;
    this.counters.packetsSent++;
  }

  sendConnected(resp: ConnectResponse): void {
    if (this.socket.destroyed) return;
    this.enqueue(encodeConnectResponse(resp, this.writer));
    this.stats.sent++;
    this.counters.packetsSent++;
    this.sessionId = resp.sessionId;
    this.timeout = resp.timeOut;
    this.stats.lastOp = 'SESS';
    this.stats.established = this.host.now();
  }

  /** Writes what is queued, in one batch. */
  flush(): void {
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    this.outBytes = 0;
    const s = this.socket;
    if (s.destroyed) return;
    if (out.length === 1) {
      s.write(out[0]!);
    } else {
      s.cork();
      for (const b of out) s.write(b);
      s.uncork();
    }
    // the kernel may have taken it all, in which case no 'drain' follows
    this.readMore();
  }

  /** Closes after what is queued has been written. */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.host.log.info(`closing connection ${this.describe()}: ${reason}`);
    this.flush();
    this.socket.end();
    // a peer that never reads must not keep the socket forever
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  resetStats(): void {
    const s = this.stats;
    s.received = 0;
    s.sent = 0;
    s.lastLatency = 0;
    s.minLatency = Number.MAX_SAFE_INTEGER;
    s.maxLatency = 0;
    s.totalLatency = 0;
    s.count = 0;
    s.lastOp = 'NA';
    s.lastCxid = -1;
    s.lastZxid = -1;
    s.lastResponse = 0;
  }
}
