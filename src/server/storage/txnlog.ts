// The transaction log: records `{ zxid, payload }` with strictly increasing
// zxids, appended in memory and made durable by `flush()` with one write and
// one fdatasync for everything appended since the previous flush (group
// commit), which the log writer thread performs (logwriter.ts). Files are
// `<dir>/version-2/log.<hex of their first zxid>` in the format described in
// logformat.ts. Payloads are opaque bytes.
//
// Recovery happens in `open()`: the newest file is read to its end; a record
// cut short by a crash (followed only by zeros or by bytes that hold no valid
// record) is truncated with a warning, while a damaged record followed by
// valid ones stops start-up with a StorageCorruptionError. Older files are
// checked record by record when `readFrom()` reads them.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { lockDirectory, type DirLock } from './dirlock.js';
import { StorageCorruptionError, StorageError, StorageFormatError, hex } from './errors.js';
import {
  ensureDir,
  listZxidFiles,
  readFully,
  syncDir,
  versionDir,
  zxidFileName,
  type ZxidFile,
} from './files.js';
import {
  checkLogHeader,
  classifyTail,
  encodeLogHeader,
  lastNonZero,
  LOG_HEADER_SIZE,
  MAX_PAYLOAD,
  RecordReader,
  type BadRecord,
} from './logformat.js';
import { sharedLogWriter, type LogWriter } from './logwriter.js';
import { RecordBuffer } from './recordbuffer.js';

export interface TxnRecord {
  zxid: number;
  payload: Uint8Array;
}

export interface TxnLogOptions {
  /** fdatasync after every flush (ZooKeeper's forceSync, default yes there). */
  forceSync: boolean;
  /** Files grow in blocks of this many zero bytes; 0 grows them write by write. Default 64 MiB. */
  preAllocSize?: number;
  /** Start a new file once the current one holds this many bytes. Default: only on `roll()`. */
  rollSize?: number;
  logger: Logger;
  /** Log a warning when one fdatasync takes longer (ZooKeeper's fsync.warningthresholdms). Default 1000. */
  fsyncWarningMs?: number;
  /** Take the directory lock (default true). */
  lock?: boolean;
  /**
   * How many flushes may be with the writer at once (default 1). With more
   * than one, a flush hands its records over while earlier ones still wait
   * for their fdatasync: the writer takes them up the moment it is done with
   * the one before, without waiting for the event loop. Durability is
   * reported in order.
   */
  flushesInFlight?: number;
  /** Who writes and fdatasyncs the batches (default: the thread every log of the process shares). */
  writer?: LogWriter;
}

export interface TxnLogStats {
  appends: number;
  flushes: number;
  syncs: number;
  bytesWritten: number;
  /** Total and largest time spent in fdatasync, in milliseconds. */
  syncMsTotal: number;
  syncMsMax: number;
}

export const DEFAULT_PREALLOC_SIZE = 64 * 1024 * 1024;

/** Directories (real paths) with an open log in this process: the directory lock is shared within a process. */
const openLogs = new Set<string>();


interface OpenFile {
  h: fsp.FileHandle;
  file: ZxidFile;
  /** Offset just past the last record handed to the writer. */
  end: number;
  /** Offset just past the last record the writer has finished with (what `readFrom` may read). */
  done: number;
  /** Current file size (preallocated zeros past `end`). */
  size: number;
}

export class TxnLog {
  private readonly vdir: string;
  private readonly logger: Logger;
  private readonly forceSync: boolean;
  private readonly preAllocSize: number;
  private readonly rollSize: number;
  private readonly fsyncWarningMs: number;
  private readonly writer: LogWriter;

  private cur: OpenFile | null;
  private last: number;
  private durable: number;

  private readonly pending = new RecordBuffer();
  private readonly maxInFlight: number;
  /** Flushes handed to the writer and not yet settled. */
  private inFlight = 0;
  /** Settles once every fdatasync started so far has settled (and `durable` has moved past its records). */
  private lastSync: Promise<unknown> = Promise.resolve();
  /** Settles once every file that takes no more records is trimmed and closed. */
  private retiring: Promise<void> = Promise.resolve();
  /** Flushes waiting for one with the writer to settle before they may hand theirs over. */
  private inFlightWaiters: Array<() => void> = [];

