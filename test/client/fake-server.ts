// A scriptable stand-in for a ZooKeeper server on loopback, built on the
// codec: it performs the handshake and hands every request to the test,
// which decides the reply. Used to test the client's protocol handling
// (pipelining, notifications, auth, reconnects) without a real server.

import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/wire/frame.js';
import { JuteReader, UnknownOpcodeError } from '../../src/wire/jute.js';
import {
  ErrorCode,
  type ConnectRequest,
  type Request,
  type RequestHeader,
  type Response,
  type WatcherEvent,
} from '../../src/wire/protocol.js';
import { decodeConnectRequest, encodeConnectResponse, encodeNotification } from '../../src/wire/records.js';
import { decodeRequestFrame } from '../../src/wire/requests.js';
import { encodeReply } from '../../src/wire/responses.js';

export interface Received {
  header: RequestHeader;
  request: Request;
}

/** What to answer: an error code, a response, and the zxid for the reply header. */
export interface Answer {
  err?: number;
  response?: Response;
  zxid?: number;
}

/** Decides the reply to a request; `undefined` means: do not answer (yet). */
export type Handler = (req: Received, conn: FakeConnection) => Answer | undefined;

export class FakeConnection {
  readonly received: Received[] = [];
  /** headers of requests with an opcode the codec does not know (answered Unimplemented) */
  readonly unknown: RequestHeader[] = [];
  /** socket reads that carried at least one request */
  dataEvents = 0;
  connect: ConnectRequest | undefined;
  /** the session id the handshake answered with */
  sessionId = 0n;

  constructor(readonly socket: Socket) {}

  reply(xid: number, answer: Answer): void {
    const err = answer.err ?? 0;
    this.socket.write(encodeReply({ xid, zxid: answer.zxid ?? 1, err }, answer.response));
  }

  notify(event: WatcherEvent, zxid = -1): void {
    this.socket.write(encodeNotification(event, zxid));
  }

  drop(): void {
    this.socket.destroy();
  }
}

export interface FakeServerOptions {
  /** Session ids to answer as expired (timeOut 0). */
  expired?: Set<bigint>;
  /** Cap on the negotiated timeout. */
  maxTimeout?: number;
  /** Answer pings (default true). */
  answerPings?: boolean;
  /** Answer the handshake as a read-only server. */
  readOnly?: boolean;
}

export class FakeServer {
  readonly connections: FakeConnection[] = [];
  private nextSession = 0x100n;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** All requests received so far, over every connection, pings left out. */
  get requests(): Received[] {
    return this.connections.flatMap((c) => c.received).filter((r) => r.header.type !== 11);
  }

  static start(handler: Handler, opts: FakeServerOptions = {}): Promise<FakeServer> {
    return new Promise((resolve) => {
      const srv = createServer((socket) => {
        const conn = new FakeConnection(socket);
        fake.connections.push(conn);
        const decoder = new FrameDecoder();
        socket.on('error', () => undefined);
        socket.on('data', (chunk) => {
          const frames = decoder.push(chunk);
          if (frames.length > 0 && conn.connect !== undefined) conn.dataEvents++;
          for (const f of frames) {
            if (conn.connect === undefined) {
              const c = decodeConnectRequest(new JuteReader(f));
              conn.connect = c;
              const expired = opts.expired?.has(c.sessionId) ?? false;
              const sessionId = c.sessionId === 0n ? fake.nextSession++ : c.sessionId;
              conn.sessionId = expired ? 0n : sessionId;
              socket.write(
                encodeConnectResponse({
                  protocolVersion: 0,
                  timeOut: expired ? 0 : Math.min(c.timeOut, opts.maxTimeout ?? c.timeOut),
                  sessionId: expired ? 0n : sessionId,
                  passwd: c.sessionId === 0n ? Uint8Array.from({ length: 16 }, (_, i) => i + 1) : c.passwd,
                  readOnly: opts.readOnly ?? false,
                }),
              );
              if (expired) socket.end();
              continue;
            }
            let rec: Received;
            try {
              rec = decodeRequestFrame(new JuteReader(f));
            } catch (e) {
              if (!(e instanceof UnknownOpcodeError)) throw e;
              conn.unknown.push({ xid: e.xid!, type: e.opcode });
              conn.reply(e.xid!, { err: ErrorCode.Unimplemented });
              continue;
            }
            conn.received.push(rec);
            if (rec.header.type === 11) {
              if (opts.answerPings ?? true) conn.reply(-2, {});
              continue;
            }
            const answer = handler(rec, conn);
            if (answer !== undefined) conn.reply(rec.header.xid, answer);
          }
        });
      });
      const fake: FakeServer = new FakeServer(srv, 0);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        (fake as { port: number }).port = typeof addr === 'object' && addr !== null ? addr.port : 0;
        resolve(fake);
      });
    });
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
