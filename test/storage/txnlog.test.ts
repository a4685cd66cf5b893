import { promises as fsp } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StorageCorruptionError, StorageError, StorageFormatError } from '../../src/server/storage/errors.js';
import { encodeLogHeader } from '../../src/server/storage/logformat.js';
import { sharedLogWriter, type LogWriteJob, type LogWriter, type LogWriteResult } from '../../src/server/storage/logwriter.js';
import { TxnLog, type TxnLogOptions, type TxnRecord } from '../../src/server/storage/txnlog.js';
import {
  encodeLogFile,
  flipBit,
  logFiles,
  options,
  plain,
  readAll,
  rec,
  recordOffset,
  useTempDirs,
} from './helpers.js';

const tempDir = useTempDirs();

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The log writer thread behind a stand-in for the disk: job `n` (from 1) is
 * `slow(n)` ms slower, as a slow fdatasync would be, or fails with EIO
 * instead of being written when `fail(n)`. Jobs still run one at a time, in
 * order, as the writer promises. Counts what it is given.
 */
function disk(how: { slow?: (n: number) => number; fail?: (n: number) => boolean } = {}) {
  const real = sharedLogWriter();
  const seen = { jobs: 0, syncs: 0, outstanding: 0, maxOutstanding: 0 };
  let previous: Promise<unknown> = Promise.resolve();
  const writer: LogWriter = {
    run(job: LogWriteJob): Promise<LogWriteResult> {
      const n = ++seen.jobs;
      if (job.sync) seen.syncs++;
      seen.maxOutstanding = Math.max(seen.maxOutstanding, ++seen.outstanding);
      const done = previous.then(async () => {
        const delay = how.slow?.(n) ?? 0;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        if (how.fail?.(n)) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        const r = await real.run(job);
        return { syncMs: r.syncMs + delay };
      });
      previous = done.catch(() => undefined);
      return done.finally(() => seen.outstanding--);
    },
  };
  return { writer, seen };
}

async function writeLog(dir: string, records: TxnRecord[], extra = {}): Promise<void> {
  const log = await TxnLog.open(dir, options(extra));
  for (const r of records) log.append(r);
  await log.flush();
  await log.close();
}

function range(from: number, to: number, size = 40): TxnRecord[] {
  const out: TxnRecord[] = [];
  for (let z = from; z <= to; z++) out.push(rec(z, size));
  return out;
}

