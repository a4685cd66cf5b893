import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { follows } from '../../src/server/member-recovery.js';
import { readEpochFile, epochFilePath } from '../../src/server/storage/epochs.js';
import { StorageCorruptionError, StorageInconsistencyError } from '../../src/server/storage/errors.js';
import { writeSnapshot } from '../../src/server/storage/snapshot.js';
import { TxnLog } from '../../src/server/storage/txnlog.js';
import { encodeSnapshot } from '../../src/wire/snapshot-codec.js';
import { encodeTxn } from '../../src/wire/txn-codec.js';
import { encodeLogFile, options, useTempDirs } from './helpers.js';
import { createTxn, databaseOf, expected, recover, stateOf, writeEpochs, writeLog, writeSnapshotOf, z, zxids } from './member-fixtures.js';

const tempDir = useTempDirs();

async function refusal(dir: string): Promise<Error> {
  const err = await recover(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('recoverMember', () => {
  it('takes the snapshot as the database and hands the log after it over unapplied', async () => {
    const dir = await tempDir();
    const history = zxids(1, 1, 6);
    await writeLog(dir, history);
    const snap = await writeSnapshotOf(dir, history.slice(0, 3));
    await writeEpochs(dir, 2, 1);
    const r = await recover(dir);
    expect(stateOf(r)).toEqual(expected(history.slice(0, 3), history.slice(3), 2, 1));
    expect(r.snapshot).toEqual({ file: snap, zxid: z(1, 3) });
    // the logged transactions come back whole, as the member's core takes them
    expect(r.log[0]).toEqual(createTxn(z(1, 4)));
    expect(r.epochs.acceptedEpoch).toBe(2);
    expect(r.lines.some((l) => l.includes('3 logged transactions after it up to 0x100000006, not applied'))).toBe(true);
  });

  it('recovers a log without a snapshot when the log begins where the history does', async () => {
    const dir = await tempDir();
    const history = [...zxids(1, 1, 3), ...zxids(3, 1, 2)];
    await writeLog(dir, history, [z(3, 1)]);
    await writeEpochs(dir, 3, 3);
    const r = await recover(dir);
    expect(stateOf(r)).toEqual(expected([], history, 3, 3));
    expect(r.snapshot).toBeNull();
    expect(r.db.tree.nodes.has('/n-100000001')).toBe(false);
  });

  it('starts a fresh member from nothing, with both epoch files made at 0', async () => {
    const dir = await tempDir();
    const r = await recover(dir);
    expect(stateOf(r)).toEqual(expected([], [], 0, 0));
    expect(await readEpochFile(dir, 'acceptedEpoch')).toBe(0);
    expect(await readEpochFile(dir, 'currentEpoch')).toBe(0);
  });

  it('makes missing epoch files with the epoch of the last zxid on disk, as ZooKeeper does', async () => {
    const dir = await tempDir();
    const history = [...zxids(2, 1, 4), ...zxids(5, 1, 2)];
    await writeLog(dir, history);
    await writeSnapshotOf(dir, history.slice(0, 2));
    const r = await recover(dir);
    expect([r.acceptedEpoch, r.currentEpoch]).toEqual([5, 5]);
    expect(await readEpochFile(dir, 'currentEpoch')).toBe(5);
    expect(r.lines.filter((l) => l.includes('not found: made it with epoch 5'))).toHaveLength(2);

    // a standalone server's data directory (zxids of epoch 0) joins with epochs 0
    const standalone = await tempDir();
    await writeLog(standalone, [1, 2, 3]);
    const s = await recover(standalone);
    expect(stateOf(s)).toEqual(expected([], [1, 2, 3], 0, 0));
  });

  it('ignores log records at or below the snapshot, even of a history the snapshot replaced', async () => {
    const dir = await tempDir();
    // the log holds an abandoned epoch-1 tail (0x1_04..0x1_06); the snapshot is a leader's, at 0x2_02, and the log goes on after it
    const old = zxids(1, 1, 6);
    const leader = [...zxids(1, 1, 3), ...zxids(2, 1, 2)];
    const after = zxids(2, 3, 4);
    await writeLog(dir, [...old, ...after]);
    await writeSnapshotOf(dir, leader);
    await writeEpochs(dir, 2, 2);
    const r = await recover(dir);
    expect(stateOf(r)).toEqual(expected(leader, after, 2, 2));
  });

  it('accepts a history that moves on to a later epoch at its first counter', async () => {
    const dir = await tempDir();
    const history = [...zxids(1, 1, 2), ...zxids(4, 1, 1), ...zxids(9, 1, 3)];
    await writeLog(dir, history, [z(9, 1)]);
    await writeSnapshotOf(dir, history.slice(0, 2));
    await writeEpochs(dir, 9, 9);
    expect(stateOf(await recover(dir)).log).toEqual(history.slice(2));
  });

  it('starts a member whose log reaches an epoch beyond currentEpoch but not beyond acceptedEpoch', async () => {
    // crashed after the leader's history was durable and before NEWLEADER made its epoch current
    const dir = await tempDir();
    const history = [...zxids(1, 1, 3), ...zxids(2, 1, 2)];
    await writeLog(dir, history);
    await writeEpochs(dir, 2, 1);
    const r = await recover(dir);
    expect(stateOf(r)).toEqual(expected([], history, 2, 1));
    expect(r.lines.some((l) => l.includes('reaches epoch 2, beyond currentEpoch 1'))).toBe(true);

    // the same with the leader's snapshot (SNAP) as what made the new epoch durable
    const snapped = await tempDir();
    await writeSnapshotOf(snapped, history);
    await writeEpochs(snapped, 2, 1);
    expect(stateOf(await recover(snapped))).toEqual(expected(history, [], 2, 1));
  });
});

describe('recoverMember refuses', () => {
  it('a log with a gap between two of its files, naming the file after the gap', async () => {
    const dir = await tempDir();
    const history = zxids(1, 1, 15);
    await writeLog(dir, history, [z(1, 6), z(1, 11)]);
    const lost = path.join(dir, 'version-2', 'log.100000006');
    await fsp.unlink(lost);
    await writeEpochs(dir, 1, 1);
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageInconsistencyError);
    expect(err.message).toContain(path.join(dir, 'version-2', 'log.10000000b'));
    expect(err.message).toContain('goes from 0x100000005 to 0x10000000b');
  });

  it('a log that does not continue its snapshot, naming both', async () => {
    const dir = await tempDir();
    await writeLog(dir, zxids(1, 8, 10));
    const snap = await writeSnapshotOf(dir, zxids(1, 1, 5));
    await writeEpochs(dir, 1, 1);
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageInconsistencyError);
    expect((err as StorageInconsistencyError).files).toEqual([snap, path.join(dir, 'version-2', 'log.100000008')]);
    expect(err.message).toContain('first logged transaction after snapshot');
  });

  it('a log without a snapshot that does not begin at the first zxid of an epoch', async () => {
    const dir = await tempDir();
    await writeLog(dir, zxids(3, 4, 6));
    await writeEpochs(dir, 3, 3);
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageInconsistencyError);
    expect(err.message).toMatch(/there is no snapshot in .*version-2, and the log starts at 0x300000004/);
  });

  it('a later epoch that does not start at counter 1', async () => {
    const dir = await tempDir();
    await writeLog(dir, [...zxids(1, 1, 2), z(2, 2)]);
    await writeEpochs(dir, 2, 2);
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageInconsistencyError);
    expect(err.message).toContain('goes from 0x100000002 to 0x200000002');
  });

  it('zxids out of order across files, with every checksum valid', async () => {
    const dir = await tempDir();
    const vdir = path.join(dir, 'version-2');
    await fsp.mkdir(vdir);
    const rec = (zxid: number) => ({ zxid, payload: Uint8Array.from(encodeTxn(createTxn(zxid))) });
    await fsp.writeFile(path.join(vdir, 'log.1'), encodeLogFile(1, [1, 2, 3, 4, 5].map(rec)));
    await fsp.writeFile(path.join(vdir, 'log.3'), encodeLogFile(3, [3, 4].map(rec)));
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageCorruptionError);
    expect(err.message).toContain(path.join(vdir, 'log.3'));
    expect(err.message).toContain('not above the zxid before it');
  });

  it('currentEpoch above acceptedEpoch, naming both files', async () => {
    const dir = await tempDir();
    await writeEpochs(dir, 3, 4);
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageInconsistencyError);
    expect((err as StorageInconsistencyError).files).toEqual([epochFilePath(dir, 'currentEpoch'), epochFilePath(dir, 'acceptedEpoch')]);
    expect(err.message).toContain('currentEpoch 4');
    expect(err.message).toContain('above acceptedEpoch 3');
  });

  it('a transaction of an epoch above acceptedEpoch, in the log or in the snapshot', async () => {
    const dir = await tempDir();
    await writeLog(dir, [...zxids(1, 1, 2), ...zxids(3, 1, 1)]);
    await writeEpochs(dir, 2, 2);
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageInconsistencyError);
    expect(err.message).toContain('0x300000001');
    expect(err.message).toContain(path.join(dir, 'version-2', 'log.100000001'));
    expect(err.message).toContain(epochFilePath(dir, 'acceptedEpoch'));

    const snapped = await tempDir();
    const snap = await writeSnapshotOf(snapped, [...zxids(1, 1, 2), ...zxids(3, 1, 1)]);
    await writeEpochs(snapped, 2, 2);
    const err2 = await refusal(snapped);
    expect(err2).toBeInstanceOf(StorageInconsistencyError);
    expect((err2 as StorageInconsistencyError).files).toEqual([snap, epochFilePath(snapped, 'acceptedEpoch')]);
  });

  it('a snapshot whose content is not the database at the zxid its name gives', async () => {
    const dir = await tempDir();
    const db = databaseOf(zxids(1, 1, 4));
    const file = await writeSnapshot(dir, z(1, 5), encodeSnapshot(db));
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageCorruptionError);
    expect(err.message).toBe(`${file} is named for zxid 0x100000005 but holds the database at 0x100000004`);
  });

  it('a log record that does not decode, or holds a transaction other than the one it names', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    log.append({ zxid: 1, payload: Uint8Array.from(encodeTxn(createTxn(1))) });
    log.append({ zxid: 2, payload: Uint8Array.of(1, 2, 3) });
    await log.flush();
    await log.close();
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageCorruptionError);
    expect(err.message).toContain('log record 0x2 passed its checksum but does not decode');

    const other = await tempDir();
    const log2 = await TxnLog.open(other, options());
    log2.append({ zxid: 1, payload: Uint8Array.from(encodeTxn(createTxn(7))) });
    await log2.flush();
    await log2.close();
    const err2 = await refusal(other);
    expect(err2).toBeInstanceOf(StorageCorruptionError);
    expect(err2.message).toContain('log record 0x1 holds transaction 0x7');
  });

  it('a damaged epoch file, naming it', async () => {
    const dir = await tempDir();
    await writeEpochs(dir, 1, 1);
    await fsp.writeFile(epochFilePath(dir, 'acceptedEpoch'), '1x');
    const err = await refusal(dir);
    expect(err).toBeInstanceOf(StorageCorruptionError);
    expect(err.message).toContain(epochFilePath(dir, 'acceptedEpoch'));
  });
});

describe('follows', () => {
  it('is the next counter of the same epoch, or counter 1 of a later one', () => {
    expect(follows(0, 1)).toBe(true);
    expect(follows(0, z(1, 1))).toBe(true);
    expect(follows(0, z(1, 2))).toBe(false);
    expect(follows(z(1, 5), z(1, 6))).toBe(true);
    expect(follows(z(1, 5), z(1, 7))).toBe(false);
    expect(follows(z(1, 5), z(1, 5))).toBe(false);
    expect(follows(z(1, 5), z(3, 1))).toBe(true);
    expect(follows(z(1, 5), z(3, 0))).toBe(false);
    expect(follows(z(3, 2), z(1, 3))).toBe(false);
    // a counter's last value is followed by the next epoch, never by counter 0
    expect(follows(z(1, 0xffff_ffff), z(2, 1))).toBe(true);
    expect(follows(z(1, 0xffff_ffff), z(2, 0))).toBe(false);
  });
});
