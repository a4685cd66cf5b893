// One session of the load generator: a TCP connection to a ZooKeeper-protocol
// server that keeps a fixed number of requests in flight (a closed loop).
// Each reply is answered at once by the next request; the requests issued
// while one chunk of replies is read leave in one socket write. Reads are
// getData, writes setData (version -1), both on keys drawn uniformly from the
// key space. Replies come back in request order (ZooKeeper guarantees it per
// session), so the send time of each request sits in a ring indexed by order.

import { connect, type Socket } from 'node:net';
import type { RecordableHistogram } from 'node:perf_hooks';
import { FrameDecoder } from '../../src/wire/frame.js';
import { JuteReader, JuteWriter } from '../../src/wire/jute.js';
import { OpCode, type Request } from '../../src/wire/protocol.js';
import { decodeConnectResponse, encodeConnectRequest } from '../../src/wire/records.js';
import { writeRequestFrame } from '../../src/wire/requests.js';

export interface LoadSpec {
  host: string;
  port: number;
  /** requests kept in flight */
  inflight: number;
  /** fraction of requests that are reads, 0..1 */
  readRatio: number;
  /** the value every setData writes */
  value: Uint8Array;
  /** paths of the pre-created znodes */
  keys: readonly string[];
  /** session timeout asked for, ms */
  sessionTimeout: number;
}

export interface SessionCounts {
  /** replies that arrived while recording */
  ops: number;
  reads: number;
  writes: number;
  /** replies with a non-zero error code or out of order, or a getData reply whose data has the wrong length */
  errors: number;
}

/** xorshift32: a cheap, seedable stream of uniform integers. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Uniform in [0, 1). */
  unit(): number {
    return this.next() / 4294967296;
  }
}

export class LoadSession {
  private socket: Socket | null = null;
  private readonly decoder = new FrameDecoder();
  private readonly writer = new JuteWriter(256 * 1024);
  private readonly rng: Rng;
  /** send times (performance.now(), ms) of the requests in flight, in order */
  private readonly sentAt: Float64Array;
  /** whether each request in flight is a read */
  private readonly isRead: Uint8Array;
  /** the xid of each request in flight */
  private readonly xids: Int32Array;
  private head = 0;
  private count = 0;
  private nextXid = 1;
  private issuing = false;
  private drained: (() => void) | null = null;
  private closeReply: (() => void) | null = null;
  private failure: ((e: Error) => void) | null = null;
  /** While true, replies are counted and their latencies recorded. */
  recording = false;
  readonly counts: SessionCounts = { ops: 0, reads: 0, writes: 0, errors: 0 };
  private readonly getReq: { type: typeof OpCode.getData; path: string; watch: boolean };
  private readonly setReq: { type: typeof OpCode.setData; path: string; data: Uint8Array; version: number };

  constructor(
    private readonly spec: LoadSpec,
    private readonly hist: RecordableHistogram,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    this.sentAt = new Float64Array(spec.inflight);
    this.isRead = new Uint8Array(spec.inflight);
    this.xids = new Int32Array(spec.inflight);
    this.getReq = { type: OpCode.getData, path: '', watch: false };
    this.setReq = { type: OpCode.setData, path: '', data: spec.value, version: -1 };
  }

  /** Connects and establishes a new session. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.spec.host, port: this.spec.port });
      s.setNoDelay(true);
      this.socket = s;
      let handshaken = false;
      this.failure = (e) => {
        this.failure = null;
        reject(e);
      };
      s.on('error', (e) => this.failure?.(e));
      s.on('close', () => this.failure?.(new Error('connection closed by the server')));
      s.once('connect', () => {
        s.write(
          encodeConnectRequest({
            protocolVersion: 0,
            lastZxidSeen: 0,
            timeOut: this.spec.sessionTimeout,
            sessionId: 0n,
            passwd: new Uint8Array(16),
            readOnly: false,
          }),
        );
      });
      s.on('data', (chunk: Buffer) => {
        const frames = this.decoder.push(chunk);
        let i = 0;
        if (!handshaken && frames.length > 0) {
          const resp = decodeConnectResponse(new JuteReader(frames[0]!));
          if (resp.sessionId === 0n) {
            reject(new Error('the server refused the session'));
            return;
          }
          handshaken = true;
          i = 1;
          this.failure = null;
          resolve();
        }
        if (i < frames.length) this.onFrames(frames, i);
      });
    });
  }

  /** Fills the pipeline; from now on every reply is followed by a new request. */
  start(): void {
    this.issuing = true;
    while (this.count < this.spec.inflight) this.issue();
    this.flush();
  }

  /** Stops issuing requests; resolves once every request in flight is answered. */
  stop(): Promise<void> {
    this.issuing = false;
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Closes the session (closeSession, then the connection). */
  close(): Promise<void> {
    const s = this.socket;
    if (s === null || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.failure = null;
        s.destroy();
        resolve();
      };
      const timer = setTimeout(done, 2000);
      this.closeReply = done;
      this.failure = done;
      writeRequestFrame(this.writer, { xid: this.nextXid++, type: OpCode.closeSession }, { type: OpCode.closeSession });
      s.write(this.writer.finish());
    });
  }

  private issue(): void {
    const keys = this.spec.keys;
    const key = keys[this.rng.next() % keys.length]!;
    const read = this.spec.readRatio >= 1 || (this.spec.readRatio > 0 && this.rng.unit() < this.spec.readRatio);
    let req: Request;
    if (read) {
      this.getReq.path = key;
      req = this.getReq;
    } else {
      this.setReq.path = key;
      req = this.setReq;
    }
    const xid = this.nextXid++;
    writeRequestFrame(this.writer, { xid, type: read ? OpCode.getData : OpCode.setData }, req);
    const slot = (this.head + this.count) % this.spec.inflight;
    this.xids[slot] = xid;
    this.sentAt[slot] = performance.now();
    this.isRead[slot] = read ? 1 : 0;
    this.count++;
  }

  private flush(): void {
    if (this.writer.length > 0) this.socket!.write(this.writer.finish());
  }

  private onFrames(frames: Uint8Array[], from: number): void {
    const now = performance.now();
    const valueLength = this.spec.value.length;
    for (let i = from; i < frames.length; i++) {
      const f = frames[i]!;
      const xid = (f[0]! << 24) | (f[1]! << 16) | (f[2]! << 8) | f[3]!;
      if (xid < 0) continue; // a notification or ping reply (neither is asked for)
      if (this.count === 0) {
        this.closeReply?.();
        continue;
      }
      const slot = this.head;
      this.head = (slot + 1) % this.spec.inflight;
      this.count--;
      if (this.recording) {
        const err = (f[12]! << 24) | (f[13]! << 16) | (f[14]! << 8) | f[15]!;
        const c = this.counts;
        c.ops++;
        let bad = err !== 0 || xid !== this.xids[slot];
        if (this.isRead[slot] === 1) {
          c.reads++;
          if (!bad) bad = ((f[16]! << 24) | (f[17]! << 16) | (f[18]! << 8) | f[19]!) !== valueLength;
        } else {
          c.writes++;
        }
        if (bad) c.errors++;
        const us = Math.round((now - this.sentAt[slot]!) * 1000);
        this.hist.record(us > 0 ? us : 1);
      }
      if (this.issuing) this.issue();
    }
    this.flush();
    if (!this.issuing && this.count === 0 && this.drained !== null) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }
}