describe('TxnLog round trip', () => {
  it('reads back what was appended, across flushes, rolls and reopenings', async () => {
    const step = fc.record({
      gap: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 1000 }), fc.constant(2 ** 32)),
      size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 5000 })),
      flush: fc.boolean(),
      roll: fc.integer({ min: 0, max: 9 }),
      reopen: fc.integer({ min: 0, max: 14 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 0, max: 3 }), async (steps, pre) => {
        const dir = await tempDir();
        const preAllocSize = [0, 512, 4096, 65536][pre]!;
        let log = await TxnLog.open(dir, options({ preAllocSize }));
        const written: TxnRecord[] = [];
        let zxid = 0;
        for (const s of steps) {
          zxid += s.gap;
          const r = rec(zxid, s.size);
          log.append(r);
          written.push(r);
          if (s.flush) expect(await log.flush()).toBe(zxid);
          if (s.roll === 0) await log.roll();
          if (s.reopen === 0) {
            await log.close();
            log = await TxnLog.open(dir, options({ preAllocSize }));
            expect(log.lastZxid).toBe(zxid);
          }
        }
        await log.close();
        log = await TxnLog.open(dir, options({ preAllocSize }));
        try {
          expect(log.lastZxid).toBe(zxid);
          expect(plain(await readAll(log))).toEqual(plain(written));
          const mid = written.length > 0 ? written[Math.floor(written.length / 2)]!.zxid : 0;
          expect(plain(await readAll(log, mid))).toEqual(plain(written.filter((r) => r.zxid > mid)));
        } finally {
          await log.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('names each file after the first zxid it holds and reads across files', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    for (const r of range(1, 10)) log.append(r);
    await log.roll();
    for (const r of range(11, 26)) log.append(r);
    await log.roll();
    for (const r of range(27, 30)) log.append(r);
    await log.flush();
    expect(await logFiles(dir)).toEqual(['log.1', 'log.b', 'log.1b']);
    expect((await readAll(log)).map((r) => r.zxid)).toEqual(range(1, 30).map((r) => r.zxid));
    expect((await readAll(log, 10)).map((r) => r.zxid)).toEqual(range(11, 30).map((r) => r.zxid));
    expect((await readAll(log, 26)).map((r) => r.zxid)).toEqual(range(27, 30).map((r) => r.zxid));
    expect(await readAll(log, 30)).toEqual([]);
    await log.close();
  });

  it('rolls while flushes run: the file takes what is not yet written, later records start a new one', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options({ flushesInFlight: 2 }));
    for (const r of range(1, 5)) log.append(r);
    const first = log.flush();
    const rolled = log.roll();
    for (const r of range(6, 9)) log.append(r);
    const second = log.flush();
    await rolled;
    expect(await Promise.all([first, second])).toEqual([9, 9]);
    for (const r of range(10, 12)) log.append(r);
    expect(await log.flush()).toBe(12);
    expect(await logFiles(dir)).toEqual(['log.1', 'log.a']);
    expect((await readAll(log)).map((r) => r.zxid)).toEqual(range(1, 12).map((r) => r.zxid));
    await log.close();
  });

  it('reports records durable without waiting for the rolled file to be trimmed and closed', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options({ forceSync: true, preAllocSize: 1 << 16 }));
    for (const r of range(1, 3)) log.append(r);
    await log.flush();
    const probe = await fsp.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { truncate(len?: number): Promise<void> };
    await probe.close();
    const original = proto.truncate;
    let trimming = false;
    vi.spyOn(proto, 'truncate').mockImplementation(async function (this: unknown, len?: number) {
      trimming = true;
      try {
        await new Promise((r) => setTimeout(r, 80));
        return await original.call(this, len);
      } finally {
        trimming = false;
      }
    });
    const order: string[] = [];
    let reportedWhileTrimming = false;
    log.append(rec(4));
    const rolled = log.roll().then(() => order.push('rolled'));
    log.append(rec(5));
    const flushed = log.flush().then((z) => {
      order.push(`durable ${z}`);
      reportedWhileTrimming = trimming;
    });
    await Promise.all([rolled, flushed]);
    expect(order).toEqual(['durable 5', 'rolled']);
    expect(reportedWhileTrimming).toBe(true);
    log.append(rec(6));
    expect(await log.flush()).toBe(6);
    await log.close();
    expect(await logFiles(dir)).toEqual(['log.1', 'log.6']);
    const again = await TxnLog.open(dir, options());
    expect((await readAll(again)).map((r) => r.zxid)).toEqual([1, 2, 3, 4, 5, 6]);
    await again.close();
  });

  it('rolls a file whose records are all written already: it is trimmed and the next record starts a new one', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options({ preAllocSize: 1 << 20 }));
    const records = range(1, 3);
    for (const r of records) log.append(r);
    await log.flush();
    await log.roll();
    expect((await fsp.stat(path.join(dir, 'version-2', 'log.1'))).size).toBe(recordOffset(records, 3));
    for (const r of range(4, 5)) log.append(r);
    expect(await log.flush()).toBe(5);
    expect(await logFiles(dir)).toEqual(['log.1', 'log.4']);
    expect((await readAll(log)).map((r) => r.zxid)).toEqual(range(1, 5).map((r) => r.zxid));
    await log.close();
  });

  it('rolls by itself once a file reaches rollSize', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options({ rollSize: 1000 }));
    for (const r of range(1, 40, 100)) {
      log.append(r);
      await log.flush();
    }
    const files = await logFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    // Every finished file stopped at the first flush that took it to rollSize.
    for (const f of files.slice(0, -1)) {
      const size = (await fsp.stat(path.join(dir, 'version-2', f))).size;
      expect(size).toBeGreaterThanOrEqual(1000);
      expect(size).toBeLessThan(1000 + 128);
    }
    expect((await readAll(log)).length).toBe(40);
    await log.close();
  });

  it('buffers megabytes between flushes, records larger than the buffer chunks included', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options({ preAllocSize: 1 << 20 }));
    // Buffer chunks are 1 MiB: 1_048_560 + 16 header bytes fill one exactly; larger ones get their own.
    const big = new Map([
      [500, 2_500_000],
      [1000, 1_048_560],
      [1500, 1_048_577],
      [2000, 700_000],
      [2550, 2_000_000],
    ]);
    const size = (z: number) => big.get(z) ?? 1000 + (z % 7);
    let written: TxnRecord[] = [];
    for (let z = 1; z <= 3000; z++) {
      log.append(rec(z, size(z)));
      written.push(rec(z, size(z)));
    }
    // Drop the unflushed tail in the middle of a chunk, then go on appending.
    await log.truncate(2500);
    expect(log.lastZxid).toBe(2500);
    written = written.slice(0, 2500);
    for (let z = 2501; z <= 2600; z++) {
      log.append(rec(z, size(z)));
      written.push(rec(z, size(z)));
    }
    expect(await log.flush()).toBe(2600);
    await log.close();
    const again = await TxnLog.open(dir, options());
    const back = await readAll(again);
    expect(back.map((r) => r.zxid)).toEqual(written.map((r) => r.zxid));
    for (let i = 0; i < back.length; i++) {
      expect(Buffer.from(back[i]!.payload).equals(Buffer.from(written[i]!.payload))).toBe(true);
    }
    await again.close();
  });

  it('rejects zxids that do not increase, and bad arguments', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    log.append(rec(5));
    expect(() => log.append(rec(5))).toThrow(/not above the last zxid/);
    expect(() => log.append(rec(4))).toThrow(RangeError);
    expect(() => log.append({ zxid: 1.5, payload: new Uint8Array() })).toThrow(RangeError);
    expect(() => log.append({ zxid: 2 ** 53, payload: new Uint8Array() })).toThrow(RangeError);
    await log.close();
    expect(() => log.append(rec(6))).toThrow(/closed/);
    await expect(log.flush()).rejects.toThrow(/closed/);
  });

  it('refuses a second open of the same directory in one process', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    await expect(TxnLog.open(dir, options())).rejects.toThrow(/already open/);
    await log.close();
    const again = await TxnLog.open(dir, options());
    await again.close();
  });
});

