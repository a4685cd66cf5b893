// The standalone server: recovery from disk, the client port, the group
// commit loop that makes transactions durable before they are applied and
// answered, session and container ticks, snapshots every snapCount
// transactions and the purge of old files.

import net from 'node:net';
import { StandaloneCore } from '../core/standalone.js';
import { sessionIdBase } from '../core/sessions.js';
import { SnapshotEncoder } from '../wire/snapshot-codec.js';
import { encodeTxn } from '../wire/txn-codec.js';
import type { Txn } from '../core/txn.js';
import { JuteWriter } from '../wire/jute.js';
import { ErrorCode, Xid, type ConnectRequest, type Request } from '../wire/protocol.js';
import { authenticate, normaliseAddress } from './auth.js';
import type { ServerConfig } from './config.js';
import { ClientConnection, newServerCounters, type ConnectionHost, type ServerCounters } from './connection.js';
import type { Logger } from './log.js';
import { recoverDatabase } from './recovery.js';
import { lockDirectory, type DirLock } from './storage/dirlock.js';
import { PurgeScheduler } from './storage/purge.js';
import { loadSessionKey } from './storage/sessionkey.js';
import { writeSnapshot } from './storage/snapshot.js';
import { TxnLog } from './storage/txnlog.js';

/**
 * Group commits handed to the log writer thread at once. While the thread
 * writes and fdatasyncs one, the next waits in its queue: the thread takes it
 * up the moment the first is durable, not after a round trip through the
 * event loop, which is busy answering the first.
 */
const FLUSHES_IN_FLIGHT = 2;

export interface ServerOptions {
  logger: Logger;
  /** log file preallocation (bytes); ZooKeeper's preAllocSize, default 64 MiB */
  preAllocSize?: number;
  /** answers four-letter words; null when the bytes are not one */
  fourLetterWord?: (firstChunk: Buffer, server: ZkServer, conn: ClientConnection) => string | null;
}

/**
 * Nodes a snapshot serialises per event-loop turn: about a millisecond's
 * work, so that requests wait at most that long behind a snapshot.
 */
const SNAPSHOT_SLICE_NODES = 500;

/** How long a connection may stay open without a handshake (ZooKeeper's default sessionless timeout). */
export const SESSIONLESS_CONNECTION_TIMEOUT_MS = 10000;

export class ZkServer implements ConnectionHost {
  readonly maxFrame: number;
  readonly conns = new Map<number, ClientConnection>();
  readonly startedAt = Date.now();
  /** ZooTrace's mask, as gtmk/stmk read and set it */
  traceMask = 306n;
  readonly counters: ServerCounters = newServerCounters();
  authFailures = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly writer = new JuteWriter(256 * 1024);
  private readonly dirtyConns = new Set<ClientConnection>();
  /** Requests received on all connections and not yet answered. */
  private outstandingTotal = 0;
  /** Connections that stopped reading until their replies drain or the load drops. */
  private readonly holdingConns = new Set<ClientConnection>();
  private nextConnId = 1;
  private listener: net.Server | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private purger: PurgeScheduler | null = null;
  private flushScheduled = false;
  private stopping = false;
  private failed = false;
  private halt!: (e: Error) => void;
  /**
   * Settles with the error that stopped the server on its own (a log or
   * snapshot write that failed, a lost directory lock); never settles when
   * it is stopped by `stop()`. The process must then exit non-zero.
   */
  readonly halted: Promise<Error> = new Promise<Error>((resolve) => (this.halt = resolve));
  private sinceSnapshot = 0;
  private snapshotAt: number;
  private snapshotting: Promise<void> | null = null;
  readonly log: Logger;

  private constructor(
    readonly config: ServerConfig,
    readonly core: StandaloneCore,
    readonly txnLog: TxnLog,
    private readonly locks: DirLock[],
    private readonly options: ServerOptions,
  ) {
    this.log = options.logger;
    this.maxFrame = config.juteMaxBuffer;
    this.snapshotAt = this.nextSnapshotThreshold();
  }