  /** Every flush, roll, truncate and close runs after the previous one. */
  private chain: Promise<unknown> = Promise.resolve();
  /** A flush that is queued but has not started: later flush() calls join it. */
  private queuedFlush: Promise<number> | null = null;
  private failure: unknown = null;
  private closed = false;

  readonly stats: TxnLogStats = { appends: 0, flushes: 0, syncs: 0, bytesWritten: 0, syncMsTotal: 0, syncMsMax: 0 };

  private constructor(
    readonly dir: string,
    private readonly realDir: string,
    opts: TxnLogOptions,
    private readonly lock: DirLock | null,
    recovered: { cur: OpenFile | null; lastZxid: number },
  ) {
    this.vdir = versionDir(dir);
    this.logger = opts.logger;
    this.forceSync = opts.forceSync;
    this.preAllocSize = opts.preAllocSize ?? DEFAULT_PREALLOC_SIZE;
    this.rollSize = opts.rollSize ?? Infinity;
    this.fsyncWarningMs = opts.fsyncWarningMs ?? 1000;
    this.maxInFlight = opts.flushesInFlight ?? 1;
    this.writer = opts.writer ?? sharedLogWriter();
    this.cur = recovered.cur;
    this.last = recovered.lastZxid;
    this.durable = recovered.lastZxid;
  }

  /** Opens (creating if needed) the log under `dir`, locks the directory and recovers its tail. */
  static async open(dir: string, opts: TxnLogOptions): Promise<TxnLog> {
    if (opts.preAllocSize !== undefined && !(Number.isSafeInteger(opts.preAllocSize) && opts.preAllocSize >= 0)) {
      throw new RangeError(`preAllocSize must be a non-negative integer, got ${opts.preAllocSize}`);
    }
    if (opts.rollSize !== undefined && !(opts.rollSize > 0)) {
      throw new RangeError(`rollSize must be positive, got ${opts.rollSize}`);
    }
    if (opts.flushesInFlight !== undefined && !(Number.isSafeInteger(opts.flushesInFlight) && opts.flushesInFlight >= 1)) {
      throw new RangeError(`flushesInFlight must be a positive integer, got ${opts.flushesInFlight}`);
    }
    const lock = opts.lock === false ? null : await lockDirectory(dir, opts.logger);
    let key: string | null = null;
    try {
      const vdir = versionDir(dir);
      await ensureDir(vdir);
      const real = await fsp.realpath(dir);
      if (openLogs.has(real)) throw new StorageError(`a transaction log is already open on ${dir} in this process`);
      openLogs.add((key = real));
      const recovered = await recover(vdir, opts.logger);
      return new TxnLog(dir, real, opts, lock, recovered);
    } catch (e) {
      if (key !== null) openLogs.delete(key);
      await lock?.release();
      throw e;
    }
  }

  /** The zxid of the last appended record (flushed or not); 0 for an empty log. */
  get lastZxid(): number {
    return this.last;
  }

  /** The zxid of the last record that a completed flush made durable. */
  get durableZxid(): number {
    return this.durable;
  }

  /** Records were appended that no flush, running or queued, will write: `flush()` starts a new one. */
  get needsFlush(): boolean {
    return this.pending.bytes > 0 && this.queuedFlush === null;
  }

  /** Buffers a record in memory (no I/O). Its zxid must be above every zxid appended before. */
  append(record: TxnRecord): void {
    this.checkUsable();
    const { zxid, payload } = record;
    if (!Number.isSafeInteger(zxid) || zxid <= 0) throw new RangeError(`invalid zxid ${zxid}`);
    if (zxid <= this.last) {
      throw new RangeError(`zxid ${hex(zxid)} is not above the last zxid in the log, ${hex(this.last)}`);
    }
    if (payload.length > MAX_PAYLOAD) throw new RangeError(`record payload of ${payload.length} bytes is too large`);
    this.pending.append(zxid, payload);
    this.last = zxid;
    this.stats.appends++;
  }

