import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unwritten } from '../../src/server/storage/files.js';
import { encodeLogHeader, encodeUnsealedRecordInto, recordSize } from '../../src/server/storage/logformat.js';
import { sharedLogWriter, ThreadLogWriter } from '../../src/server/storage/logwriter.js';
import type { TxnRecord } from '../../src/server/storage/txnlog.js';
import { encodeLogFile, rec, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** Records in shared memory, checksums not filled in, as a log hands them over. */
function unsealed(records: TxnRecord[]): Buffer {
  const b = Buffer.from(new SharedArrayBuffer(records.reduce((n, r) => n + recordSize(r.payload.length), 0)));
  let off = 0;
  for (const r of records) off = encodeUnsealedRecordInto(b, off, r.zxid, r.payload);
  return b;
}

async function openFile(): Promise<{ file: string; h: fsp.FileHandle }> {
  const file = path.join(await tempDir(), 'log.1');
  return { file, h: await fsp.open(file, 'w+') };
}

describe('log writer thread', () => {
  it('fills in every checksum and writes the records after the head, at the offset given', async () => {
    const { file, h } = await openFile();
    try {
      const records = [rec(1, 0), rec(2, 700), rec(3, 5000)];
      const writer = sharedLogWriter();
      const split = [unsealed(records.slice(0, 2)), unsealed(records.slice(2))];
      const r = await writer.run({ fd: h.fd, at: 0, head: encodeLogHeader(1), records: split, sync: true });
      expect(r.syncMs).toBeGreaterThanOrEqual(0);
      const more = [rec(4, 10)];
      const expected = encodeLogFile(1, [...records, ...more]);
      const at = expected.length - recordSize(10);
      await writer.run({ fd: h.fd, at, head: null, records: [unsealed(more)], sync: false });
      expect((await fsp.readFile(file)).equals(expected)).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('runs jobs one at a time in the order given', async () => {
    const { file, h } = await openFile();
    try {
      const writer = new ThreadLogWriter();
      // every job overwrites the same bytes: only the last one given may remain
      const jobs = Array.from({ length: 30 }, (_, i) =>
        writer.run({ fd: h.fd, at: 0, head: null, records: [unsealed([rec(i + 1, 64)])], sync: i % 3 === 0 }),
      );
      await Promise.all(jobs);
      const last = encodeLogFile(30, [rec(30, 64)]).subarray(16);
      expect((await fsp.readFile(file)).equals(last)).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('fails a job with the error and its code, and goes on with the next', async () => {
    const { file, h } = await openFile();
    const writer = new ThreadLogWriter();
    const readOnly = await fsp.open(file, 'r');
    try {
      const err = await writer
        .run({ fd: readOnly.fd, at: 0, head: null, records: [unsealed([rec(1)])], sync: true })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as NodeJS.ErrnoException).code).toBe('EBADF');
      expect(await fsp.readFile(file)).toHaveLength(0);
      await writer.run({ fd: h.fd, at: 0, head: null, records: [unsealed([rec(1)])], sync: true });
      expect((await fsp.readFile(file)).equals(encodeLogFile(1, [rec(1)]).subarray(16))).toBe(true);
    } finally {
      await readOnly.close();
      await h.close();
    }
  });
});

describe('unwritten', () => {
  it('leaves exactly the bytes after those a short write wrote', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 6 }), fc.nat(), (bufs, n) => {
        const all = Buffer.concat(bufs);
        const written = all.length ? n % (all.length + 1) : 0;
        const rest = unwritten(bufs, written);
        expect(Buffer.concat(rest).equals(all.subarray(written))).toBe(true);
        for (const b of rest) expect(b.length).toBeGreaterThan(0);
      }),
    );
  });
});
