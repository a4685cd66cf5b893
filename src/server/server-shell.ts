// What every server process shares, whichever core it drives (the
// standalone core, or an ensemble member): the locked data directories and
// the open transaction log (`openStorage`), the client port and the log
// pipeline, the purge of old files, the check that the directory lock is
// still ours, and the rule that a fatal error stops everything with one
// ERROR line and settles `halted`, so that the process exits non-zero.

import type { Database } from '../core/database.js';
import type { Frontend } from '../core/frontend.js';
import { ClientPort } from './client-port.js';
import type { ServerConfig } from './config.js';
import type { ClientConnection, ServerCounters } from './connection.js';
import type { FourLetterSource } from './fourletter-context.js';
import type { Logger } from './log.js';
import { LogPipeline } from './log-pipeline.js';
import { lockDirectory, type DirLock } from './storage/dirlock.js';
import { PurgeScheduler } from './storage/purge.js';
import { TxnLog } from './storage/txnlog.js';

/**
 * Group commits handed to the log writer thread at once. While the thread
 * writes and fdatasyncs one, the next waits in its queue: the thread takes it
 * up the moment the first is durable, not after a round trip through the
 * event loop, which is busy answering the first.
 */
export const FLUSHES_IN_FLIGHT = 2;

export interface ShellOptions<S> {
  logger: Logger;
  /** log file preallocation (bytes); ZooKeeper's preAllocSize, default 64 MiB */
  preAllocSize?: number;
  /** answers four-letter words; null when the bytes are not one */
  fourLetterWord?: (firstChunk: Buffer, server: S, conn: ClientConnection) => string | null;
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

/** The settings every core takes from zoo.cfg: client sessions, prep, containers. */
export function coreSettings(config: ServerConfig, sessionKey: Uint8Array) {
  return {
    minSessionTimeout: config.minSessionTimeout,
    maxSessionTimeout: config.maxSessionTimeout,
    sessionKey,
    extendedTypesEnabled: config.extendedTypesEnabled,
    reconfigEnabled: config.reconfigEnabled,
    enforceQuota: config.enforceQuota,
    containerCheckIntervalMs: config.containerCheckIntervalMs,
    containerMaxPerMinute: config.containerMaxPerMinute,
    containerMaxNeverUsedIntervalMs: config.containerMaxNeverUsedIntervalMs,
  };
}

export abstract class ServerShell implements FourLetterSource {
  readonly port: ClientPort;
  readonly pipeline: LogPipeline;
  readonly startedAt: number;
  /** ZooTrace's mask, as gtmk/stmk read and set it */
  traceMask = 306n;
  readonly log: Logger;
  protected readonly clock: () => number;
  protected failed = false;
  private purger: PurgeScheduler | null = null;
  private halt!: (e: Error) => void;
  /**
   * Settles with the error that stopped the server on its own (a log or
   * snapshot write that failed, a lost directory lock); never settles when
   * it is stopped by `stop()`. The process must then exit non-zero.
   */
  readonly halted: Promise<Error> = new Promise<Error>((resolve) => (this.halt = resolve));

  protected constructor(
    readonly config: ServerConfig,
    txnLog: TxnLog,
    private readonly locks: DirLock[],
    options: ShellOptions<never>,
    fourLetterWord: ((chunk: Buffer, conn: ClientConnection) => string | null) | null,
  ) {
    this.log = options.logger;
    this.clock = options.clock ?? Date.now;
    this.startedAt = this.clock();
    this.port = new ClientPort(config, this.log, {
      frontend: () => this.frontend,
      now: this.clock,
      afterInput: () => this.perform(),
      fourLetterWord: (chunk, conn) => (fourLetterWord ? fourLetterWord(chunk, conn) : null),
    });
    this.pipeline = new LogPipeline(txnLog, {
      dataDir: config.dataDir,
      snapCount: config.snapCount,
      logger: this.log,
      random: options.random ?? Math.random,
      now: this.clock,
      durable: (zxid) => this.durable(zxid),
      fatal: (message) => this.fatal(message),
      database: () => this.snapshotDatabase(),
    });
  }

  // ------------------------------------------------------------ what a driver provides

  abstract get db(): Database;
  abstract get frontend(): Frontend;
  abstract get expiries(): FourLetterSource['expiries'];
  abstract role(): ReturnType<FourLetterSource['role']>;
  /** Carries out what the core asked for in its last steps. */
  protected abstract perform(): void;
  /** Everything up to zxid is durable in the log. */
  protected abstract durable(zxid: number): void;
  /** Stops what the driver runs besides the client port and the log (timers, peer links). */
  protected abstract stopDriver(): Promise<void>;

  /** The database a snapshot of this server's own is taken of now; null when none can be taken now. */
  protected snapshotDatabase(): Database | null {
    return this.db;
  }

  // ------------------------------------------------------------ shared

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

  get txnLog(): TxnLog {
    return this.pipeline.txnLog;
  }

  takeSnapshot(): Promise<void> {
    return this.pipeline.takeSnapshot();
  }

  /** Removes old snapshots and logs every autopurge.purgeInterval hours, if set. */
  protected startPurge(): void {
    if (this.config.autopurgePurgeInterval <= 0) return;
    this.purger = new PurgeScheduler({
      dataDir: this.config.dataDir,
      dataLogDir: this.config.dataLogDir,
      snapRetainCount: this.config.autopurgeSnapRetainCount,
      purgeIntervalHours: this.config.autopurgePurgeInterval,
      logger: this.log.child('purge'),
    });
    this.purger.start();
  }

  /**
   * An error the server cannot go on from: one ERROR line, no more input or
   * writes, everything closed, then `halted` settles. Whatever was
   * acknowledged is durable already; what was not is never acknowledged.
   */
  protected fatal(message: string): void {
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

  private checkingLocks = false;

  /** A data directory whose lock file was removed or replaced could be taken by a second server: stop. */
  protected checkLocks(): void {
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

  private stopped: Promise<void> | null = null;

  /** Stops taking input, closes every connection, makes the log durable and releases the directories. */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.port.halted = true;
    this.stopped = (async () => {
      await this.stopDriver();
      await this.purger?.stop();
      await this.port.close();
      await this.pipeline.close();
      for (const l of this.locks) await l.release();
    })();
    return this.stopped;
  }
}