describe('group commit', () => {
  it('makes many records durable with fewer fdatasync calls than records', async () => {
    const dir = await tempDir();
    const { writer, seen } = disk();
    const log = await TxnLog.open(dir, options({ forceSync: true, preAllocSize: 1 << 20, writer }));
    let next = 1;
    const writers = 16;
    const perWriter = 60;
    const acked: number[] = [];
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = 0; i < perWriter; i++) {
          const zxid = next++;
          log.append(rec(zxid, 100));
          const durable = await log.flush();
          expect(durable).toBeGreaterThanOrEqual(zxid);
          acked.push(zxid);
        }
      }),
    );
    const total = writers * perWriter;
    expect(acked.length).toBe(total);
    expect(seen.syncs).toBe(log.stats.syncs);
    expect(log.stats.syncs).toBeGreaterThan(0);
    expect(log.stats.syncs).toBeLessThan(total / 4);
    await log.close();
    const again = await TxnLog.open(dir, options());
    expect((await readAll(again)).map((r) => r.zxid)).toEqual(range(1, total).map((r) => r.zxid));
    await again.close();
  });

  it('writes everything appended during a slow fdatasync with the next single one', async () => {
    const dir = await tempDir();
    const { writer, seen } = disk({ slow: () => 30 });
    const log = await TxnLog.open(dir, options({ forceSync: true, writer }));
    log.append(rec(1));
    const first = log.flush();
    await new Promise((r) => setTimeout(r, 5)); // the first flush is now on its way to disk
    const later: Promise<number>[] = [];
    for (let z = 2; z <= 101; z++) {
      log.append(rec(z));
      later.push(log.flush());
    }
    const order: string[] = [];
    const firstDone = first.then((z) => (order.push('first'), z));
    const laterDone = Promise.all(later).then((zs) => (order.push('later'), zs));
    expect(await firstDone).toBe(1);
    const zs = await laterDone;
    for (const z of zs) expect(z).toBe(101);
    expect(order).toEqual(['first', 'later']);
    expect(seen.syncs).toBe(2);
    expect(log.stats.flushes).toBe(2);
    await log.close();
  });

  it('warns when an fdatasync takes longer than fsyncWarningMs, and counts syncs', async () => {
    const dir = await tempDir();
    const { writer } = disk({ slow: () => 25 });
    const opts = options({ forceSync: true, fsyncWarningMs: 10, writer });
    const log = await TxnLog.open(dir, opts);
    log.append(rec(1));
    await log.flush();
    expect(opts.logger.lines.filter((l) => l.includes('WARN') && l.includes('fdatasync of log.1 took'))).toHaveLength(1);
    expect(log.stats.syncs).toBe(1);
    expect(log.stats.syncMsMax).toBeGreaterThanOrEqual(20);
    await log.close();
  });

  it('does not fdatasync without forceSync', async () => {
    const dir = await tempDir();
    const { writer, seen } = disk();
    const log = await TxnLog.open(dir, options({ forceSync: false, writer }));
    for (const r of range(1, 50)) {
      log.append(r);
      await log.flush();
    }
    await log.close();
    expect(seen.jobs).toBeGreaterThan(0);
    expect(seen.syncs).toBe(0);
    expect(log.stats.syncs).toBe(0);
  });

  it('stops accepting writes once a write fails', async () => {
    const dir = await tempDir();
    const { writer } = disk({ fail: (n) => n === 2 });
    const log = await TxnLog.open(dir, options({ forceSync: true, writer }));
    log.append(rec(1));
    await log.flush();
    log.append(rec(2));
    await expect(log.flush()).rejects.toThrow(/EIO/);
    expect(() => log.append(rec(3))).toThrow(/EIO/);
    await expect(log.flush()).rejects.toThrow(/EIO/);
    expect(log.durableZxid).toBe(1);
    await log.close();
  });
});

