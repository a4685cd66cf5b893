// A standalone server in the simulator: the same StandaloneCore as the real
// server, its log on a virtual disk, its ticks from the virtual clock. A
// crash loses what was not durable; a restart recovers by applying the
// durable log, as the real server replays its log.

import { Database } from '../core/database.js';
import { type ConnId, detach } from '../core/effects.js';
import { sessionIdBase } from '../core/sessions.js';
import { StandaloneCore, type StandaloneConfig } from '../core/standalone.js';
import type { Txn } from '../core/txn.js';
import type { ConnectRequest, Request } from '../wire/protocol.js';
import type { ClientNet, ClientPort } from './clientnet.js';
import type { Timer, VirtualClock } from './clock.js';
import type { SimDisk } from './disk.js';

export interface StandaloneBugs {
  /** apply and answer a write as soon as it is handed to the log, before it is durable */
  ackBeforeFsync?: boolean;
}

export class StandaloneMember implements ClientPort {
  private core: StandaloneCore | null = null;
  private ticker: Timer | null = null;
  private syncAsked = false;
  restarts = 0;

  constructor(
    readonly id: number,
    private readonly clock: VirtualClock,
    readonly disk: SimDisk<Txn>,
    private readonly net: ClientNet,
    private readonly config: StandaloneConfig & { tickTime: number },
    private readonly bugs: StandaloneBugs = {},
  ) {}

  get up(): boolean {
    return this.core !== null;
  }

  get serving(): boolean {
    return this.core !== null;
  }

  get db(): Database | null {
    return this.core?.db ?? null;
  }

  start(): void {
    const db = new Database();
    for (const t of this.disk.durable()) db.apply(t);
    const now = this.clock.now;
    this.core = new StandaloneCore(db, this.config, sessionIdBase(this.id, now), now);
    this.disk.onDurable = (count) => {
      if (count > 0) this.step((core) => core.durable(this.disk.records[count - 1]!.hdr.zxid));
    };
    const every = Math.max(10, Math.floor(this.config.tickTime / 2));
    const tick = (): void => {
      this.step((core) => core.tick(this.clock.now));
      this.ticker = this.clock.after(every, tick);
    };
    this.ticker = this.clock.after(every, tick);
  }

  crash(): void {
    if (!this.core) return;
    this.core = null;
    this.ticker?.cancel();
    this.ticker = null;
    this.disk.crash();
    this.disk.onDurable = () => {};
    this.net.cutMember(this.id);
  }

  restart(): void {
    this.restarts++;
    this.start();
  }

  /** Every transaction this member has applied, in order (standalone: the durable log). */
  committed(): Txn[] {
    return this.disk.durable();
  }

  // ------------------------------------------------------------ ClientPort

  open(conn: ConnId, address: string): void {
    this.step((core) => core.frontend.open(conn, address));
  }

  connect(conn: ConnId, req: ConnectRequest): void {
    this.step((core) => core.frontend.connect(conn, req, this.clock.now));
  }

  request(conn: ConnId, xid: number, req: Request): void {
    this.step((core) => core.frontend.request(conn, xid, req, this.clock.now));
  }

  closed(conn: ConnId): void {
    this.core?.frontend.closed(conn);
  }

  // ------------------------------------------------------------ effects

  private step(input: (core: StandaloneCore) => void): void {
    const core = this.core;
    if (!core) return;
    input(core);
    this.perform(core);
  }

  private perform(core: StandaloneCore): void {
    for (;;) {
      const effects = core.ready();
      if (effects.length === 0) break;
      for (const e of effects) {
        if (e.kind === 'persist') {
          this.disk.append(e.txn);
          this.syncAsked = true;
        } else {
          this.net.toClient(e.conn, detach(e));
        }
      }
      if (this.bugs.ackBeforeFsync && this.syncAsked && this.disk.records.length > 0) {
        core.durable(this.disk.records[this.disk.records.length - 1]!.hdr.zxid);
      }
    }
    if (this.syncAsked) {
      this.syncAsked = false;
      this.disk.sync();
    }
  }
}
