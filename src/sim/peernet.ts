// The network between simulated members: election connections between every
// pair (a vote to oneself is looped back), and quorum connections that a
// learner opens to its leader. Each direction of a connection is a FIFO
// link. A member that closes a connection, or crashes, resets it: what it
// carried either way is gone, and the other end learns it after a delay. A
// new connection between two members is made only once both ends of the
// last one know it closed (spec/Zab.tla: nothing sent on a connection
// arrives on a later one). A partition loses election messages, and holds
// what quorum connections carry until it heals (TCP retransmits); the
// members on either side find out only by their timeouts, and a member that
// closes a connection meanwhile never sees what was held for it.

import type { Notification, QuorumPacket, ServerId } from '../core/zab/messages.js';
import type { VirtualClock } from './clock.js';
import { Link, type LinkDelays } from './link.js';
import type { Rng } from './rng.js';

export interface PeerEndpoint {
  readonly id: ServerId;
  readonly up: boolean;
  onVote(from: ServerId, n: Notification): void;
  /** `accepted`: the peer opened the connection */
  onQuorumConnected(conn: number, peer: ServerId, accepted: boolean): void;
  onQuorumFailed(peer: ServerId): void;
  onQuorumClosed(conn: number): void;
  onPacket(conn: number, packet: QuorumPacket): void;
}


interface QuorumConn {
  id: number;
  a: ServerId;
  b: ServerId;
  toA: Link<QuorumPacket>;
  toB: Link<QuorumPacket>;
}

export class PeerNet {
  private readonly endpoints = new Map<ServerId, PeerEndpoint>();
  private readonly voteLinks = new Map<string, Link<Notification>>();
  private readonly conns = new Map<number, QuorumConn>();
  private nextConn = 1;
  /** pairs of members (`a<b`) with a closed connection one end has not heard of yet */
  private readonly closing = new Map<string, number>();
  /** which side of a partition each member is on; absent: no partition */
  private side: Map<ServerId, number> | null = null;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly delays: () => LinkDelays,
  ) {}

  attach(e: PeerEndpoint): void {
    this.endpoints.set(e.id, e);
  }

  /** Whether `a` and `b` can reach each other now. */
  reachable(a: ServerId, b: ServerId): boolean {
    if (a === b) return true;
    if (!this.side) return true;
    return this.side.get(a) === this.side.get(b);
  }

  private after(run: () => void): void {
    const d = this.delays();
    this.clock.after(this.rng.between(d.min, d.max), run);
  }

  // ------------------------------------------------------------ election

  sendVote(from: ServerId, to: ServerId, n: Notification): void {
    const dest = this.endpoints.get(to);
    if (!dest) return;
    if (from === to) {
      this.clock.after(0, () => {
        if (dest.up) dest.onVote(from, n);
      });
      return;
    }
    if (!this.reachable(from, to) || !dest.up) return;
    const key = `${from}>${to}`;
    let link = this.voteLinks.get(key);
    if (!link) {
      link = new Link<Notification>(this.clock, this.rng, this.delays, (m) => {
        if (dest.up) dest.onVote(from, m);
      });
      this.voteLinks.set(key, link);
    }
    link.send(n);
  }

  private cutVoteLinks(pred: (from: ServerId, to: ServerId) => boolean): void {
    for (const [key, link] of [...this.voteLinks]) {
      const [from, to] = key.split('>').map(Number) as [number, number];
      if (pred(from, to)) {
        link.cut();
        this.voteLinks.delete(key);
      }
    }
  }

  // ------------------------------------------------------------ quorum connections

  private pairKey(a: ServerId, b: ServerId): string {
    return a < b ? `${a}<${b}` : `${b}<${a}`;
  }

  /** The other end of connection `c` learns, after a delay, that it was reset. */
  private resetNotice(c: QuorumConn, other: ServerId): void {
    const key = this.pairKey(c.a, c.b);
    this.closing.set(key, (this.closing.get(key) ?? 0) + 1);
    this.after(() => {
      const left = this.closing.get(key)! - 1;
      if (left === 0) this.closing.delete(key);
      else this.closing.set(key, left);
      const e = this.endpoints.get(other);
      if (e?.up) e.onQuorumClosed(c.id);
    });
  }

  connect(from: ServerId, to: ServerId): void {
    this.after(() => this.establish(from, to));
  }

  private establish(from: ServerId, to: ServerId): void {
    {
      const a = this.endpoints.get(from);
      const b = this.endpoints.get(to);
      if (!a?.up) return;
      if (!b?.up || !this.reachable(from, to)) {
        a.onQuorumFailed(to);
        return;
      }
      if (this.closing.has(this.pairKey(from, to))) {
        // the last connection between them is still being torn down
        this.after(() => this.establish(from, to));
        return;
      }
      const id = this.nextConn++;
      const receiver = (e: PeerEndpoint) => (p: QuorumPacket) => {
        if (e.up) e.onPacket(id, p);
      };
      const c: QuorumConn = {
        id,
        a: from,
        b: to,
        toA: new Link<QuorumPacket>(this.clock, this.rng, this.delays, receiver(a)),
        toB: new Link<QuorumPacket>(this.clock, this.rng, this.delays, receiver(b)),
      };
      this.conns.set(id, c);
      // the connecting end first: one it no longer wants it closes before the other end hears of it
      a.onQuorumConnected(id, to, false);
      if (this.conns.has(id)) b.onQuorumConnected(id, from, true);
    }
  }

  send(conn: number, from: ServerId, packet: QuorumPacket): void {
    const c = this.conns.get(conn);
    if (!c) return;
    (from === c.a ? c.toB : c.toA).send(packet);
  }

  /** `by` closes (resets) the connection: what it carried either way is gone; the other side learns it after a delay. */
  disconnect(conn: number, by: ServerId): void {
    const c = this.conns.get(conn);
    if (!c) return;
    this.conns.delete(conn);
    c.toA.cut();
    c.toB.cut();
    this.resetNotice(c, by === c.a ? c.b : c.a);
  }

  /** A member stops: its connections reset, their ends learn it after a delay. */
  crashed(id: ServerId): void {
    this.cutVoteLinks((from, to) => from === id || to === id);
    for (const c of [...this.conns.values()]) {
      if (c.a !== id && c.b !== id) continue;
      this.conns.delete(c.id);
      c.toA.cut();
      c.toB.cut();
      this.resetNotice(c, c.a === id ? c.b : c.a);
    }
  }

  /** Splits the members into sides; messages between sides are lost without a word. */
  partition(sides: ServerId[][]): void {
    this.side = new Map();
    sides.forEach((ids, i) => ids.forEach((id) => this.side!.set(id, i)));
    this.cutVoteLinks((from, to) => !this.reachable(from, to));
    for (const c of this.conns.values()) {
      if (this.reachable(c.a, c.b)) continue;
      // the connection stays open at both ends; what it carries waits
      c.toA.hold();
      c.toB.hold();
    }
  }

  heal(): void {
    this.side = null;
    for (const c of this.conns.values()) {
      c.toA.release();
      c.toB.release();
    }
  }

  get openConnections(): number {
    return this.conns.size;
  }
}