describe('flushes in flight (flushesInFlight)', () => {
  it('hands the next flush over while an earlier one is on its way to disk, and reports durability in order', async () => {
    const dir = await tempDir();
    const { writer, seen } = disk({ slow: (n) => (n === 1 ? 60 : 0) });
    const log = await TxnLog.open(dir, options({ forceSync: true, flushesInFlight: 2, writer }));
    log.append(rec(1));
    const order: string[] = [];
    const first = log.flush().then((z) => (order.push(`first ${z}`), z));
    await new Promise((r) => setTimeout(r, 15)); // the first flush is now with the writer
    expect(log.needsFlush).toBe(false);
    for (const r of range(2, 11)) log.append(r);
    expect(log.needsFlush).toBe(true);
    const second = log.flush().then((z) => (order.push(`second ${z}`), z));
    expect(log.needsFlush).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.jobs).toBe(2); // handed over without waiting for the first
    expect(log.durableZxid).toBe(0);
    expect(await Promise.all([first, second])).toEqual([1, 11]);
    expect(order).toEqual(['first 1', 'second 11']);
    expect(log.durableZxid).toBe(11);
    expect(seen.maxOutstanding).toBe(2);
    expect(log.stats.syncs).toBe(2);
    await log.close();
    const again = await TxnLog.open(dir, options());
    expect((await readAll(again)).map((r) => r.zxid)).toEqual(range(1, 11).map((r) => r.zxid));
    await again.close();
  });

  it('keeps at most flushesInFlight flushes with the writer; later flushes join the queued one', async () => {
    const dir = await tempDir();
    const { writer, seen } = disk({ slow: () => 30 });
    const log = await TxnLog.open(dir, options({ forceSync: true, flushesInFlight: 2, writer }));
    const flushes: Promise<number>[] = [];
    for (let z = 1; z <= 40; z++) {
      log.append(rec(z));
      flushes.push(log.flush());
      await new Promise((r) => setTimeout(r, 2));
    }
    const results = await Promise.all(flushes);
    for (let i = 0; i < results.length; i++) expect(results[i]).toBeGreaterThanOrEqual(i + 1);
    expect(seen.maxOutstanding).toBe(2);
    // two with the writer, one queued that every later call joins: far fewer syncs than flushes
    expect(seen.syncs).toBeLessThan(20);
    await log.close();
  });

  it('fails every flush from the first failed fdatasync on, even one whose own fdatasync succeeded', async () => {
    const dir = await tempDir();
    const { writer } = disk({ slow: (n) => (n === 2 ? 30 : 1), fail: (n) => n === 2 });
    const log = await TxnLog.open(dir, options({ forceSync: true, flushesInFlight: 3, writer }));
    log.append(rec(1));
    expect(await log.flush()).toBe(1);
    log.append(rec(2));
    const failing = log.flush();
    await new Promise((r) => setTimeout(r, 10));
    log.append(rec(3));
    const later = log.flush();
    await expect(failing).rejects.toThrow(/EIO/);
    await expect(later).rejects.toThrow(/EIO/);
    expect(log.durableZxid).toBe(1);
    expect(() => log.append(rec(4))).toThrow(/EIO/);
    await log.close();
  });

  it('reads back what was appended across overlapping flushes, rolls by size and reopenings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 600 }), flush: fc.boolean(), roll: fc.integer({ min: 0, max: 15 }) }), {
          maxLength: 80,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (steps, flushesInFlight) => {
          const dir = await tempDir();
          const opts = (): TxnLogOptions => options({ forceSync: true, flushesInFlight, rollSize: 2000, preAllocSize: 1024 });
          const log = await TxnLog.open(dir, opts());
          const pending: Array<Promise<number>> = [];
          for (let z = 1; z <= steps.length; z++) {
            const s = steps[z - 1]!;
            log.append(rec(z, s.size));
            if (s.flush) pending.push(log.flush());
            if (s.roll === 0) await log.roll();
          }
          const results = await Promise.all(pending);
          for (let i = 1; i < results.length; i++) expect(results[i]).toBeGreaterThanOrEqual(results[i - 1]!);
          await log.close();
          const again = await TxnLog.open(dir, opts());
          try {
            expect(again.lastZxid).toBe(steps.length);
            expect((await readAll(again)).map((r) => r.zxid)).toEqual(range(1, steps.length).map((r) => r.zxid));
          } finally {
            await again.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('rejects a flushesInFlight below 1', async () => {
    const dir = await tempDir();
    await expect(TxnLog.open(dir, options({ flushesInFlight: 0 }))).rejects.toThrow(/flushesInFlight/);
  });
});

describe('preallocation', () => {
  it('grows files in preAllocSize blocks and reads the zero tail as the end of the log', async () => {
    const dir = await tempDir();
    const opts = options({ preAllocSize: 4096 });
    const log = await TxnLog.open(dir, opts);
    for (const r of range(1, 5, 100)) log.append(r);
    await log.flush();
    const file = path.join(dir, 'version-2', 'log.1');
    expect((await fsp.stat(file)).size).toBe(4096);
    for (const r of range(6, 60, 100)) log.append(r);
    await log.flush();
    expect((await fsp.stat(file)).size).toBe(8192);
    await log.close();
    const again = await TxnLog.open(dir, opts);
    expect(again.lastZxid).toBe(60);
    expect(opts.logger.lines.filter((l) => l.includes('WARN'))).toEqual([]);
    again.append(rec(61, 100));
    await again.flush();
    await again.close();
    const third = await TxnLog.open(dir, opts);
    expect((await readAll(third)).map((r) => r.zxid)).toEqual(range(1, 61).map((r) => r.zxid));
    await third.close();
  });

  it('cuts the zero tail of a file when it is rolled', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options({ preAllocSize: 1 << 20 }));
    const records = range(1, 3);
    for (const r of records) log.append(r);
    await log.roll();
    expect((await fsp.stat(path.join(dir, 'version-2', 'log.1'))).size).toBe(recordOffset(records, 3));
    await log.close();
  });
});

