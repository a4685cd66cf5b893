import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageCorruptionError, StorageError } from '../../src/server/storage/errors.js';
import { describeRepair, repairLog, zxidRanges } from '../../src/server/storage/repair.js';
import { TxnLog, type TxnRecord } from '../../src/server/storage/txnlog.js';
import { flipBit, logFiles, options, plain, readAll, rec, recordOffset, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

function range(from: number, to: number, size = 40): TxnRecord[] {
  const out: TxnRecord[] = [];
  for (let z = from; z <= to; z++) out.push(rec(z, size));
  return out;
}

/** Writes the records, rolling the log before each zxid in `rollBefore`. */
async function writeLog(dir: string, records: TxnRecord[], rollBefore: number[] = []): Promise<void> {
  const log = await TxnLog.open(dir, options());
  for (const r of records) {
    if (rollBefore.includes(r.zxid)) await log.roll();
    log.append(r);
  }
  await log.flush();
  await log.close();
}

describe('repair-log', () => {
  it('changes nothing in a log that reads whole', async () => {
    const dir = await tempDir();
    await writeLog(dir, range(1, 10));
    const file = path.join(dir, 'version-2', 'log.1');
    const before = await fsp.readFile(file);
    const report = await repairLog(dir);
    expect(report).toEqual({ damage: null, lastZxid: 10, removed: [], unreadable: 0, sideFiles: [] });
    expect(describeRepair(dir, report)).toMatch(/reads whole up to zxid 0xa: nothing to repair/);
    expect((await fsp.readFile(file)).equals(before)).toBe(true);
  });

  it('moves a damaged last record aside, names its zxid, and the log opens without it', async () => {
    const dir = await tempDir();
    const records = range(1, 10);
    await writeLog(dir, records);
    const file = path.join(dir, 'version-2', 'log.1');
    const at = recordOffset(records, 9);
    await flipBit(file, at + 20, 2);
    await expect(TxnLog.open(dir, options())).rejects.toBeInstanceOf(StorageCorruptionError);
    const damaged = await fsp.readFile(file);

    const report = await repairLog(dir);
    expect(report.damage).toMatchObject({ file, offset: at });
    expect(report.removed).toEqual([10]);
    expect(report.unreadable).toBe(0);
    expect(report.lastZxid).toBe(9);
    const side = `${file}.damaged-at-${at}`;
    expect(report.sideFiles).toEqual([side]);
    // the side file holds the damaged bytes as they were
    expect((await fsp.readFile(side)).equals(damaged.subarray(at, recordOffset(records, 10)))).toBe(true);
    const text = describeRepair(dir, report);
    expect(text).toContain('zxids taken out of the log: 0xa (1 transactions)');
    expect(text).toContain(side);

    const log = await TxnLog.open(dir, options());
    expect(plain(await readAll(log))).toEqual(plain(records.slice(0, 9)));
    await log.close();
    // a second run finds nothing more
    expect((await repairLog(dir)).damage).toBeNull();
  });

  it('takes out everything after damage in an older file, later files whole, and lists every zxid', async () => {
    const dir = await tempDir();
    await writeLog(dir, range(1, 20), [8, 15]);
    expect(await logFiles(dir)).toEqual(['log.1', 'log.8', 'log.f']);
    const file = path.join(dir, 'version-2', 'log.1');
    // the header of zxid 4's record: its zxid cannot be read any more
    await flipBit(file, recordOffset(range(1, 7), 3) + 9, 0);
    const log = await TxnLog.open(dir, options());
    await expect(readAll(log)).rejects.toBeInstanceOf(StorageCorruptionError);
    await log.close();

    const report = await repairLog(dir);
    expect(report.lastZxid).toBe(3);
    expect(report.removed).toEqual(range(5, 20).map((r) => r.zxid));
    expect(report.unreadable).toBe(1);
    expect(zxidRanges(report.removed)).toBe('0x5-0x14');
    expect(report.sideFiles.map((f) => path.basename(f))).toEqual([
      `log.1.damaged-at-${recordOffset(range(1, 7), 3)}`,
      'log.8.after-damage',
      'log.f.after-damage',
    ]);
    expect(describeRepair(dir, report)).toContain('and 1 damaged record whose zxid cannot be read');
    expect(await logFiles(dir)).toEqual(['log.1']);
    const again = await TxnLog.open(dir, options());
    expect((await readAll(again)).map((r) => r.zxid)).toEqual([1, 2, 3]);
    again.append(rec(4));
    await again.flush();
    await again.close();
  });

  it('refuses a folder without a transaction log, creating nothing', async () => {
    const dir = path.join(await tempDir(), 'no-such-dir');
    await expect(repairLog(dir)).rejects.toBeInstanceOf(StorageError);
    await expect(fsp.access(dir)).rejects.toThrow();
  });
});
