// Shared helpers for the storage tests: temporary folders, deterministic
// payloads and hand-made log files.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { memoryLogger } from '../../src/server/log.js';
import { encodeLogHeader, encodeRecordInto, recordSize } from '../../src/server/storage/logformat.js';
import type { TxnLog, TxnLogOptions, TxnRecord } from '../../src/server/storage/txnlog.js';

/** Returns a function that makes a fresh folder under the system temp dir, removed after each test. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
  });
  return async () => {
    const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'verikeeper-storage-'));
    dirs.push(d);
    return d;
  };
}

/** Deterministic bytes for a zxid; the last byte is never zero, so zeroing it changes the record. */
export function payloadFor(zxid: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = (zxid * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  if (size > 0) b[size - 1] = (zxid % 255) + 1;
  return b;
}

export function rec(zxid: number, size = 40): TxnRecord {
  return { zxid, payload: payloadFor(zxid, size) };
}

export async function readAll(log: TxnLog, after = 0): Promise<TxnRecord[]> {
  const out: TxnRecord[] = [];
  for await (const r of log.readFrom(after)) out.push(r);
  return out;
}

/** Records as plain `[zxid, bytes]` pairs, for deep equality. */
export function plain(rs: TxnRecord[]): [number, number[]][] {
  return rs.map((r) => [r.zxid, Array.from(r.payload)]);
}

export function options(extra: Partial<TxnLogOptions> = {}): TxnLogOptions & { logger: ReturnType<typeof memoryLogger> } {
  const logger = memoryLogger('txnlog');
  return { forceSync: false, preAllocSize: 4096, ...extra, logger } as TxnLogOptions & {
    logger: ReturnType<typeof memoryLogger>;
  };
}

/** Encodes a whole log file by hand (header plus records, no preallocation). */
export function encodeLogFile(startZxid: number, records: TxnRecord[]): Buffer {
  const size = 16 + records.reduce((n, r) => n + recordSize(r.payload.length), 0);
  const b = Buffer.alloc(size);
  encodeLogHeader(startZxid).copy(b, 0);
  let off = 16;
  for (const r of records) off = encodeRecordInto(b, off, r.zxid, r.payload);
  return b;
}

/** Byte offset at which record `index` starts in a file of `records` written without rolls. */
export function recordOffset(records: TxnRecord[], index: number): number {
  let off = 16;
  for (let i = 0; i < index; i++) off += recordSize(records[i]!.payload.length);
  return off;
}

export async function flipBit(file: string, offset: number, bit: number): Promise<void> {
  const h = await fsp.open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await h.read(b, 0, 1, offset);
    b[0] = b[0]! ^ (1 << bit);
    await h.write(b, 0, 1, offset);
  } finally {
    await h.close();
  }
}

export async function logFiles(dir: string): Promise<string[]> {
  const names = await fsp.readdir(path.join(dir, 'version-2'));
  return names.filter((n) => /^log\.[0-9a-f]+$/.test(n)).sort((a, b) => parseInt(a.slice(4), 16) - parseInt(b.slice(4), 16));
}
