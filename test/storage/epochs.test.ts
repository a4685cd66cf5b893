import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '../../src/server/log.js';
import { MAX_EPOCH } from '../../src/core/zxid.js';
import { StorageCorruptionError, StorageError, StorageFormatError } from '../../src/server/storage/errors.js';
import { EpochFiles, epochFilePath, readEpochFile } from '../../src/server/storage/epochs.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

afterEach(() => {
  vi.restoreAllMocks();
});

async function vdirNames(dir: string): Promise<string[]> {
  return (await fsp.readdir(path.join(dir, 'version-2'))).sort();
}

describe('epoch files', () => {
  it('live beside the snapshots as acceptedEpoch and currentEpoch, decimal digits without a newline', async () => {
    const dir = await tempDir();
    const epochs = await EpochFiles.load(dir, 0, memoryLogger());
    expect(await epochs.write('acceptedEpoch', 12)).toBe(12);
    expect(await epochs.write('currentEpoch', 7)).toBe(7);
    expect(epochFilePath(dir, 'acceptedEpoch')).toBe(path.join(dir, 'version-2', 'acceptedEpoch'));
    expect(await fsp.readFile(path.join(dir, 'version-2', 'acceptedEpoch'), 'utf8')).toBe('12');
    expect(await fsp.readFile(path.join(dir, 'version-2', 'currentEpoch'), 'utf8')).toBe('7');
    expect(await vdirNames(dir)).toEqual(['acceptedEpoch', 'currentEpoch']);
    const again = await EpochFiles.load(dir, 0, memoryLogger());
    expect([again.acceptedEpoch, again.currentEpoch]).toEqual([12, 7]);
  });

  it('are made with the default epoch when missing, as ZooKeeper does, and say so', async () => {
    const dir = await tempDir();
    const logger = memoryLogger();
    const fresh = await EpochFiles.load(dir, 0, logger);
    expect([fresh.acceptedEpoch, fresh.currentEpoch]).toEqual([0, 0]);
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(0);
    expect(await readEpochFile(dir, 'currentEpoch')).toBe(0);
    expect(logger.lines.filter((l) => l.includes('not found: made it with epoch 0'))).toHaveLength(2);

    // only the missing one takes the default; the one present keeps its value
    const other = await tempDir();
    await (await EpochFiles.load(other, 0, memoryLogger())).write('acceptedEpoch', 9);
    await fsp.unlink(epochFilePath(other, 'currentEpoch'));
    const upgraded = await EpochFiles.load(other, 4, memoryLogger());
    expect([upgraded.acceptedEpoch, upgraded.currentEpoch]).toEqual([9, 4]);
    expect(await readEpochFile(other, 'currentEpoch')).toBe(4);
  });

  it('read a value followed by a newline, as an operator might have written it', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'version-2'));
    await fsp.writeFile(epochFilePath(dir, 'acceptedEpoch'), '5\n');
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(5);
    expect(await readEpochFile(dir, 'currentEpoch')).toBeNull();
  });

  it('refuse a damaged file, naming it, and leave it as it is', async () => {
    for (const text of ['', '\n', 'abc', '-1', '1.5', ' 5', '5 ', '5\n6', '5\n\n', '0x10', '12345678901234567']) {
      const dir = await tempDir();
      await fsp.mkdir(path.join(dir, 'version-2'));
      const file = epochFilePath(dir, 'currentEpoch');
      await fsp.writeFile(file, text);
      const err = await EpochFiles.load(dir, 0, memoryLogger()).catch((e: unknown) => e);
      expect(err, JSON.stringify(text)).toBeInstanceOf(StorageCorruptionError);
      expect((err as StorageCorruptionError).file).toBe(file);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain('does not hold an epoch');
      expect(await fsp.readFile(file, 'utf8')).toBe(text);
    }
  });

  it('refuse an epoch larger than a zxid can carry', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'version-2'));
    const file = epochFilePath(dir, 'acceptedEpoch');
    await fsp.writeFile(file, String(MAX_EPOCH + 1));
    const err = await readEpochFile(dir, 'acceptedEpoch').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFormatError);
    expect((err as Error).message).toContain(file);
    await fsp.writeFile(file, String(MAX_EPOCH));
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(MAX_EPOCH);
  });

  it('never move backwards: a lower epoch writes nothing and is answered with the value held', async () => {
    const dir = await tempDir();
    const epochs = await EpochFiles.load(dir, 0, memoryLogger());
    expect(await epochs.write('acceptedEpoch', 8)).toBe(8);
    const rename = vi.spyOn(fsp, 'rename');
    expect(await epochs.write('acceptedEpoch', 5)).toBe(8);
    expect(await epochs.write('acceptedEpoch', 8)).toBe(8);
    expect(rename).not.toHaveBeenCalled();
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(8);
    expect(epochs.acceptedEpoch).toBe(8);
  });

  it('write one at a time per file, in the order asked, so the highest epoch asked for stays', async () => {
    const dir = await tempDir();
    const epochs = await EpochFiles.load(dir, 0, memoryLogger());
    const answers = await Promise.all([
      epochs.write('acceptedEpoch', 3),
      epochs.write('acceptedEpoch', 9),
      epochs.write('currentEpoch', 2),
      epochs.write('acceptedEpoch', 5),
    ]);
    expect(answers).toEqual([3, 9, 2, 9]);
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(9);
    expect(await readEpochFile(dir, 'currentEpoch')).toBe(2);
  });

  it('reject epochs out of range before touching the disk', async () => {
    const dir = await tempDir();
    const epochs = await EpochFiles.load(dir, 0, memoryLogger());
    for (const bad of [-1, 1.5, NaN, MAX_EPOCH + 1]) expect(() => epochs.write('currentEpoch', bad)).toThrow(RangeError);
    await expect(EpochFiles.load(dir, -1, memoryLogger())).rejects.toThrow(RangeError);
  });
});