describe('recovery of a torn tail', () => {
  const records = range(1, 6, 37);
  const last = records.length - 1;
  const start = recordOffset(records, last);
  const end = recordOffset(records, last + 1);

  async function expectRecovered(dir: string, cutAt: number): Promise<void> {
    const opts = options();
    const log = await TxnLog.open(dir, opts);
    const file = path.join(dir, 'version-2', 'log.1');
    const warnings = opts.logger.lines.filter((l) => l.includes('WARN'));
    expect(warnings, `cut at ${cutAt}`).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain(`offset ${start}`);
    expect(warnings[0]).toContain('zxid 0x5');
    expect(log.lastZxid).toBe(5);
    expect(plain(await readAll(log))).toEqual(plain(records.slice(0, last)));
    log.append(rec(6, 20));
    log.append(rec(7, 20));
    await log.flush();
    await log.close();
    const again = await TxnLog.open(dir, options());
    expect(plain(await readAll(again))).toEqual(plain([...records.slice(0, last), rec(6, 20), rec(7, 20)]));
    await again.close();
  }

  it('truncates a last record cut short at any byte (file ends there)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'version-2', 'log.1');
    for (let cut = start + 1; cut < end; cut++) {
      await fsp.rm(path.join(dir, 'version-2'), { recursive: true, force: true });
      await writeLog(dir, records);
      await fsp.truncate(file, cut);
      await expectRecovered(dir, cut);
    }
  });

  it('truncates a last record whose end a torn write left as zeros (preallocated zeros follow)', async () => {
    // A write torn by a crash loses whole disk sectors: the 16-byte header
    // (at a multiple of 16) and the 4-byte end marker (just before one) are
    // there whole or not at all. Zeros from any byte after the header up to
    // the marker leave a record that was never written whole.
    const dir = await tempDir();
    const file = path.join(dir, 'version-2', 'log.1');
    for (let cut = start + 16; cut <= end - 4; cut++) {
      await fsp.rm(path.join(dir, 'version-2'), { recursive: true, force: true });
      await writeLog(dir, records);
      const h = await fsp.open(file, 'r+');
      await h.write(Buffer.alloc(end - cut), 0, end - cut, cut);
      await h.close();
      expect((await fsp.stat(file)).size).toBe(4096);
      await expectRecovered(dir, cut);
    }
  });

  it('refuses a last record whose header or end marker is partly zero: no torn write does that', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'version-2', 'log.1');
    const cuts = [...Array.from({ length: 15 }, (_, i) => start + 1 + i), end - 3, end - 2, end - 1];
    for (const cut of cuts) {
      await fsp.rm(path.join(dir, 'version-2'), { recursive: true, force: true });
      await writeLog(dir, records);
      const h = await fsp.open(file, 'r+');
      await h.write(Buffer.alloc(end - cut), 0, end - cut, cut);
      await h.close();
      const before = await fsp.readFile(file);
      const err = await TxnLog.open(dir, options()).catch((e: unknown) => e);
      expect(err, `zeros from ${cut}`).toBeInstanceOf(StorageCorruptionError);
      expect((err as StorageCorruptionError).offset).toBe(start);
      expect((await fsp.readFile(file)).equals(before)).toBe(true);
    }
  });

  it('refuses garbage after the last good record, changing nothing: it is no torn write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }).filter((g) => g.some((b) => b !== 0)), async (garbage) => {
        const dir = await tempDir();
        await writeLog(dir, records);
        const file = path.join(dir, 'version-2', 'log.1');
        const h = await fsp.open(file, 'r+');
        await h.write(Buffer.alloc(end - start), 0, end - start, start);
        await h.write(garbage, 0, garbage.length, start);
        await h.close();
        const before = await fsp.readFile(file);
        const err = await TxnLog.open(dir, options()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StorageCorruptionError);
        expect((err as StorageCorruptionError).offset).toBe(start);
        expect((err as StorageCorruptionError).lastGoodZxid).toBe(5);
        expect((await fsp.readFile(file)).equals(before)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a last record written whole whose checksum fails, whatever byte is damaged, changing nothing', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'version-2', 'log.1');
    for (let byte = start; byte < end; byte++) {
      await fsp.rm(path.join(dir, 'version-2'), { recursive: true, force: true });
      await writeLog(dir, records);
      await flipBit(file, byte, byte % 8);
      const before = await fsp.readFile(file);
      const err = await TxnLog.open(dir, options()).catch((e: unknown) => e);
      expect(err, `bit flipped at ${byte}`).toBeInstanceOf(StorageCorruptionError);
      const c = err as StorageCorruptionError;
      expect(c.file).toBe(file);
      expect(c.offset).toBe(start);
      expect(c.lastGoodZxid).toBe(5);
      // the zxid is named when the header verified
      if (byte >= start + 16) expect(c.zxid).toBe(6);
      expect(c.message).toContain(file);
      expect(c.message).toContain(`offset ${start}`);
      expect((await fsp.readFile(file)).equals(before)).toBe(true);
    }
  });

  it('reads a log that simply ends after a record without a warning', async () => {
    const dir = await tempDir();
    await writeLog(dir, records);
    await fsp.truncate(path.join(dir, 'version-2', 'log.1'), start);
    const opts = options();
    const log = await TxnLog.open(dir, opts);
    expect(log.lastZxid).toBe(5);
    expect(opts.logger.lines.filter((l) => l.includes('WARN'))).toEqual([]);
    await log.close();
  });

  it('removes a newest file left without records and resumes from the file before it', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    for (const r of range(1, 4)) log.append(r);
    await log.roll();
    log.append(rec(5));
    await log.close();
    const second = path.join(dir, 'version-2', 'log.5');
    await fsp.truncate(second, 16 + 7); // header and a piece of the only record
    const opts = options();
    const again = await TxnLog.open(dir, opts);
    expect(again.lastZxid).toBe(4);
    expect(await logFiles(dir)).toEqual(['log.1']);
    expect(opts.logger.lines.some((l) => l.includes('WARN') && l.includes(second))).toBe(true);
    again.append(rec(5));
    await again.flush();
    expect((await readAll(again)).map((r) => r.zxid)).toEqual([1, 2, 3, 4, 5]);
    await again.close();
  });

  it('removes a newest file whose header was never completely written', async () => {
    for (const bytes of [0, 5, 16]) {
      const dir = await tempDir();
      await writeLog(dir, range(1, 3));
      const torn = Buffer.alloc(64);
      encodeLogHeader(4).copy(torn, 0, 0, bytes);
      await fsp.writeFile(path.join(dir, 'version-2', 'log.4'), torn);
      const opts = options();
      const log = await TxnLog.open(dir, opts);
      expect(log.lastZxid).toBe(3);
      expect(await logFiles(dir)).toEqual(['log.1']);
      await log.close();
    }
  });
});