  /** Recovers the database from disk and starts serving clients. */
  static async start(config: ServerConfig, options: ServerOptions): Promise<ZkServer> {
    const log = options.logger;
    // The log takes the lock of its folder too; within this process the locks are shared.
    const locks: DirLock[] = [];
    let txnLog: TxnLog;
    try {
      for (const dir of new Set([config.dataDir, config.dataLogDir])) locks.push(await lockDirectory(dir, log));
      txnLog = await TxnLog.open(config.dataLogDir, {
        forceSync: config.forceSync,
        flushesInFlight: FLUSHES_IN_FLIGHT,
        logger: log.child('txnlog'),
        ...(options.preAllocSize !== undefined ? { preAllocSize: options.preAllocSize } : {}),
      });
    } catch (e) {
      for (const l of locks) await l.release();
      throw e;
    }
    let server: ZkServer;
    try {
      const sessionKey = await loadSessionKey(config.dataDir, log);
      const { db } = await recoverDatabase(config.dataDir, txnLog, log);
      const now = Date.now();
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
    await server.listen();
    return server;
  }

  private listen(): Promise<void> {
    const { clientPort, clientPortAddress } = this.config;
    return new Promise((resolve, reject) => {
      const srv = net.createServer((socket) => this.accept(socket));
      srv.once('error', reject);
      srv.listen({ port: clientPort, host: clientPortAddress ?? undefined, backlog: 511 }, () => {
        srv.removeListener('error', reject);
        srv.on('error', (e) => this.log.error(`client port: ${e.message}`));
        this.listener = srv;
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
        resolve();
      });
    });
  }

  /** The address the client port listens on. */
  address(): { host: string; port: number } {
    const a = this.listener?.address();
    if (!a || typeof a === 'string') throw new Error('not listening');
    return { host: a.address, port: a.port };
  }

  now(): number {
    return Date.now();
  }

  // ------------------------------------------------------------ connections

  private accept(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const address = normaliseAddress(socket.remoteAddress);
    const max = this.config.maxClientCnxns;
    const count = this.byAddress.get(address) ?? 0;
    if (max > 0 && count >= max) {
      this.log.warn(`too many connections from ${address} - max is ${max}`);
      socket.destroy();
      return;
    }
    this.byAddress.set(address, count + 1);
    const conn = new ClientConnection(this.nextConnId++, socket, address, this, this.writer, this.counters);
    this.conns.set(conn.id, conn);
    this.core.frontend.open(conn.id, address);
    // as ZooKeeper's zookeeper.nio.sessionlessCnxnTimeout: a connection that
    // has not asked for a session by then is closed
    setTimeout(() => {
      if (!conn.initialized && !conn.closing && this.conns.get(conn.id) === conn) {
        conn.close(`no session request within ${SESSIONLESS_CONNECTION_TIMEOUT_MS} ms`);
      }
    }, SESSIONLESS_CONNECTION_TIMEOUT_MS).unref();
  }

  closed(conn: ClientConnection): void {
    if (!this.conns.delete(conn.id)) return;
    const n = (this.byAddress.get(conn.address) ?? 1) - 1;
    if (n <= 0) this.byAddress.delete(conn.address);
    else this.byAddress.set(conn.address, n);
    this.dirtyConns.delete(conn);
    this.core.frontend.closed(conn.id);
  }

  /** ZooKeeper's throttle: over globalOutstandingLimit, connections with requests outstanding stop reading. */
  overloaded(): boolean {
    return this.outstandingTotal > this.config.globalOutstandingLimit;
  }

  outstandingChanged(delta: number): void {
    const was = this.outstandingTotal;
    this.outstandingTotal += delta;
    if (delta < 0 && was > this.config.globalOutstandingLimit && !this.overloaded()) {
      for (const c of this.holdingConns) c.readMore();
    }
  }

  holding(conn: ClientConnection, on: boolean): void {
    if (on) this.holdingConns.add(conn);
    else this.holdingConns.delete(conn);
  }

  fourLetterWord(firstChunk: Buffer, conn: ClientConnection): string | null {
    return this.options.fourLetterWord ? this.options.fourLetterWord(firstChunk, this, conn) : null;
  }

  handshake(conn: ClientConnection, req: ConnectRequest): void {
    if (this.failed) return;
    this.core.frontend.connect(conn.id, req, Date.now());
    this.perform();
    this.afterInput();
  }

  request(conn: ClientConnection, xid: number, req: Request): void {
    if (this.failed) return;
    this.core.frontend.request(conn.id, xid, req, Date.now());
    this.perform();
    this.afterInput();
  }

  reject(conn: ClientConnection, xid: number, type: number, err: number, closeReason?: string): void {
    if (this.failed) return;
    this.core.frontend.reject(conn.id, xid, type, err, closeReason);
    this.perform();
    this.afterInput();
  }

  /** Carries out what the core asked for in its last steps. */
  private perform(): void {
    for (const e of this.core.ready()) {
      switch (e.kind) {
        case 'reply':
          this.conns.get(e.conn)?.sendReply(e.xid, e.zxid, e.err, e.type, e.response);
          break;
        case 'notify':
          this.conns.get(e.conn)?.sendNotification(e.event, e.zxid);
          break;
        case 'connected':
          this.conns.get(e.conn)?.sendConnected(e.response);
          break;
        case 'close':
          this.conns.get(e.conn)?.close(e.reason);
          break;
        case 'persist':
          this.logTxn(e.txn);
          break;
      }
    }
  }

  auth(conn: ClientConnection, scheme: string, auth: Uint8Array | null): void {
    const ids = authenticate(scheme, auth, { address: conn.address, superDigest: this.config.superDigest });
    if (ids === null) {
      this.authFailures++;
      this.log.warn(`${conn.describe()}: authentication with unknown scheme ${scheme} failed`);
      conn.sendReply(Xid.auth, 0, ErrorCode.AuthFailed, 100, undefined);
      conn.close(`authentication failed for scheme ${scheme}`);
      return;
    }
    for (const id of ids) this.core.frontend.addAuth(conn.id, id);
    conn.sendReply(Xid.auth, 0, 0, 100, undefined);
    this.afterInput();
  }

  dirty(conn: ClientConnection): void {
    this.dirtyConns.add(conn);
  }

  /** Sends every connection's queued output in one batch per connection. */
  private flushOutput(): void {
    if (this.dirtyConns.size === 0) return;
    for (const c of this.dirtyConns) c.flush();
    this.dirtyConns.clear();
  }

  private outputScheduled = false;
  private afterInput(): void {
    if (this.outputScheduled) return;
    this.outputScheduled = true;
    // replies to everything that arrived in this batch of socket reads go out
    // together, once per event loop turn: a tick after each read would write
    // to a connection once per read, and several reads of one connection
    // often land in the same turn
    setImmediate(() => {
      this.outputScheduled = false;
      this.flushOutput();
    });
  }

  // ------------------------------------------------------------ durability

  private logTxn(txn: Txn): void {
    // after a fatal error nothing more is logged, and so nothing more is answered
    if (this.failed) return;
    this.txnLog.append({ zxid: txn.hdr.zxid, payload: encodeTxn(txn) });
    this.sinceSnapshot++;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flushLog();
    });
  }

  /**
   * One group commit: everything appended so far and not yet on its way to
   * disk is written and fsynced, then applied and answered. Group commits
   * overlap (up to FLUSHES_IN_FLIGHT are with the log writer at once): what
   * is appended while one waits for its fdatasync is handed over as the next
   * one. They complete, and are answered, in zxid order.
   */
  private async flushLog(): Promise<void> {
    if (this.failed || !this.txnLog.needsFlush) return;
    try {
      const zxid = await this.txnLog.flush();
      if (this.failed) return;
      this.core.durable(zxid);
      this.perform();
      this.flushOutput();
      if (this.sinceSnapshot >= this.snapshotAt && this.snapshotting === null) this.takeSnapshot();
    } catch (e) {
      this.fatal(`cannot write the transaction log, nothing more is acknowledged: ${(e as Error).message}`);
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
    this.log.error(`fatal: ${message}`);
    const err = new Error(message);
    void this.stop().then(
      () => this.halt(err),
      () => this.halt(err),
    );
  }

  /** ZooKeeper spreads snapshots of an ensemble: each takes one after snapCount/2 + random(snapCount/2) transactions. */
  private nextSnapshotThreshold(): number {
    const half = Math.max(1, Math.floor(this.config.snapCount / 2));
    return half + Math.floor(Math.random() * half);
  }

  /**
   * Snapshots the database as applied now: rolls the log and serialises and
   * writes the snapshot in the background, a slice of nodes per event-loop
   * turn, while requests go on being served.
   */
  takeSnapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const db = this.core.db;
    const started = Date.now();
    const encoder = new SnapshotEncoder(db);
    const zxid = encoder.zxid;
    this.sinceSnapshot = 0;
    this.snapshotAt = this.nextSnapshotThreshold();
    const run = (async () => {
      try {
        await this.txnLog.roll();
        const file = await writeSnapshot(this.config.dataDir, zxid, slices(encoder));
        this.log.info(`snapshot ${file} written: zxid 0x${zxid.toString(16)}, ${db.tree.nodeCount} nodes now, ${Date.now() - started} ms`);
      } catch (e) {
        this.fatal(`cannot write the snapshot at zxid 0x${zxid.toString(16)}: ${(e as Error).message}`);
      } finally {
        encoder.close();
        this.snapshotting = null;
      }
    })();
    this.snapshotting = run;
    return run;
  }

  private tick(): void {
    if (this.failed) return;
    this.core.tick(Date.now());
    this.perform();
    this.flushOutput();
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
    this.stopping = true;
    this.stopped = (async () => {
      if (this.ticker) clearInterval(this.ticker);
      await this.purger?.stop();
      const closing = new Promise<void>((resolve) => (this.listener ? this.listener.close(() => resolve()) : resolve()));
      for (const c of [...this.conns.values()]) c.socket.destroy();
      await closing;
      if (this.snapshotting) await this.snapshotting;
      try {
        if (!this.failed) await this.txnLog.flush();
      } catch {
        // already reported
      }
      await this.txnLog.close();
      for (const l of this.locks) await l.release();
    })();
    return this.stopped;
  }
}

/** A snapshot's chunks, SNAPSHOT_SLICE_NODES nodes per event-loop turn. */
async function* slices(encoder: SnapshotEncoder): AsyncGenerator<Uint8Array> {
  for (;;) {
    const done = encoder.step(SNAPSHOT_SLICE_NODES);
    yield* encoder.take();
    if (done) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
