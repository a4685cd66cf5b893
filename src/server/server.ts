// The standalone server: recovery from disk, then the parts running
// together — the client port (client-port.ts), the log pipeline that makes
// transactions durable before they are applied and answered
// (log-pipeline.ts), session and container ticks, the purge of old files —
// around the standalone core, whose effects this driver carries out.

import { StandaloneCore } from '../core/standalone.js';
import { sessionIdBase } from '../core/sessions.js';
import type { Database } from '../core/database.js';
import type { Frontend } from '../core/frontend.js';
import { ClientPort } from './client-port.js';
import type { ServerConfig } from './config.js';
import type { ClientConnection, ServerCounters } from './connection.js';
import type { FourLetterSource } from './fourletter-context.js';
import type { ServerMode } from './fourletter.js';
import type { Logger } from './log.js';
import { LogPipeline } from './log-pipeline.js';
import { recoverDatabase } from './recovery.js';
import { lockDirectory, type DirLock } from './storage/dirlock.js';
import { PurgeScheduler } from './storage/purge.js';
import { loadSessionKey } from './storage/sessionkey.js';
import { TxnLog } from './storage/txnlog.js';

export { SESSIONLESS_CONNECTION_TIMEOUT_MS } from './client-port.js';

/**
 * Group commits handed to the log writer thread at once. While the thread
 * writes and fdatasyncs one, the next waits in its queue: the thread takes it
 * up the moment the first is durable, not after a round trip through the
 * event loop, which is busy answering the first.
 */
export const FLUSHES_IN_FLIGHT = 2;

export interface ServerOptions {
  logger: Logger;
  /** log file preallocation (bytes); ZooKeeper's preAllocSize, default 64 MiB */
  preAllocSize?: number;
  /** answers four-letter words; null when the bytes are not one */
  fourLetterWord?: (firstChunk: Buffer, server: ZkServer, conn: ClientConnection) => string | null;
  /** the clock (default Date.now) */
  clock?: () => number;
  /** the random draw that spreads snapshots (default Math.random) */
  random?: () => number;
}

/** Locks the data directories and opens the transaction log in them; undoes both if it fails. */
export async function openStorage(config: ServerConfig, log: Logger, preAllocSize?: number): Promise<{ locks: DirLock[]; txnLog: TxnLog }> {
  // The log takes the lock of its folder too; within this process the locks are shared.
  const locks: DirLock[] = [];
  try {
    for (const dir of new Set([config.dataDir, config.dataLogDir])) locks.push(await lockDirectory(dir, log));
    const txnLog = await TxnLog.open(config.dataLogDir, {
      forceSync: config.forceSync,
      flushesInFlight: FLUSHES_IN_FLIGHT,
      logger: log.child('txnlog'),
      ...(preAllocSize !== undefined ? { preAllocSize } : {}),
    });
    return { locks, txnLog };
  } catch (e) {
    for (const l of locks) await l.release();
    throw e;
  }
}

export class ZkServer implements FourLetterSource {
  readonly port: ClientPort;
  readonly pipeline: LogPipeline;
  readonly startedAt: number;
  /** ZooTrace's mask, as gtmk/stmk read and set it */
  traceMask = 306n;
  private ticker: NodeJS.Timeout | null = null;
  private purger: PurgeScheduler | null = null;
  private failed = false;
  private halt!: (e: Error) => void;
  /**
   * Settles with the error that stopped the server on its own (a log or
   * snapshot write that failed, a lost directory lock); never settles when
   * it is stopped by `stop()`. The process must then exit non-zero.
   */
  readonly halted: Promise<Error> = new Promise<Error>((resolve) => (this.halt = resolve));
  readonly log: Logger;
  private readonly clock: () => number;

