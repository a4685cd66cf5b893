// Connections between simulated clients and members: each a pair of FIFO
// links. A member closing a connection sends what it queued first; a cut
// (a dropped connection, a crashed member) loses what was on its way, and
// each side learns of it as it would over TCP.

import type { ClientEffect, ConnId } from '../core/effects.js';
import type { ConnectRequest, Request } from '../wire/protocol.js';
import type { ClientLine, Dialer, SimClient } from './client.js';
import type { VirtualClock } from './clock.js';
import { Link, type LinkDelays } from './link.js';
import type { Rng } from './rng.js';

/** What a member offers its clients. */
export interface ClientPort {
  readonly id: number;
  readonly serving: boolean;
  open(conn: ConnId, address: string): void;
  connect(conn: ConnId, req: ConnectRequest): void;
  request(conn: ConnId, xid: number, req: Request): void;
  closed(conn: ConnId): void;
}

type Up = { kind: 'connect'; req: ConnectRequest } | { kind: 'request'; xid: number; req: Request };

interface Conn {
  id: ConnId;
  line: ClientLine;
  client: SimClient;
  member: ClientPort;
  up: Link<Up>;
  down: Link<ClientEffect>;
  open: boolean;
}

export class ClientNet implements Dialer {
  private readonly conns = new Map<ConnId, Conn>();
  private next = 1;
  private readonly members = new Map<number, ClientPort>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly delays: () => LinkDelays,
  ) {}

  attach(member: ClientPort): void {
    this.members.set(member.id, member);
  }

  dial(client: SimClient, memberId: number): ClientLine | null {
    const member = this.members.get(memberId);
    if (!member || !member.serving) return null;
    const id = this.next++;
    const line: ClientLine = {
      member: memberId,
      handshake: (req) => c.up.send({ kind: 'connect', req: { protocolVersion: 0, ...req, readOnly: false } }),
      send: (xid, req) => c.up.send({ kind: 'request', xid, req }),
      close: () => this.cut(id, false),
    };
    const c: Conn = {
      id,
      line,
      client,
      member,
      open: true,
      up: new Link<Up>(this.clock, this.rng, this.delays, (m) => {
        if (m.kind === 'connect') member.connect(id, m.req);
        else member.request(id, m.xid, m.req);
      }),
      down: new Link<ClientEffect>(this.clock, this.rng, this.delays, (e) => {
        if (e.kind === 'close') {
          c.down.cut();
          client.lost(line);
          return;
        }
        client.receive(line, e);
      }),
    };
    this.conns.set(id, c);
    member.open(id, `10.1.0.${client.id}`);
    return line;
  }

  /** An effect of a member for one of its connections. */
  toClient(conn: ConnId, e: ClientEffect): void {
    const c = this.conns.get(conn);
    if (!c || !c.open) return;
    c.down.send(e);
    if (e.kind === 'close') {
      // the member closes its end at once; the client learns after what was queued
      c.open = false;
      c.up.cut();
      this.conns.delete(conn);
      c.member.closed(conn);
    }
  }

  /** The connection breaks; `tellClient`: the client learns it (after a delay), else it cut the connection itself. */
  cut(conn: ConnId, tellClient = true): void {
    const c = this.conns.get(conn);
    if (!c) return;
    this.conns.delete(conn);
    c.open = false;
    c.up.cut();
    c.down.cut();
    c.member.closed(conn);
    if (tellClient) {
      const d = this.delays();
      this.clock.after(this.rng.between(d.min, d.max), () => c.client.lost(c.line));
    }
  }

  /** Every connection of a member breaks (it crashed). */
  cutMember(memberId: number): void {
    for (const c of [...this.conns.values()]) if (c.member.id === memberId) this.cut(c.id);
  }

  /** Connections open now, by member. */
  openConns(): ConnId[] {
    return [...this.conns.keys()];
  }
}