describe('corruption', () => {
  const records = range(1, 8, 30);

  it('stops at a damaged record followed by valid ones, naming file, offset and zxid', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'version-2', 'log.1');
    const victim = 3; // zxid 4
    const start = recordOffset(records, victim);
    const end = recordOffset(records, victim + 1);
    for (let byte = start; byte < end; byte++) {
      await fsp.rm(path.join(dir, 'version-2'), { recursive: true, force: true });
      await writeLog(dir, records);
      await flipBit(file, byte, byte % 8);
      const err = await TxnLog.open(dir, options()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `bit flipped at ${byte}`).toBeInstanceOf(StorageCorruptionError);
      const c = err as StorageCorruptionError;
      expect(c.file).toBe(file);
      expect(c.offset).toBe(start);
      expect(c.lastGoodZxid).toBe(3);
      if (byte >= start + 16) expect(c.zxid).toBe(4);
      expect(c.message).toContain(file);
      expect(c.message).toContain(`offset ${start}`);
      expect(c.message).toContain('0x3');
    }
    // The directory lock was released after the failed open.
    await fsp.rm(path.join(dir, 'version-2'), { recursive: true, force: true });
    const log = await TxnLog.open(dir, options());
    await log.close();
  });

  it('reports damage in a file that is not the newest when reading it', async () => {
    for (const victim of [2, 4]) {
      const dir = await tempDir();
      const log = await TxnLog.open(dir, options());
      for (const r of range(1, 5)) log.append(r);
      await log.roll();
      for (const r of range(6, 9)) log.append(r);
      await log.close();
      const file = path.join(dir, 'version-2', 'log.1');
      const offset = recordOffset(range(1, 5), victim);
      await flipBit(file, offset + 20, 3);
      const again = await TxnLog.open(dir, options());
      expect(again.lastZxid).toBe(9);
      const err = await readAll(again).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StorageCorruptionError);
      expect((err as StorageCorruptionError).file).toBe(file);
      expect((err as StorageCorruptionError).offset).toBe(offset);
      expect((err as StorageCorruptionError).zxid).toBe(victim + 1);
      // Reading only the intact newer file works.
      expect((await readAll(again, 5)).map((r) => r.zxid)).toEqual([6, 7, 8, 9]);
      await again.close();
    }
  });

  it('rejects out-of-order zxids even with valid checksums', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'version-2'));
    const file = path.join(dir, 'version-2', 'log.1');
    await fsp.writeFile(file, encodeLogFile(1, [rec(1), rec(3), rec(2), rec(4)]));
    const err = await TxnLog.open(dir, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageCorruptionError);
    expect((err as StorageCorruptionError).message).toMatch(/zxid 0x2, not above the zxid before it \(0x3\)/);
    expect((err as StorageCorruptionError).offset).toBe(recordOffset([rec(1), rec(3)], 2));
  });

  it('rejects a file whose first record does not match its name', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'version-2'));
    await fsp.writeFile(path.join(dir, 'version-2', 'log.1'), encodeLogFile(1, [rec(2), rec(3)]));
    await expect(TxnLog.open(dir, options())).rejects.toThrow(/file name says 0x1/);
  });

  it('rejects a bad header, an unknown version and ZooKeeper files', async () => {
    const cases: [Buffer, RegExp][] = [];
    const good = encodeLogFile(1, [rec(1), rec(2)]);
    const badMagic = Buffer.from(good);
    badMagic.write('XXXX', 0);
    cases.push([badMagic, /bad magic/]);
    const v1 = Buffer.from(good); // the format before, checksummed with CRC-32C
    v1.writeUInt32BE(1, 4);
    cases.push([v1, /unsupported log format version 1/]);
    const v2 = Buffer.from(good); // the format before, without header checksums and end markers
    v2.writeUInt32BE(2, 4);
    cases.push([v2, /unsupported log format version 2/]);
    const v4 = Buffer.from(good);
    v4.writeUInt32BE(4, 4);
    cases.push([v4, /unsupported log format version 4/]);
    const zk = Buffer.from(good);
    zk.write('ZKLG', 0);
    cases.push([zk, /Apache ZooKeeper log file/]);
    const wrongStart = Buffer.from(good);
    wrongStart.writeUInt32BE(9, 12);
    cases.push([wrongStart, /does not match the file name/]);
    for (const [bytes, message] of cases) {
      for (const newest of [true, false]) {
        const dir = await tempDir();
        await fsp.mkdir(path.join(dir, 'version-2'));
        await fsp.writeFile(path.join(dir, 'version-2', 'log.1'), bytes);
        if (!newest) await fsp.writeFile(path.join(dir, 'version-2', 'log.3'), encodeLogFile(3, [rec(3)]));
        const err = await TxnLog.open(dir, options()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StorageFormatError);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).toContain(path.join(dir, 'version-2', 'log.1'));
      }
    }
  });
});