  /**
   * Writes everything appended so far in one write, then fdatasyncs (with
   * forceSync). Resolves with the last durable zxid. Calls made while a flush
   * runs share the next one, which covers every record appended before them.
   * The next flush is handed over once fewer than `flushesInFlight` are with the writer.
   */
  flush(): Promise<number> {
    if (this.queuedFlush) return this.queuedFlush;
    const written = this.writeInTurn(false, () => {
      if (this.queuedFlush === p) this.queuedFlush = null;
    });
    const p: Promise<number> = written.then((w) => w.synced);
    this.queuedFlush = p;
    return p;
  }

  /**
   * Ends the current file (after a snapshot): it takes the records not yet
   * written when the roll runs, and the next record starts a new file. Like a
   * flush it holds up the flushes after it only while it hands its records
   * over. The file is trimmed and closed once its last fdatasync is done, in
   * the background: its records are durable before that, and so reported.
   * Resolves once the file is closed.
   */
  roll(): Promise<void> {
    return this.writeInTurn(true).then(async (w) => {
      await w.synced;
      await this.retiring;
      if (this.failure !== null) throw this.failure;
    });
  }

  /**
   * A flush's or roll's turn on the chain: once fewer than `flushesInFlight`
   * flushes are with the writer, `onStart`, then hand over what is staged.
   * The chain goes on once the records are handed over, not once they are
   * written and synced.
   */
  private writeInTurn(endFile: boolean, onStart?: () => void): Promise<{ synced: Promise<number> }> {
    return this.serial(async () => {
      while (this.inFlight >= this.maxInFlight) await new Promise<void>((r) => this.inFlightWaiters.push(r));
      onStart?.();
      return this.writeStaged(endFile);
    }, true);
  }

  /**
   * Drops every record with a zxid above `zxid`, in memory and on disk
   * (replication uses it to discard transactions the leader never
   * committed). The next record starts a new file.
   */
  truncate(zxid: number): Promise<void> {
    return this.serial(() => this.doTruncate(zxid));
  }

  /**
   * Every record with a zxid above `afterZxid`, oldest first, across files,
   * as far as completed flushes have written. Each record's checksum and order is
   * verified; damage raises StorageCorruptionError.
   */
  async *readFrom(afterZxid: number): AsyncGenerator<TxnRecord> {
    this.checkUsable();
    const files = await listZxidFiles(this.vdir, 'log');
    let i = findLastIndex(files, (f) => f.zxid <= afterZxid + 1);
    if (i < 0) i = 0;
    let prev = 0;
    for (; i < files.length; i++) {
      const f = files[i]!;
      const h = await fsp.open(f.path, 'r');
      try {
        const size = (await h.stat()).size;
        const isCurrent = this.cur !== null && this.cur.file.path === f.path;
        // A file being created by a flush that runs now holds nothing durable yet.
        if (isCurrent && this.cur!.done === 0) continue;
        await checkHeader(h, f, size);
        const limit = isCurrent ? this.cur!.done : size;
        const reader = new RecordReader(h, LOG_HEADER_SIZE, limit);
        let count = 0;
        for (let rs = await reader.batch(); rs.length > 0; rs = await reader.batch()) {
          for (const r of rs) {
            checkOrder(f, r.offset, r.zxid, count, prev);
            prev = r.zxid;
            count++;
            if (r.zxid > afterZxid) yield { zxid: r.zxid, payload: Buffer.from(r.payload) };
          }
        }
        if (reader.bad) {
          const stop = await judgeStop(h, f, reader.bad, limit, count, prev, false);
          if (stop.kind !== 'end') throw refusal(stop.error);
        }
      } finally {
        await h.close();
      }
    }
  }

