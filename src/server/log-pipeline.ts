// The way from "persist this transaction" to "it is durable": appends to
// the transaction log, group commits (one write and one fdatasync for
// everything appended since the previous one, several in flight at once),
// durability reported in zxid order, snapshots every snapCount transactions
// (spread as ZooKeeper spreads them, by a random draw the caller supplies)
// and the log rolled with each. A failure of the log or of a snapshot is
// fatal: the pipeline stops and says so, once.

import type { Database } from '../core/database.js';
import type { Txn } from '../core/txn.js';
import { SnapshotEncoder } from '../wire/snapshot-codec.js';
import { encodeTxn } from '../wire/txn-codec.js';
import type { Logger } from './log.js';
import { writeSnapshot } from './storage/snapshot.js';
import type { TxnLog } from './storage/txnlog.js';

/**
 * Nodes a snapshot serialises per event-loop turn: about a millisecond's
 * work, so that requests wait at most that long behind a snapshot.
 */
const SNAPSHOT_SLICE_NODES = 500;

export interface LogPipelineOptions {
  dataDir: string;
  snapCount: number;
  logger: Logger;
  /** a uniform draw in [0, 1) for spreading snapshots */
  random: () => number;
  /** the time in ms, for the snapshot's log line */
  now: () => number;
  /** everything up to zxid is durable */
  durable: (zxid: number) => void;
  /** the pipeline cannot go on (it has stopped) */
  fatal: (message: string) => void;
  /**
   * The database a snapshot is taken of, once one is due; null when none can
   * be taken now (an ensemble member's core says when: see
   * Member.takeSnapshot), and it is asked again after the next group commit.
   */
  database: () => Database | null;
}

export class LogPipeline {
  private flushScheduled = false;
  private sinceSnapshot = 0;
  private snapshotAt: number;
  private snapshotting: Promise<void> | null = null;
  /** no snapshot of its own is started while set (a leader's snapshot is being installed) */
  holdSnapshots = false;
  failed = false;

  constructor(
    readonly txnLog: TxnLog,
    private readonly opts: LogPipelineOptions,
  ) {
    this.snapshotAt = this.nextSnapshotThreshold();
  }

  append(txn: Txn): void {
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
      void this.flush();
    });
  }

  /**
   * One group commit: everything appended so far and not yet on its way to
   * disk is written and fsynced, then reported durable. Group commits
   * overlap (the log lets several be with its writer at once): what is
   * appended while one waits for its fdatasync goes as the next one. They
   * complete, and are reported, in zxid order.
   */
  private async flush(): Promise<void> {
    if (this.failed || !this.txnLog.needsFlush) return;
    try {
      const zxid = await this.txnLog.flush();
      if (this.failed) return;
      this.opts.durable(zxid);
      if (this.sinceSnapshot >= this.snapshotAt && this.snapshotting === null && !this.holdSnapshots) void this.takeSnapshot();
    } catch (e) {
      this.fail(`cannot write the transaction log, nothing more is acknowledged: ${(e as Error).message}`);
    }
  }

  /** Removes every logged transaction after `zxid`, durably; later appends follow it. */
  async truncate(zxid: number): Promise<void> {
    try {
      await this.txnLog.truncate(zxid);
    } catch (e) {
      this.fail(`cannot truncate the transaction log after zxid 0x${zxid.toString(16)}: ${(e as Error).message}`);
      throw e;
    }
  }

  fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.opts.fatal(message);
  }

  /** ZooKeeper spreads snapshots of an ensemble: each takes one after snapCount/2 + random(snapCount/2) transactions. */
  private nextSnapshotThreshold(): number {
    const half = Math.max(1, Math.floor(this.opts.snapCount / 2));
    return half + Math.floor(this.opts.random() * half);
  }

  /**
   * Snapshots the database as applied now: rolls the log and serialises and
   * writes the snapshot in the background, a slice of nodes per event-loop
   * turn, while requests go on being served. Nothing, when the driver has
   * no database to give now.
   */
  takeSnapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const db = this.opts.database();
    if (db === null) return Promise.resolve();
    const started = this.opts.now();
    const encoder = new SnapshotEncoder(db);
    const zxid = encoder.zxid;
    this.sinceSnapshot = 0;
    this.snapshotAt = this.nextSnapshotThreshold();
    const run = (async () => {
      try {
        await this.txnLog.roll();
        const file = await writeSnapshot(this.opts.dataDir, zxid, slices(encoder));
        this.opts.logger.info(
          `snapshot ${file} written: zxid 0x${zxid.toString(16)}, ${db.tree.nodeCount} nodes now, ${this.opts.now() - started} ms`,
        );
      } catch (e) {
        this.fail(`cannot write the snapshot at zxid 0x${zxid.toString(16)}: ${(e as Error).message}`);
      } finally {
        encoder.close();
        this.snapshotting = null;
      }
    })();
    this.snapshotting = run;
    return run;
  }

  /** Resolves once no snapshot of its own is being written. */
  async snapshotDone(): Promise<void> {
    while (this.snapshotting) await this.snapshotting;
  }

  /** Waits for a snapshot in progress, makes what was appended durable (unless failed) and closes the log. */
  async close(): Promise<void> {
    if (this.snapshotting) await this.snapshotting;
    try {
      if (!this.failed) await this.txnLog.flush();
    } catch {
      // already reported
    }
    await this.txnLog.close();
  }
}

/** A snapshot's chunks, SNAPSHOT_SLICE_NODES nodes per event-loop turn. */
export async function* slices(encoder: SnapshotEncoder): AsyncGenerator<Uint8Array> {
  for (;;) {
    const done = encoder.step(SNAPSHOT_SLICE_NODES);
    yield* encoder.take();
    if (done) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
