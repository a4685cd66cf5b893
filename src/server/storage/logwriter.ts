// The thread that puts transaction log batches on disk. A group commit's
// batch is handed over as it is, records without their checksums in shared
// memory; the thread fills in the checksums, writes the batch at its offset
// and fdatasyncs, while the event loop goes on decoding, preparing and
// answering requests. The checksum, the write and the fdatasync took about a
// fifth of the event loop under an all-writes load.
//
// Jobs run one at a time, in the order they were given, whichever log they
// come from: so two fdatasyncs never overlap on one open file (Linux reports
// a writeback error to only one of them).

import { Worker } from 'node:worker_threads';
import { unwritten } from './files.js';
import { sealRecords } from './logformat.js';

export interface LogWriteJob {
  /** The open file (a descriptor of this process). */
  fd: number;
  /** File offset of the first byte written. */
  at: number;
  /** Bytes written before the records, as they are (a new file's header); null for none. */
  head: Uint8Array | null;
  /**
   * Buffers of whole records, their checksum fields still to be filled in.
   * Memory the writer thread can see (a SharedArrayBuffer): the writer seals
   * them in place. The caller must not touch them until the job settles.
   */
  records: Uint8Array[];
  /** fdatasync after the write. */
  sync: boolean;
}

export interface LogWriteResult {
  /** Time spent in fdatasync, in milliseconds (0 without `sync`). */
  syncMs: number;
}

/** Runs write jobs one at a time, in the order given. */
export interface LogWriter {
  run(job: LogWriteJob): Promise<LogWriteResult>;
}

/** What the thread runs: plain JavaScript, given as source text so that it needs no file of its own. */
const THREAD_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { crc32 } = require('node:zlib');
const sealRecords = ${sealRecords.toString()};
const unwritten = ${unwritten.toString()};

function writeAll(fd, bufs, position) {
  let pending = unwritten(bufs, 0);
  let pos = position;
  while (pending.length > 0) {
    const written = fs.writevSync(fd, pending, pos);
    pos += written;
    pending = unwritten(pending, written);
  }
}

parentPort.on('message', (job) => {
  try {
    for (const r of job.records) sealRecords(r, crc32);
    writeAll(job.fd, job.head ? [job.head, ...job.records] : job.records, job.at);
    let syncMs = 0;
    if (job.sync) {
      const t0 = performance.now();
      fs.fdatasyncSync(job.fd);
      syncMs = performance.now() - t0;
    }
    parentPort.postMessage({ id: job.id, syncMs });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: { message: String(e && e.message), code: e && e.code } });
  }
});
`;

interface Waiter {
  resolve(r: LogWriteResult): void;
  reject(e: Error): void;
}

interface Reply {
  id: number;
  syncMs?: number;
  error?: { message: string; code?: string };
}

/**
 * The writer thread. It starts with the first job and keeps the process
 * alive only while jobs are outstanding. Should it die, the jobs it held
 * fail and the next job starts a new one.
 */
export class ThreadLogWriter implements LogWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  run(job: LogWriteJob): Promise<LogWriteResult> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    if (this.waiting.size === 0) w.ref();
    const done = new Promise<LogWriteResult>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    w.postMessage({ id, ...job });
    return done;
  }

  private start(): Worker {
    const w = new Worker(THREAD_SOURCE, { eval: true, name: 'log writer' });
    w.unref();
    w.on('message', (m: Reply) => {
      const waiter = this.waiting.get(m.id);
      if (!waiter) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) w.unref();
      if (m.error) waiter.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
      else waiter.resolve({ syncMs: m.syncMs ?? 0 });
    });
    const lost = (why: string): void => {
      if (this.worker === w) this.worker = null;
      const waiters = [...this.waiting.values()];
      this.waiting.clear();
      for (const waiter of waiters) waiter.reject(new Error(`the log writer thread ${why}`));
    };
    w.on('error', (e) => lost(`failed: ${e.message}`));
    w.on('exit', (code) => lost(`exited with code ${code}`));
    this.worker = w;
    return w;
  }
}

let shared: ThreadLogWriter | null = null;

/** The writer thread every log of this process shares. */
export function sharedLogWriter(): LogWriter {
  return (shared ??= new ThreadLogWriter());
}