  /** Flushes what is buffered, closes the file and releases the directory lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queuedFlush = null;
    const done = this.chain.then(async () => {
      try {
        if (this.failure === null) await (await this.writeStaged()).synced;
      } finally {
        await this.lastSync;
        await this.retiring;
        await this.closeCurrent(false);
      }
    });
    this.chain = done.catch(() => undefined);
    try {
      await done;
    } finally {
      openLogs.delete(this.realDir);
      await this.lock?.release();
    }
  }

  private serial<T>(op: () => Promise<T>, isFlush = false): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError(`transaction log in ${this.dir} is closed`));
    if (this.failure !== null) return Promise.reject(this.failure);
    // A flush called after another operation must run after it, not join a
    // flush queued before it.
    if (!isFlush) this.queuedFlush = null;
    const run = async (): Promise<T> => {
      // anything but a flush waits for the fdatasyncs in flight and the files being closed
      if (!isFlush) {
        await this.lastSync;
        await this.retiring;
      }
      if (this.failure !== null) throw this.failure;
      return op();
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private checkUsable(): void {
    if (this.closed) throw new StorageError(`transaction log in ${this.dir} is closed`);
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Hands the buffered records to the writer (under the chain); `synced`
   * settles once they are written and durable, after every earlier flush. A
   * file that reaches rollSize, or that `endFile` ends (a roll), is trimmed
   * and closed once its last fdatasync is done, and the next flush starts a
   * new one.
   */
  private async writeStaged(endFile = false): Promise<{ synced: Promise<number> }> {
    if (this.pending.bytes === 0) {
      const cur = endFile ? this.cur : null;
      if (cur === null) return { synced: this.lastSync.then(() => this.afterSyncs()) };
      this.cur = null;
      const synced = this.lastSync.then(() => {
        if (this.failure !== null) throw this.failure;
        this.retireLater(cur);
        return this.durable;
      });
      this.lastSync = synced.catch(() => undefined);
      return { synced };
    }
    const firstZxid = this.pending.firstZxid();
    const batchLast = this.last;
    const records = this.pending.take();
    let cur: OpenFile;
    let created = false;
    let writeAt: number;
    let total: number;
    let head: Buffer | null = null;
    try {
      if (!this.cur) {
        this.cur = await this.createFile(firstZxid);
        created = true;
        head = encodeLogHeader(firstZxid);
      }
      cur = this.cur;
      total = records.reduce((n, b) => n + b.length, head?.length ?? 0);
      writeAt = created ? 0 : cur.end;
      await this.reserve(cur, writeAt + total);
    } catch (e) {
      throw this.fail(e);
    }
    cur.end = writeAt + total;
    const job = this.writer.run({ fd: cur.h.fd, at: writeAt, head, records, sync: this.forceSync });
    // a new file's directory entry is made durable alongside its first records
    const dirSynced = created && this.forceSync ? syncDir(this.vdir) : null;
    dirSynced?.catch(() => undefined);
    const roll = endFile || cur.end >= this.rollSize;
    if (roll) this.cur = null;
    const earlier = this.lastSync;
    this.inFlight++;
    const synced = (async (): Promise<number> => {
      try {
        const { syncMs } = await job;
        this.stats.bytesWritten += total;
        if (this.forceSync) {
          this.stats.syncs++;
          this.stats.syncMsTotal += syncMs;
          if (syncMs > this.stats.syncMsMax) this.stats.syncMsMax = syncMs;
          if (syncMs > this.fsyncWarningMs) {
            this.logger.warn(`fdatasync of ${cur.file.name} took ${syncMs.toFixed(0)} ms, which delays every write waiting on it`);
          }
        }
        await dirSynced;
      } catch (e) {
        throw this.fail(e);
      } finally {
        this.pending.recycle(records);
        this.inFlight--;
        this.inFlightWaiters.shift()?.();
      }
      await earlier;
      if (this.failure !== null) throw this.failure;
      this.stats.flushes++;
      this.durable = batchLast;
      cur.done = writeAt + total;
      if (roll) this.retireLater(cur);
      return this.durable;
    })();
    this.lastSync = synced.catch(() => undefined);
    return { synced };
  }

