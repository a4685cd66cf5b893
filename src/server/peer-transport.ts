// The TCP between members: one election connection per pair of members (on
// their election ports) and quorum connections from each learner to its
// leader (on the leader's quorum port), carrying what src/server/peer/
// encodes. Bad input on either port — garbage, a wrong protocol version, an
// unknown server id, a member of another ensemble, an oversized packet —
// closes that connection with one log line; the rest goes on.
//
// Election connections follow ZooKeeper's rule: between two members only
// the connection opened by the one with the larger id is kept (the smaller
// one's attempt is closed and answered with a connection the other way).
// A notification for a member not connected waits (the latest only) until a
// connection is up. Unlike ZooKeeper, a new connection does not carry again
// the last notification sent over an earlier one: the member may have
// received it, and the election (spec/FastLeaderElection.tla) has each
// notification arrive at most once. What a broken connection lost, the
// member sends again: on its notification timeout, and, when it is looking,
// as soon as an election connection comes up (Member.electionConnected).

import net from 'node:net';
import type { Notification, QuorumPacket, ServerId } from '../core/zab/messages.js';
import type { Logger } from './log.js';
import type { QuorumServer } from './config.js';
import {
  ElectionDecoder,
  PeerProtocolError,
  QuorumDecoder,
  SnapshotStream,
  encodeElectionHandshake,
  encodeLearnerInfo,
  encodeNotification,
  encodeQuorumPacket,
  type PeerCheck,
  type PlainPacket,
} from './peer-codec.js';

/** Who hears what the transport receives (the member's driver). */
export interface PeerHandler {
  onVote(from: ServerId, n: Notification): void;
  /** an election connection to `peer` came up (after what waited for it was sent) */
  onElectionConnected?(peer: ServerId): void;
  /** `accepted`: the peer opened the connection (it named itself in its first packet); otherwise this member did */
  onQuorumConnected(conn: number, peer: ServerId, accepted: boolean): void;
  onQuorumFailed(peer: ServerId): void;
  onQuorumClosed(conn: number): void;
  onPacket(conn: number, packet: QuorumPacket): void;
}

export interface PeerTransportOptions {
  myid: ServerId;
  servers: readonly QuorumServer[];
  check: PeerCheck;
  logger: Logger;
  handler: PeerHandler;
  /** how long a connection attempt may take, ms */
  connectTimeoutMs: number;
  /** the largest quorum packet accepted */
  maxPacketBytes: number;
  /**
   * Hears of every message to or from another member (a member trace): the
   * way it went (kind:host:port>host:port, the sender's view) and its number
   * that way, which both ends compute alike (see src/trace/events.ts).
   * Called for a message sent when it is queued for its connection, for one
   * received before the handler hears of it.
   */
  wire?: (dir: 'send' | 'recv', channel: string, n: number) => void;
  /** called right before anything is written to a peer's socket (a member trace goes to its file first) */
  beforeWrite?: () => void;
}

/** A connection's names for its messages each way, and how many went each way. */
interface WireCount {
  /** "kind:local>remote" and "kind:remote>local" (asked of the socket once: each is a system call) */
  out: string;
  in: string;
  sent: number;
  received: number;
}

interface ElectionLink {
  socket: net.Socket;
  peer: ServerId;
}

interface QuorumLink {
  id: number;
  socket: net.Socket;
  peer: ServerId | null;
  /** closed by this side: no more callbacks */
  dropped: boolean;
  /** writes wait behind a snapshot being streamed */
  queue: Array<Uint8Array | SnapshotStream>;
  pumping: boolean;
  /** a write of what is queued is due at the end of this turn of the event loop */
  flushDue: boolean;
}