describe('epoch files across a crash', () => {
  it('keep the old value when a crash leaves the temporary file of a write behind, whatever it holds', async () => {
    for (const leftover of ['9', '', '1']) {
      const dir = await tempDir();
      await (await EpochFiles.load(dir, 0, memoryLogger())).write('currentEpoch', 4);
      // what a crash before the rename leaves: the new value (whole or torn) in the temporary file
      const temp = epochFilePath(dir, 'currentEpoch') + '.tmp';
      await fsp.writeFile(temp, leftover);
      expect(await readEpochFile(dir, 'currentEpoch')).toBe(4);
      const logger = memoryLogger();
      const epochs = await EpochFiles.load(dir, 0, logger);
      expect(epochs.currentEpoch).toBe(4);
      expect(logger.lines.some((l) => l.includes(`removed ${temp}`))).toBe(true);
      expect(await vdirNames(dir)).toEqual(['acceptedEpoch', 'currentEpoch']);
      // and the next write goes through
      expect(await epochs.write('currentEpoch', 6)).toBe(6);
      expect(await readEpochFile(dir, 'currentEpoch')).toBe(6);
    }
  });

  it('report nothing written when the rename fails, keep the old value, and fail every later write', async () => {
    const dir = await tempDir();
    const epochs = await EpochFiles.load(dir, 0, memoryLogger());
    await epochs.write('acceptedEpoch', 3);
    const rename = vi.spyOn(fsp, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' }));
    const err = await epochs.write('acceptedEpoch', 4).catch((e: unknown) => e);
    expect(rename).toHaveBeenCalledTimes(1);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toContain(epochFilePath(dir, 'acceptedEpoch'));
    expect(epochs.acceptedEpoch).toBe(3);
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(3);
    await expect(epochs.write('acceptedEpoch', 5)).rejects.toBe(err);
    await expect(epochs.write('currentEpoch', 5)).rejects.toBe(err);
    expect(await vdirNames(dir)).toEqual(['acceptedEpoch', 'currentEpoch']);
  });

  it('make the new value durable before answering: temporary file synced, renamed, folder synced', async () => {
    const dir = await tempDir();
    const epochs = await EpochFiles.load(dir, 0, memoryLogger());
    const steps: string[] = [];
    const probe = await fsp.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = proto.sync;
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: { fd: number }) {
      steps.push('sync');
      return sync.call(this);
    });
    const rename = fsp.rename;
    vi.spyOn(fsp, 'rename').mockImplementation(async (a, b) => {
      steps.push(`rename ${path.basename(String(a))} ${path.basename(String(b))}`);
      return rename(a, b);
    });
    await epochs.write('currentEpoch', 2);
    expect(steps).toEqual(['sync', 'rename currentEpoch.tmp currentEpoch', 'sync']);
  });
});
