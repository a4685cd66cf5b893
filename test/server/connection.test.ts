// How a connection paces its reading, over a real loopback socket with a
// stand-in for the server: requests are handed on one at a time; over the
// global limit on outstanding requests a connection with some of them stops
// reading until answers bring the count down; a connection whose replies
// pile up unsent stops until its client reads them.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection, MAX_UNSENT_BYTES, newServerCounters, type ConnectionHost } from '../../src/server/connection.js';
import { FrameDecoder } from '../../src/wire/frame.js';
import { JuteWriter } from '../../src/wire/jute.js';
import { OpCode, type Request } from '../../src/wire/protocol.js';
import { encodeConnectRequest } from '../../src/wire/records.js';
import { writeRequestFrame } from '../../src/wire/requests.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** The server side of one connection: counts outstanding requests against `limit`, answers when told. */
class Host implements ConnectionHost {
  readonly maxFrame = 4 * 1024 * 1024;
  total = 0;
  readonly requests: Array<{ conn: ClientConnection; xid: number; req: Request }> = [];
  readonly held = new Set<ClientConnection>();
  private waiters: Array<() => void> = [];
  log = { info: () => undefined, warn: () => undefined, debug: () => undefined };

  constructor(private readonly limit: number) {}

  overloaded(): boolean {
    return this.total > this.limit;
  }
  outstandingChanged(delta: number): void {
    const was = this.total;
    this.total += delta;
    if (delta < 0 && was > this.limit && !this.overloaded()) for (const c of this.held) c.readMore();
  }
  holding(conn: ClientConnection, on: boolean): void {
    if (on) this.held.add(conn);
    else this.held.delete(conn);
    this.wake();
  }
  now(): number {
    return 0;
  }
  fourLetterWord(): string | null {
    return null;
  }
  handshake(conn: ClientConnection): void {
    conn.sendConnected({ protocolVersion: 0, timeOut: 10000, sessionId: 1n, passwd: new Uint8Array(16) });
    conn.flush();
  }
  /** When set, every request is answered at once with these bytes, and output flushed once per turn, as the server does. */
  answerWith: Uint8Array | null = null;
  private flushing = new Set<ClientConnection>();

  request(conn: ClientConnection, xid: number, req: Request): void {
    this.requests.push({ conn, xid, req });
    if (this.answerWith) {
      conn.sendReply(xid, 1, 0, OpCode.getData, { kind: 'data', data: this.answerWith, stat: STAT });
      if (this.flushing.size === 0) {
        setImmediate(() => {
          for (const c of this.flushing) c.flush();
          this.flushing.clear();
        });
      }
      this.flushing.add(conn);
    }
    this.wake();
  }
  reject(): void {}
  auth(): void {}
  dirty(): void {}
  closed(): void {}

  /** Answers the oldest unanswered request with `data`. */
  answer(conn: ClientConnection, xid: number, data: Uint8Array): void {
    conn.sendReply(xid, 1, 0, OpCode.getData, { kind: 'data', data, stat: STAT });
    conn.flush();
  }

  /** Waits until `cond` holds, re-checked whenever the connection hands on a request or stops reading. */
  until(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }
  private wake(): void {
    const ws = this.waiters.splice(0);
    for (const w of ws) w();
  }
}

const STAT = { czxid: 1, mzxid: 1, pzxid: 1, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 0, numChildren: 0 };

/** A connected pair: the server side wrapped in a ClientConnection of `host`, and the raw client socket. */
async function pair(host: Host): Promise<{ conn: ClientConnection; client: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  const conn = new ClientConnection(1, socket, '127.0.0.1', host, new JuteWriter(), newServerCounters());
  cleanup.push(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  client.write(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0, timeOut: 10000, sessionId: 0n, passwd: new Uint8Array(16) }));
  return { conn, client };
}

function getDatas(from: number, to: number): Uint8Array {
  const w = new JuteWriter();
  for (let xid = from; xid <= to; xid++) writeRequestFrame(w, { xid, type: OpCode.getData }, { type: OpCode.getData, path: '/n', watch: false });
  return w.finish();
}

describe('connection reading pace', () => {
  it('stops reading over the global limit of outstanding requests and goes on as answers bring it down', async () => {
    const host = new Host(5);
    const { conn, client } = await pair(host);
    client.write(getDatas(1, 40));
    // six outstanding is over the limit of five: the seventh waits
    await host.until(() => host.held.has(conn));
    expect(host.requests.map((r) => r.xid)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(conn.readingHeldBack).toBe(true);
    // one answer brings the count to the limit: one more request is read, which takes it over again
    host.answer(conn, 1, new Uint8Array(1));
    await host.until(() => host.requests.length === 7 && host.held.has(conn));
    expect(host.requests.map((r) => r.xid).slice(-1)).toEqual([7]);
    // answering everything lets every request through, in order
    let answered = 1;
    while (answered < 40) {
      await host.until(() => host.requests.length > answered);
      host.answer(conn, host.requests[answered]!.xid, new Uint8Array(1));
      answered++;
    }
    expect(host.requests.map((r) => r.xid)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await host.until(() => !host.held.has(conn));
    expect(host.total).toBe(0);
  });

  it('stops reading while its unsent replies are over the bound, and reads on once the client reads them', async () => {
    const host = new Host(1000);
    const { conn, client } = await pair(host);
    // every request is answered at once with 256 KiB; the client reads nothing
    host.answerWith = new Uint8Array(256 * 1024);
    client.pause();
    client.write(getDatas(1, 400));
    await host.until(() => host.held.has(conn));
    expect(conn.unsentBytes).toBeGreaterThan(MAX_UNSENT_BYTES);
    const readWhileHeld = host.requests.length;
    // 400 replies of 256 KiB would be 100 MiB: far fewer were made
    expect(readWhileHeld).toBeLessThan(100);
    // the client reads: every request is read and answered, and every reply arrives
    const decoder = new FrameDecoder(1 << 20);
    let frames = 0;
    const all = new Promise<void>((resolve) =>
      client.on('data', (c: Buffer) => {
        frames += decoder.push(c).length;
        if (frames === 401) resolve();
      }),
    );
    client.resume();
    await host.until(() => host.requests.length === 400);
    await all;
    expect(host.requests.map((r) => r.xid)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });
});