export class PeerTransport {
  private electionServer: net.Server | null = null;
  private quorumServer: net.Server | null = null;
  private readonly election = new Map<ServerId, ElectionLink>();
  private readonly connecting = new Set<ServerId>();
  private readonly waiting = new Map<ServerId, Notification>();
  private readonly quorum = new Map<number, QuorumLink>();
  private nextConn = 1;
  private closed = false;
  private readonly proposals = new WeakMap<object, Uint8Array>();
  private readonly informs = new WeakMap<object, Uint8Array>();
  /** bytes of the proposals sent, as srvr and mntr report them on a leader (-1 before any) */
  readonly proposalSizes = { last: -1, min: -1, max: -1 };
  private readonly me: QuorumServer;
  private readonly counts = new WeakMap<net.Socket, WireCount>();

  constructor(private readonly o: PeerTransportOptions) {
    const me = o.servers.find((s) => s.id === o.myid);
    if (!me) throw new Error(`server ${o.myid} is not in the configuration`);
    this.me = me;
  }

  /** Tells the wire listener of a message on `socket` (`kind`: e election, q quorum). */
  private tap(socket: net.Socket, kind: 'e' | 'q', dir: 'send' | 'recv'): void {
    const wire = this.o.wire;
    if (!wire) return;
    let c = this.counts.get(socket);
    if (!c) {
      const local = `${socket.localAddress}:${socket.localPort}`;
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      c = { out: `${kind}:${local}>${remote}`, in: `${kind}:${remote}>${local}`, sent: 0, received: 0 };
      this.counts.set(socket, c);
    }
    if (dir === 'send') wire('send', c.out, ++c.sent);
    else wire('recv', c.in, ++c.received);
  }

  private server(id: ServerId): QuorumServer {
    const s = this.o.servers.find((x) => x.id === id);
    if (!s) throw new Error(`server ${id} is not in the configuration`);
    return s;
  }

  /** Listens on this member's election and quorum ports. */
  async listen(): Promise<void> {
    this.electionServer = await listenOn(this.me.host, this.me.electionPort, (s) => this.acceptElection(s));
    this.quorumServer = await listenOn(this.me.host, this.me.quorumPort, (s) => this.acceptQuorum(s));
  }

  // ------------------------------------------------------------ election

  sendVote(to: ServerId, n: Notification): void {
    if (this.closed) return;
    if (to === this.o.myid) {
      setImmediate(() => {
        if (!this.closed) this.o.handler.onVote(to, n);
      });
      return;
    }
    const link = this.election.get(to);
    if (link && !link.socket.destroyed) {
      this.tap(link.socket, 'e', 'send');
      this.o.beforeWrite?.();
      link.socket.write(encodeNotification(n));
      return;
    }
    this.waiting.set(to, n);
    this.dialElection(to);
  }