  private constructor(
    readonly config: ServerConfig,
    readonly core: StandaloneCore,
    txnLog: TxnLog,
    private readonly locks: DirLock[],
    private readonly options: ServerOptions,
  ) {
    this.log = options.logger;
    this.clock = options.clock ?? Date.now;
    this.startedAt = this.clock();
    this.port = new ClientPort(config, this.log, {
      frontend: (): Frontend => this.core.frontend,
      now: this.clock,
      afterInput: () => this.perform(),
      fourLetterWord: (chunk, conn) => (this.options.fourLetterWord ? this.options.fourLetterWord(chunk, this, conn) : null),
    });
    this.pipeline = new LogPipeline(txnLog, {
      dataDir: config.dataDir,
      snapCount: config.snapCount,
      logger: this.log,
      random: options.random ?? Math.random,
      now: this.clock,
      durable: (zxid) => {
        this.core.durable(zxid);
        this.perform();
        this.port.flushOutput();
      },
      fatal: (message) => this.fatal(message),
      database: () => this.core.db,
    });
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
      const core = new StandaloneCore(
        db,
        {
          minSessionTimeout: config.minSessionTimeout,
          maxSessionTimeout: config.maxSessionTimeout,
          sessionKey,
          extendedTypesEnabled: config.extendedTypesEnabled,
          reconfigEnabled: config.reconfigEnabled,
          enforceQuota: config.enforceQuota,
          containerCheckIntervalMs: config.containerCheckIntervalMs,
          containerMaxPerMinute: config.containerMaxPerMinute,
          containerMaxNeverUsedIntervalMs: config.containerMaxNeverUsedIntervalMs,
        },
        sessionIdBase(config.myid ?? 0, now),
        now,
      );
      server = new ZkServer(config, core, txnLog, locks, options);
    } catch (e) {
      await txnLog.close();
      for (const l of locks) await l.release();
      throw e;
    }
    await server.port.listen();
    server.startTimers();
    return server;
  }

  private startTimers(): void {
    const tick = Math.max(10, Math.floor(this.config.tickTime / 2));
    this.ticker = setInterval(() => this.tick(), tick);
    if (this.config.autopurgePurgeInterval > 0) {
      this.purger = new PurgeScheduler({
        dataDir: this.config.dataDir,
        dataLogDir: this.config.dataLogDir,
        snapRetainCount: this.config.autopurgeSnapRetainCount,
        purgeIntervalHours: this.config.autopurgePurgeInterval,
        logger: this.log.child('purge'),
      });
      this.purger.start();
    }
  }

  /** The address the client port listens on. */
  address(): { host: string; port: number } {
    return this.port.address();
  }

  get conns(): Map<number, ClientConnection> {
    return this.port.conns;
  }

  get counters(): ServerCounters {
    return this.port.counters;
  }

  get authFailures(): number {
    return this.port.authFailures;
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

  get txnLog(): TxnLog {
    return this.pipeline.txnLog;
  }

  takeSnapshot(): Promise<void> {
    return this.pipeline.takeSnapshot();
  }

  /** Carries out what the core asked for in its last steps. */
  private perform(): void {
    if (this.failed) return;
    for (const e of this.core.ready()) {
      if (e.kind === 'persist') this.pipeline.append(e.txn);
      else this.port.deliver(e);
    }
  }

  /**
   * An error the server cannot go on from: one ERROR line, no more input or
   * writes, everything closed, then `halted` settles. Whatever was
   * acknowledged is durable already; what was not is never acknowledged.
   */
  private fatal(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.port.halted = true;
    this.pipeline.failed = true;
    this.log.error(`fatal: ${message}`);
    const err = new Error(message);
    void this.stop().then(
      () => this.halt(err),
      () => this.halt(err),
    );
  }

  private tick(): void {
    if (this.failed) return;
    this.core.tick(this.clock());
    this.perform();
    this.port.flushOutput();
    this.checkLocks();
  }

  private checkingLocks = false;

  /** A data directory whose lock file was removed or replaced could be taken by a second server: stop. */
  private checkLocks(): void {
    if (this.checkingLocks) return;
    this.checkingLocks = true;
    void (async () => {
      try {
        for (const l of this.locks) {
          const why = await l.check();
          if (why !== null) this.fatal(`lost the lock of ${l.dir}: ${why}`);
        }
      } catch (e) {
        this.fatal(`cannot check the lock of the data directory: ${(e as Error).message}`);
      } finally {
        this.checkingLocks = false;
      }
    })();
  }

  // ------------------------------------------------------------ shutdown

  private stopped: Promise<void> | null = null;

  /** Stops accepting clients, closes every connection, makes the log durable and releases the directories. */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.port.halted = true;
    this.stopped = (async () => {
      if (this.ticker) clearInterval(this.ticker);
      await this.purger?.stop();
      await this.port.close();
      await this.pipeline.close();
      for (const l of this.locks) await l.release();
    })();
    return this.stopped;
  }
}