  /**
   * Trims and closes, in the background, a file that takes no more records
   * and whose fdatasyncs are done; a failure fails the log.
   */
  private retireLater(cur: OpenFile): void {
    this.retiring = this.retiring.then(async () => {
      try {
        await this.closeFile(cur, true);
      } catch (e) {
        this.fail(e);
      }
    });
  }

  /** The durable zxid once the fdatasyncs in flight have settled (or their failure). */
  private afterSyncs(): number {
    if (this.failure !== null) throw this.failure;
    return this.durable;
  }

  /** Marks the log failed: it accepts no more writes. Returns the error. */
  private fail(e: unknown): unknown {
    if (this.failure === null) {
      this.failure = e;
      // every flush from here on rejects with it: the caller reports it
      this.logger.debug(`transaction log write failed, the log accepts no more writes: ${(e as Error).message}`);
    }
    return e;
  }

  private async createFile(zxid: number): Promise<OpenFile> {
    const name = zxidFileName('log', zxid);
    const file: ZxidFile = { path: path.join(this.vdir, name), name, zxid };
    const h = await fsp.open(file.path, 'wx');
    this.logger.info(`started ${name}`);
    return { h, file, end: 0, done: 0, size: 0 };
  }

  /** Grows the file with zeros in preAllocSize blocks so that it holds at least `need` bytes. */
  private async reserve(cur: OpenFile, need: number): Promise<void> {
    if (this.preAllocSize === 0 || need <= cur.size) return;
    const size = Math.ceil(need / this.preAllocSize) * this.preAllocSize;
    await cur.h.truncate(size);
    cur.size = size;
  }

  /** Closes the current file; with `trim`, first cuts its preallocated zeros (it will not grow again). */
  private async closeCurrent(trim: boolean): Promise<void> {
    const cur = this.cur;
    if (!cur) return;
    this.cur = null;
    await this.closeFile(cur, trim);
  }

  private async closeFile(cur: OpenFile, trim: boolean): Promise<void> {
    try {
      if (trim && cur.size > cur.end && this.failure === null) {
        await cur.h.truncate(cur.end);
        if (this.forceSync) await cur.h.datasync();
      }
    } finally {
      await cur.h.close();
    }
  }

  private async doTruncate(zxid: number): Promise<void> {
    if (!Number.isSafeInteger(zxid) || zxid < 0) throw new RangeError(`invalid zxid ${zxid}`);
    if (this.pending.bytes > 0) {
      const kept = this.pending.truncateAfter(zxid);
      if (kept !== null) {
        // Buffered records at or below zxid remain, so the disk holds only smaller ones.
        this.last = kept;
        return;
      }
      this.last = this.durable;
    }
    if (zxid >= this.durable) return;
    const files = await listZxidFiles(this.vdir, 'log');
    const keep = findLastIndex(files, (f) => f.zxid <= zxid);
    if (keep < 0) {
      throw new StorageError(
        `cannot truncate the log to ${hex(zxid)}: its oldest file ${files[0]?.name ?? '(none)'} starts after it`,
      );
    }
    await this.closeCurrent(false);
    for (const f of files.slice(keep + 1).reverse()) {
      await fsp.unlink(f.path);
      this.logger.info(`truncate to ${hex(zxid)}: removed ${f.name}`);
    }
    const f = files[keep]!;
    const h = await fsp.open(f.path, 'r+');
    try {
      const size = (await h.stat()).size;
      await checkHeader(h, f, size);
      const reader = new RecordReader(h, LOG_HEADER_SIZE, size);
      let kept = 0;
      let count = 0;
      let cut = -1;
      scan: for (let rs = await reader.batch(); rs.length > 0; rs = await reader.batch()) {
        for (const r of rs) {
          checkOrder(f, r.offset, r.zxid, count, kept);
          if (r.zxid > zxid) {
            cut = r.offset;
            break scan;
          }
          kept = r.zxid;
          count++;
        }
      }
      if (cut < 0) {
        cut = reader.offset;
        if (reader.bad) {
          const stop = await judgeStop(h, f, reader.bad, size, count, kept, false);
          if (stop.kind !== 'end') throw stop.error;
        }
      }
      if (count === 0) {
        throw new StorageCorruptionError(
          `${f.path} holds no record although its name says it starts at ${hex(f.zxid)}`,
          f.path,
          LOG_HEADER_SIZE,
          undefined,
          0,
        );
      }
      await h.truncate(cut);
      await h.datasync();
      this.last = this.durable = kept;
      this.logger.info(`truncated the log after zxid ${hex(kept)} (${f.name} at offset ${cut})`);
    } finally {
      await h.close();
    }
    await syncDir(this.vdir);
  }
}

