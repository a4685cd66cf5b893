// The standalone server: recovery from disk, then the parts running
// together (server-shell.ts: the client port, the log pipeline that makes
// transactions durable before they are applied and answered, the purge of
// old files) around the standalone core, whose effects this driver carries
// out, with session and container ticks.

import type { Database } from '../core/database.js';
import type { Frontend } from '../core/frontend.js';
import { StandaloneCore } from '../core/standalone.js';
import { sessionIdBase } from '../core/sessions.js';
import type { ServerConfig } from './config.js';
import type { FourLetterSource } from './fourletter-context.js';
import type { ServerMode } from './fourletter.js';
import { recoverDatabase } from './recovery.js';
import { ServerShell, coreSettings, openStorage, type ShellOptions } from './server-shell.js';
import type { DirLock } from './storage/dirlock.js';
import { loadSessionKey } from './storage/sessionkey.js';
import type { TxnLog } from './storage/txnlog.js';

export { SESSIONLESS_CONNECTION_TIMEOUT_MS } from './client-port.js';
export { FLUSHES_IN_FLIGHT, openStorage } from './server-shell.js';

export type ServerOptions = ShellOptions<ZkServer>;

export class ZkServer extends ServerShell {
  private ticker: NodeJS.Timeout | null = null;

  private constructor(
    config: ServerConfig,
    readonly core: StandaloneCore,
    txnLog: TxnLog,
    locks: DirLock[],
    options: ServerOptions,
  ) {
    super(config, txnLog, locks, options, options.fourLetterWord ? (chunk, conn) => options.fourLetterWord!(chunk, this, conn) : null);
  }

  /** Recovers the database from disk and starts serving clients. */
  static async start(config: ServerConfig, options: ServerOptions): Promise<ZkServer> {
    const log = options.logger;
    const { locks, txnLog } = await openStorage(config, log, options.preAllocSize);
    let server: ZkServer;
    try {
      const sessionKey = await loadSessionKey(config.dataDir, log);
      const { db } = await recoverDatabase(config.dataDir, txnLog, log);
      const now = (options.clock ?? Date.now)();
      const core = new StandaloneCore(db, coreSettings(config, sessionKey), sessionIdBase(config.myid ?? 0, now), now);
      server = new ZkServer(config, core, txnLog, locks, options);
    } catch (e) {
      await txnLog.close();
      for (const l of locks) await l.release();
      throw e;
    }
    await server.port.listen();
    const tick = Math.max(10, Math.floor(config.tickTime / 2));
    server.ticker = setInterval(() => server.tick(), tick);
    server.startPurge();
    return server;
  }

  get db(): Database {
    return this.core.db;
  }

  get frontend(): Frontend {
    return this.core.frontend;
  }

  get expiries(): FourLetterSource['expiries'] {
    const tracker = this.core.tracker;
    return {
      size: tracker.size,
      entries: () => tracker.sessions.values(),
      expiresAt: (id) => tracker.get(id)?.expiresAt,
    };
  }

  role(): { serving: boolean; mode: ServerMode } {
    return { serving: true, mode: 'standalone' };
  }

  protected perform(): void {
    if (this.failed) return;
    for (const e of this.core.ready()) {
      if (e.kind === 'persist') this.pipeline.append(e.txn);
      else this.port.deliver(e);
    }
  }

  protected durable(zxid: number): void {
    this.core.durable(zxid);
    this.perform();
    this.port.flushOutput();
  }

  private tick(): void {
    if (this.failed) return;
    this.core.tick(this.clock());
    this.perform();
    this.port.flushOutput();
    this.checkLocks();
  }

  protected async stopDriver(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
  }
}
