// What every member keeps, whatever its role: the database and the clients
// it serves. It changes only through `apply`, one committed transaction at a
// time in zxid order — whether this member prepared the transaction
// (standalone, leading) or received it (following, observing) — which
// changes the tree, answers the client that asked for it if it is connected
// here, and fires the watches.

import type { ApplyResult, Database } from './database.js';
import type { ClientEffect, Sink } from './effects.js';
import { Frontend, type FrontendConfig, type SessionAuthority, type WritePath } from './frontend.js';
import type { Txn } from './txn.js';

export class Replica {
  readonly frontend: Frontend;

  constructor(
    readonly db: Database,
    sessions: SessionAuthority,
    writes: WritePath,
    out: Sink<ClientEffect>,
    config: FrontendConfig,
  ) {
    this.frontend = new Frontend(db, sessions, writes, out, config);
  }

  get lastZxid(): number {
    return this.db.lastZxid;
  }

  /** Applies a committed transaction (the next in zxid order; anything else is a broken invariant). */
  apply(txn: Txn): ApplyResult {
    const result = this.db.apply(txn);
    this.frontend.applied(txn, result);
    return result;
  }

  /** After a batch of `apply`: syncs waiting for the zxids just applied answer. */
  caughtUp(): void {
    this.frontend.advanced();
  }
}