function findLastIndex<T>(xs: T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return i;
  return -1;
}

export async function checkHeader(h: fsp.FileHandle, f: ZxidFile, size: number): Promise<void> {
  const header = Buffer.alloc(Math.min(LOG_HEADER_SIZE, size));
  await readFully(h, header, 0, header.length, 0);
  const problem = checkLogHeader(header, f.zxid);
  if (problem) throw new StorageFormatError(`${f.path}: ${problem}`, f.path);
}

/** The first record of a file must carry the file's zxid, and zxids must increase. */
export function checkOrder(f: ZxidFile, offset: number, zxid: number, count: number, prev: number): void {
  if (count === 0 && zxid !== f.zxid) {
    throw new StorageCorruptionError(
      `${f.path}: first record at offset ${offset} has zxid ${hex(zxid)}, but the file name says ${hex(f.zxid)}`,
      f.path,
      offset,
      zxid,
      prev,
    );
  }
  if (zxid <= prev) {
    throw new StorageCorruptionError(
      `${f.path}: record at offset ${offset} has zxid ${hex(zxid)}, not above the zxid before it (${hex(prev)})`,
      f.path,
      offset,
      zxid,
      prev,
    );
  }
}

/** What it means that the records of `f` stopped at `bad`; see logformat.ts for the rules. */
export type Stop = { kind: 'end' } | { kind: 'torn' | 'corrupt'; error: StorageCorruptionError };

/**
 * Judges where the records of `f` stopped (`bad`, within `[0, limit)`),
 * after `count` records the last of which is `lastGood`:
 * - `end`: only zeros follow, the records simply end;
 * - `torn`: a record cut short by a crash with nothing valid after it, which
 *   only the end of the newest log may hold (`mayBeTorn`), with the error
 *   to report where a torn write is not to be repaired;
 * - `corrupt`: anything else: a record written whole that fails its
 *   checksum, a valid record after the bad one, non-zero bytes after the end
 *   of the records, a record cut short where none may be.
 */
export async function judgeStop(
  h: fsp.FileHandle,
  f: ZxidFile,
  bad: BadRecord,
  limit: number,
  count: number,
  lastGood: number,
  mayBeTorn: boolean,
): Promise<Stop> {
  const corrupt = (detail: string): Stop => ({ kind: 'corrupt', error: corruption(f, bad, lastGood, detail) });
  if (bad.kind === 'corrupt') return corrupt('written whole and damaged since');
  const tail = await classifyTail(h, bad.offset, limit, count > 0 ? lastGood : f.zxid - 1);
  if (tail.kind === 'followed') return corrupt(`yet a valid record follows at offset ${tail.offset} (zxid ${hex(tail.zxid)})`);
  if (bad.kind === 'end') return tail.kind === 'zeros' ? { kind: 'end' } : corrupt('the bytes after the end of the records hold no valid record');
  if (!mayBeTorn) return corrupt('a record cut short where no write can have been torn');
  return { kind: 'torn', error: corruption(f, bad, lastGood, 'a record cut short by a torn write') };
}

/** `e` as start-up reports it: what it refuses, and what the operator can do. */
function refusal(e: StorageCorruptionError): StorageCorruptionError {
  return new StorageCorruptionError(
    `${e.message}; refusing to go on rather than drop logged transactions ` +
      `(verikeeper repair-log <dir> moves the damaged part aside and names the zxids it takes out)`,
    e.file,
    e.offset,
    e.zxid,
    e.lastGoodZxid,
  );
}

