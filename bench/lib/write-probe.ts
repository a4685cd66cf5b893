// A client that finds out how soon an ensemble takes writes again: one
// session on one member, one small setData at a time. `untilAcked` retries
// the write in a tight loop — a write that gets no answer within the request
// timeout, or whose connection closes, is given up, the session is
// re-attached (or, if it expired, a new one made) and the write sent again —
// and returns the time of the first write the member acknowledges.
//
// It speaks the wire protocol itself rather than through a full client, so
// that its only waits are the ones it states: the request timeout and a
// short pause after a refused connection.

import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/wire/frame.js';
import { JuteReader, JuteWriter } from '../../src/wire/jute.js';
import { OpCode } from '../../src/wire/protocol.js';
import { decodeConnectResponse, encodeConnectRequest } from '../../src/wire/records.js';
import { writeRequestFrame } from '../../src/wire/requests.js';

export interface ProbeOptions {
  host: string;
  port: number;
  /** the znode the probe writes (it must exist) */
  path: string;
  /** session timeout asked for, ms */
  sessionTimeout: number;
  /** how long a connect or a write may take before it is given up, ms */
  requestTimeoutMs: number;
  /** pause after a failed attempt, ms (a refused connection fails at once) */
  retryPauseMs: number;
}

/** One step of the retry loop: what was tried, when it started (performance.now()), how long it took, how it ended. */
export interface ProbeStep {
  what: 'connect' | 'write';
  at: number;
  ms: number;
  result: string;
}

export interface ProbeOutcome {
  /** performance.now() of the first acknowledged write */
  ackedAt: number;
  /** writes sent */
  writes: number;
  /** connection attempts */
  connects: number;
  /** new sessions made because the old one had expired */
  newSessions: number;
  /** the last steps before the acknowledgement (the acknowledged write included) */
  lastSteps: ProbeStep[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Link {
  private readonly decoder = new FrameDecoder();
  private waiter: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void } | null = null;
  private broken: Error | null = null;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = this.decoder.push(chunk);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const f of frames) this.waiter?.resolve(f);
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private fail(e: Error): void {
    if (this.broken === null) this.broken = e;
    this.socket.destroy();
    this.waiter?.reject(e);
  }

  get alive(): boolean {
    return this.broken === null;
  }

  /**
   * Sends `frame` and resolves with the first frame back that `accept` takes
   * (pings and notifications are skipped); fails on a closed connection or
   * after `timeoutMs`.
   */
  exchange(frame: Uint8Array, accept: (f: Uint8Array) => boolean, timeoutMs: number): Promise<Uint8Array> {
    if (this.broken !== null) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (f) => {
          if (!accept(f)) return;
          clearTimeout(timer);
          this.waiter = null;
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiter = null;
          reject(e);
        },
      };
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export class WriteProbe {
  private link: Link | null = null;
  private sessionId = 0n;
  private passwd: Uint8Array = new Uint8Array(16);
  private lastZxid = 0;
  private nextXid = 1;
  private readonly writer = new JuteWriter(4096);
  private readonly value = new Uint8Array(16);

  constructor(private readonly o: ProbeOptions) {}

  /** Connects, with the current session if there is one; throws if the connection or handshake fails. */
  private async connect(timeoutMs: number): Promise<void> {
    const socket = connect({ host: this.o.host, port: this.o.port });
    const link = new Link(socket);
    const request = encodeConnectRequest({
      protocolVersion: 0,
      lastZxidSeen: this.lastZxid,
      timeOut: this.o.sessionTimeout,
      sessionId: this.sessionId,
      passwd: this.passwd,
      readOnly: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('close', () => {
          clearTimeout(timer);
          reject(new Error('connection refused or closed'));
        });
      });
      const answer = decodeConnectResponse(new JuteReader(await link.exchange(request, () => true, timeoutMs)));
      if (answer.sessionId === 0n || answer.timeOut <= 0) {
        // the session expired: the next attempt makes a new one
        this.sessionId = 0n;
        this.passwd = new Uint8Array(16);
        throw new SessionExpired();
      }
      this.sessionId = answer.sessionId;
      this.passwd = answer.passwd;
      this.link = link;
    } catch (e) {
      link.close();
      throw e;
    }
  }

  /** One setData of the probe's znode; throws unless the member acknowledges it. */
  private async write(timeoutMs: number): Promise<void> {
    const link = this.link!;
    const xid = this.nextXid++;
    writeRequestFrame(this.writer, { xid, type: OpCode.setData }, { type: OpCode.setData, path: this.o.path, data: this.value, version: -1 });
    const frame = await link.exchange(this.writer.finish(), (f) => new DataView(f.buffer, f.byteOffset).getInt32(0) === xid, timeoutMs);
    const r = new JuteReader(frame);
    r.readInt();
    const zxid = r.readLong();
    const err = r.readInt();
    if (zxid > this.lastZxid) this.lastZxid = zxid;
    if (err !== 0) throw new Error(`setData failed with error ${err}`);
  }

  /** Opens the session and makes one write (before what is measured, so with a generous timeout). */
  async open(timeoutMs = 10000): Promise<void> {
    await this.connect(timeoutMs);
    await this.write(timeoutMs);
  }

  /** `n` writes one after the other on the open session; each one's time from sending to the answer, ms. */
  async sequential(n: number, timeoutMs = 10000): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await this.write(timeoutMs);
      times.push(performance.now() - t0);
    }
    return times;
  }

  /**
   * Writes until a write is acknowledged (or `deadline`, a performance.now()
   * time, passes: then null).
   */
  async untilAcked(deadline: number): Promise<ProbeOutcome | null> {
    const out = { writes: 0, connects: 0, newSessions: 0 };
    const steps: ProbeStep[] = [];
    const step = async (what: ProbeStep['what'], f: () => Promise<void>): Promise<void> => {
      const at = performance.now();
      try {
        await f();
        steps.push({ what, at, ms: performance.now() - at, result: 'ok' });
      } catch (e) {
        steps.push({ what, at, ms: performance.now() - at, result: (e as Error).message });
        throw e;
      } finally {
        if (steps.length > 8) steps.shift();
      }
    };
    while (performance.now() < deadline) {
      try {
        if (this.link === null || !this.link.alive) {
          this.link?.close();
          this.link = null;
          out.connects++;
          await step('connect', () => this.connect(this.o.requestTimeoutMs));
        }
        out.writes++;
        await step('write', () => this.write(this.o.requestTimeoutMs));
        return { ackedAt: performance.now(), ...out, lastSteps: steps };
      } catch (e) {
        if (e instanceof SessionExpired) out.newSessions++;
        this.link?.close();
        this.link = null;
        await sleep(this.o.retryPauseMs);
      }
    }
    return null;
  }

  /** Closes the session (closeSession, then the connection); never throws. */
  async close(): Promise<void> {
    const link = this.link;
    this.link = null;
    if (link === null || !link.alive) return;
    const xid = this.nextXid++;
    writeRequestFrame(this.writer, { xid, type: OpCode.closeSession }, { type: OpCode.closeSession });
    await link.exchange(this.writer.finish(), () => true, 1000).catch(() => undefined);
    link.close();
  }
}

class SessionExpired extends Error {
  constructor() {
    super('session expired');
  }
}