  private dialElection(to: ServerId): void {
    if (this.connecting.has(to) || this.closed) return;
    this.connecting.add(to);
    const s = this.server(to);
    const socket = net.connect({ host: s.host, port: s.electionPort });
    socket.setNoDelay(true);
    socket.setTimeout(this.o.connectTimeoutMs);
    socket.once('timeout', () => socket.destroy());
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connecting.delete(to);
      socket.write(
        encodeElectionHandshake({ serverId: this.o.myid, electionAddress: { host: this.me.host, port: this.me.electionPort }, fingerprint: this.o.check.fingerprint }),
      );
      this.readElection(socket, to);
      // the larger id keeps its connection; the other side drops ours and dials back
      if (this.o.myid > to) this.adoptElection({ socket, peer: to });
    });
    socket.once('error', () => this.connecting.delete(to));
    socket.once('close', () => this.connecting.delete(to));
  }

  private acceptElection(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.readElection(socket, null);
  }

  /** Reads an election connection: the handshake first on one we accepted, then notifications. */
  private readElection(socket: net.Socket, peer: ServerId | null): void {
    const decoder = new ElectionDecoder({ check: this.o.check, ...(peer !== null ? { peer } : {}) });
    socket.on('data', (chunk: Buffer) => {
      let msgs;
      try {
        msgs = decoder.push(chunk);
      } catch (e) {
        this.refuse(socket, 'election', e);
        return;
      }
      for (const m of msgs) {
        if (m.kind === 'handshake') {
          if (m.serverId < this.o.myid) {
            // ZooKeeper's rule: the larger id keeps its connection; answer with ours
            socket.destroy();
            this.dialElection(m.serverId);
            return;
          }
          this.adoptElection({ socket, peer: m.serverId });
        } else if (!this.closed) {
          this.tap(socket, 'e', 'recv');
          this.o.handler.onVote(m.from, m.n);
        }
      }
    });
    socket.on('error', (e) => this.o.logger.debug(`election connection: ${e.message}`));
  }

  private adoptElection(link: ElectionLink): void {
    const old = this.election.get(link.peer);
    if (old && old.socket !== link.socket) old.socket.destroy();
    this.election.set(link.peer, link);
    link.socket.once('close', () => {
      if (this.election.get(link.peer) === link) this.election.delete(link.peer);
    });
    // what waited for a connection
    const last = this.waiting.get(link.peer);
    this.waiting.delete(link.peer);
    if (last) {
      this.tap(link.socket, 'e', 'send');
      this.o.beforeWrite?.();
      link.socket.write(encodeNotification(last));
    }
    this.o.handler.onElectionConnected?.(link.peer);
  }

  // ------------------------------------------------------------ quorum

  /** A learner's connection to its leader; the handler hears onQuorumConnected or onQuorumFailed. */
  connect(to: ServerId): void {
    if (this.closed) return;
    const s = this.server(to);
    const socket = net.connect({ host: s.host, port: s.quorumPort });
    socket.setNoDelay(true);
    socket.setTimeout(this.o.connectTimeoutMs);
    let up = false;
    socket.once('timeout', () => socket.destroy(new Error(`no connection within ${this.o.connectTimeoutMs} ms`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      up = true;
      const link = this.addQuorum(socket, to);
      this.readQuorum(link, new QuorumDecoder({ sender: 'leader', leader: to, maxPacketBytes: this.o.maxPacketBytes }));
      this.o.handler.onQuorumConnected(link.id, to, false);
    });
    socket.once('error', (e) => {
      if (up) return;
      this.o.logger.debug(`cannot connect to the quorum port of server ${to}: ${e.message}`);
    });
    socket.once('close', () => {
      if (!up && !this.closed) this.o.handler.onQuorumFailed(to);
    });
  }

  private acceptQuorum(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const link = this.addQuorum(socket, null);
    this.readQuorum(link, new QuorumDecoder({ sender: 'learner', check: this.o.check, maxPacketBytes: this.o.maxPacketBytes }));
  }

  private addQuorum(socket: net.Socket, peer: ServerId | null): QuorumLink {
    const link: QuorumLink = { id: this.nextConn++, socket, peer, dropped: false, queue: [], pumping: false, flushDue: false };
    this.quorum.set(link.id, link);
    socket.once('close', () => {
      this.quorum.delete(link.id);
      if (!link.dropped && link.peer !== null && !this.closed) this.o.handler.onQuorumClosed(link.id);
    });
    socket.on('error', (e) => this.o.logger.debug(`quorum connection ${link.id}: ${e.message}`));
    return link;
  }

  private readQuorum(link: QuorumLink, decoder: QuorumDecoder): void {
    link.socket.on('data', (chunk) => {
      let packets;
      try {
        packets = decoder.push(chunk);
      } catch (e) {
        this.refuse(link.socket, 'quorum', e);
        return;
      }
      for (const { from, packet } of packets) {
        if (link.dropped || this.closed) return;
        if (link.peer === null) {
          // a learner named itself: the member hears of the connection first
          link.peer = from;
          this.o.handler.onQuorumConnected(link.id, from, true);
        }
        this.tap(link.socket, 'q', 'recv');
        this.o.handler.onPacket(link.id, packet);
      }
    });
  }

  send(conn: number, packet: QuorumPacket): void {
    const link = this.quorum.get(conn);
    if (!link || link.dropped) return;
    this.tap(link.socket, 'q', 'send');
    if (packet.type === 'SNAP') {
      // the database is captured now, whatever is applied while it streams
      link.queue.push(new SnapshotStream(packet));
    } else if (packet.type === 'FOLLOWERINFO' || packet.type === 'OBSERVERINFO') {
      link.queue.push(encodeLearnerInfo(packet, { myid: this.o.myid, fingerprint: this.o.check.fingerprint }));
    } else if (packet.type === 'PROPOSAL' || packet.type === 'INFORM') {
      // the same transaction goes to every learner: encoded once
      const cache = packet.type === 'PROPOSAL' ? this.proposals : this.informs;
      let bytes = cache.get(packet.txn);
      if (bytes === undefined) {
        bytes = encodeQuorumPacket(packet);
        cache.set(packet.txn, bytes);
        if (packet.type === 'PROPOSAL') this.sized(bytes.length);
      }
      link.queue.push(bytes);
    } else {
      link.queue.push(encodeQuorumPacket(packet as PlainPacket));
    }
    // what a step sends to a learner goes out in one write, at the end of this turn
    if (!link.flushDue) {
      link.flushDue = true;
      setImmediate(() => {
        link.flushDue = false;
        this.pump(link);
      });
    }
  }

  private sized(n: number): void {
    const p = this.proposalSizes;
    p.last = n;
    p.min = p.min < 0 ? n : Math.min(p.min, n);
    p.max = Math.max(p.max, n);
  }

  /** Writes the link's queue in order, streaming snapshots with the socket's back-pressure. */
  private pump(link: QuorumLink): void {
    if (link.pumping) return;
    link.pumping = true;
    void (async () => {
      try {
        while (link.queue.length > 0 && !link.socket.destroyed) {
          // the packets up to the next snapshot, in one write
          let n = 0;
          while (n < link.queue.length && link.queue[n] instanceof Uint8Array) n++;
          if (n > 0) {
            const chunk = link.queue.splice(0, n) as Uint8Array[];
            this.o.beforeWrite?.();
            link.socket.write(chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk));
            continue;
          }
          const next = link.queue.shift() as SnapshotStream;
          this.o.beforeWrite?.();
          for await (const piece of next) {
            if (link.socket.destroyed) break;
            if (!link.socket.write(piece)) await new Promise<void>((resolve) => link.socket.once('drain', resolve));
          }
        }
      } catch (e) {
        this.o.logger.warn(`quorum connection ${link.id}: ${(e as Error).message}`);
        link.socket.destroy();
      } finally {
        link.pumping = false;
        if (link.socket.destroyed) {
          for (const x of link.queue) if (!(x instanceof Uint8Array)) void x.return();
          link.queue.length = 0;
        } else if (link.dropped) {
          endSocket(link.socket);
        }
      }
    })();
  }

  /** This side closes the connection: what was queued is sent first; nothing more comes from it. */
  disconnect(conn: number): void {
    const link = this.quorum.get(conn);
    if (!link) return;
    link.dropped = true;
    this.quorum.delete(conn);
    if (!link.pumping && !link.flushDue) endSocket(link.socket);
  }

  private refuse(socket: net.Socket, port: string, e: unknown): void {
    const why = e instanceof PeerProtocolError ? e.message : (e as Error).message;
    this.o.logger.warn(`${port} connection from ${socket.remoteAddress}:${socket.remotePort} closed: ${why}`);
    socket.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.election.values()) l.socket.destroy();
    for (const l of this.quorum.values()) l.socket.destroy();
    await Promise.all([closeServer(this.electionServer), closeServer(this.quorumServer)]);
  }
}

/** Ends a socket after what was written, and destroys it if the other end does not close in time. */
function endSocket(socket: net.Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), 2000).unref();
}

function listenOn(host: string, port: number, accept: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer(accept);
    srv.once('error', reject);
    srv.listen({ host, port, backlog: 128 }, () => {
      srv.removeListener('error', reject);
      resolve(srv);
    });
  });
}

function closeServer(s: net.Server | null): Promise<void> {
  return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
}