function corruption(
  f: ZxidFile,
  bad: { offset: number; reason: string; claimedZxid: number | undefined },
  lastGood: number,
  detail: string,
): StorageCorruptionError {
  const claimed = bad.claimedZxid !== undefined ? `, claiming zxid ${hex(bad.claimedZxid)}` : '';
  return new StorageCorruptionError(
    `${f.path}: damaged record at offset ${bad.offset}${claimed} (${bad.reason}) after zxid ${hex(lastGood)}, ${detail}`,
    f.path,
    bad.offset,
    bad.claimedZxid,
    lastGood,
  );
}

/** An incompletely written header: every byte either the expected one or still zero. */
function isTornHeader(b: Buffer, startZxid: number): boolean {
  const want = encodeLogHeader(startZxid);
  for (let i = 0; i < b.length; i++) if (b[i] !== 0 && b[i] !== want[i]) return false;
  return true;
}

/**
 * Finds the end of the log: scans the newest file, repairs a torn tail and
 * removes a newest file left without records, moving on to the one before.
 */
async function recover(vdir: string, logger: Logger): Promise<{ cur: OpenFile | null; lastZxid: number }> {
  const files = await listZxidFiles(vdir, 'log');
  for (const f of files.slice(0, -1)) {
    const h = await fsp.open(f.path, 'r');
    try {
      await checkHeader(h, f, (await h.stat()).size);
    } finally {
      await h.close();
    }
  }
  // newest files without a complete record, removed once the file before them proves readable
  const empties: ZxidFile[] = [];
  const removeEmpties = async (): Promise<void> => {
    for (const e of empties) {
      logger.warn(`${e.path} holds no complete record; removing it`);
      await fsp.unlink(e.path);
    }
    if (empties.length > 0) await syncDir(vdir);
  };
  while (files.length > 0) {
    const f = files[files.length - 1]!;
    const h = await fsp.open(f.path, 'r+');
    let keepOpen = false;
    try {
      let size = (await h.stat()).size;
      const header = Buffer.alloc(Math.min(LOG_HEADER_SIZE, size));
      await readFully(h, header, 0, header.length, 0);
      const problem = checkLogHeader(header, f.zxid);
      let count = 0;
      let last = 0;
      let end = LOG_HEADER_SIZE;
      let torn: string | null = null;
      if (problem) {
        if (!(isTornHeader(header, f.zxid) && (await lastNonZero(h, LOG_HEADER_SIZE, size)) < 0)) {
          throw new StorageFormatError(`${f.path}: ${problem}`, f.path);
        }
        logger.warn(`${f.path}: header incompletely written and no records (a crash while the file was created)`);
      } else {
        const reader = new RecordReader(h, LOG_HEADER_SIZE, size);
        for (let rs = await reader.batch(); rs.length > 0; rs = await reader.batch()) {
          for (const r of rs) {
            checkOrder(f, r.offset, r.zxid, count, last);
            last = r.zxid;
            count++;
          }
        }
        end = reader.offset;
        if (reader.bad) {
          const stop = await judgeStop(h, f, reader.bad, size, count, last, empties.length === 0);
          if (stop.kind === 'corrupt') throw refusal(stop.error);
          if (stop.kind === 'torn') torn = `torn write at offset ${reader.bad.offset} (${reader.bad.reason})`;
        }
      }
      if (count > 0) {
        await removeEmpties();
        if (torn !== null) {
          logger.warn(`${f.path}: ${torn}; truncating the log after zxid ${hex(last)}, the last intact record`);
          await h.truncate(end);
          await h.datasync();
          size = end;
        }
        keepOpen = true;
        return { cur: { h, file: f, end, done: end, size }, lastZxid: last };
      }
      empties.push(f);
      files.pop();
    } finally {
      if (!keepOpen) await h.close();
    }
  }
  await removeEmpties();
  return { cur: null, lastZxid: 0 };
}