describe('truncate', () => {
  async function threeFiles(dir: string): Promise<TxnLog> {
    const log = await TxnLog.open(dir, options());
    for (const r of range(1, 10)) log.append(r);
    await log.roll();
    for (const r of range(11, 20)) log.append(r);
    await log.roll();
    for (const r of range(21, 30)) log.append(r);
    await log.flush();
    return log;
  }

  it('drops every record after the zxid across files, and appends continue', async () => {
    const dir = await tempDir();
    const log = await threeFiles(dir);
    await log.truncate(15);
    expect(log.lastZxid).toBe(15);
    expect(log.durableZxid).toBe(15);
    expect(await logFiles(dir)).toEqual(['log.1', 'log.b']);
    expect((await readAll(log)).map((r) => r.zxid)).toEqual(range(1, 15).map((r) => r.zxid));
    expect(() => log.append(rec(15))).toThrow(RangeError);
    log.append(rec(16, 7));
    await log.flush();
    await log.close();
    const again = await TxnLog.open(dir, options());
    expect(again.lastZxid).toBe(16);
    expect(plain(await readAll(again))).toEqual(plain([...range(1, 15), rec(16, 7)]));
    await again.close();
  });

  it('keeps the last record at or below a zxid that is not in the log', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    for (const z of [10, 20, 30, 40]) log.append(rec(z));
    await log.flush();
    await log.truncate(25);
    expect(log.lastZxid).toBe(20);
    expect((await readAll(log)).map((r) => r.zxid)).toEqual([10, 20]);
    await log.close();
  });

  it('drops unflushed records too', async () => {
    const dir = await tempDir();
    const log = await threeFiles(dir);
    log.append(rec(31));
    log.append(rec(32));
    await log.truncate(31);
    expect(log.lastZxid).toBe(31);
    expect(await log.flush()).toBe(31);
    await log.truncate(25);
    log.append(rec(26, 3));
    await log.flush();
    expect((await readAll(log, 20)).map((r) => r.zxid)).toEqual([21, 22, 23, 24, 25, 26]);
    await log.close();
  });

  it('does nothing at or above the last zxid and refuses to go below the oldest file', async () => {
    const dir = await tempDir();
    const log = await threeFiles(dir);
    await log.truncate(30);
    await log.truncate(99);
    expect((await readAll(log)).length).toBe(30);
    await fsp.unlink(path.join(dir, 'version-2', 'log.1'));
    await expect(log.truncate(5)).rejects.toThrow(StorageError);
    await log.close();
  });
});
