// A learner takes its leader's snapshot (SNAP): afterwards its state on
// disk is exactly the snapshot at zxid. A restart comes back to that
// snapshot, not to an older one plus an old log, and no logged record of
// the history it replaces is ever read as following it.
//
// The steps, in this order:
// 1. refuse, before anything changes, when a snapshot above zxid exists: it
//    would outrank the new one. Our leader sends SNAP only to a learner
//    whose last zxid is below the snapshot's, and a member's snapshots never
//    go beyond what it logged, so this is a broken invariant;
// 2. cut the log after zxid (TxnLog.truncate): no record above it is left;
// 3. write the snapshot at zxid durably (temporary file, fsync, rename,
//    fsync of the folder: snapshot.ts);
// 4. remove the older snapshots. They belong to the replaced history: were
//    the new snapshot ever to fail verification, recovery would otherwise
//    fall back to one of them and join that history to the records logged
//    after the install; without them it stops with an error instead.
//
// Why a crash anywhere leaves the old state or the new one. Recovery
// (member-recovery.ts) takes the newest snapshot that verifies and the log
// records above its zxid.
// - During step 2: the truncation removes the newest log files first and
//   cuts the last one kept at the end, so the log is a prefix of the old
//   one: the old state, possibly without some of its records above zxid.
// - Between steps 2 and 3's rename: the old snapshot and the old log cut at
//   zxid. That is the old state itself whenever the learner holds nothing
//   above zxid, which is always the case with our leader (see step 1); in
//   general it is what a TRUNC to zxid leaves, a prefix of a history the
//   member had, which its leader synchronises again.
// - After step 3's rename: the new snapshot is the newest, the records at
//   or below its zxid are skipped and none above it is left: exactly the
//   new state. Step 4 only removes files recovery no longer reads.
// Writing the snapshot before cutting the log would be wrong: a crash
// between the two leaves the leader's snapshot followed by the replaced
// history's records above its zxid, which recovery cannot tell from records
// logged after an install and would hand to the member as its own.
//
// The database is captured when installLeaderSnapshot is called, or earlier
// by captureLeaderSnapshot, before the member's next input changes it (the
// encoder keeps what the tree changes afterwards). The caller appends nothing to the log until the install has
// settled: a record above zxid made durable before the snapshot would, after
// a crash, follow the old snapshot. An append during the install fails it.
// Nor does the caller write a snapshot of its own meanwhile (it waits for
// one in progress first): finished after step 4, it would be an older
// snapshot of the replaced history.

import type { Database } from '../core/database.js';
import { invariant } from '../core/invariant.js';
import { zxidHex } from '../core/zxid.js';
import { SnapshotEncoder } from '../wire/snapshot-codec.js';
import type { Logger } from './log.js';
import { slices } from './log-pipeline.js';
import { StorageInconsistencyError } from './storage/errors.js';
import { listZxidFiles, removeIfExists, syncDir, versionDir } from './storage/files.js';
import { writeSnapshot } from './storage/snapshot.js';
import type { TxnLog } from './storage/txnlog.js';

/**
 * Captures the leader's database for an install to come (a caller whose
 * install waits behind other storage work captures it when the SNAP is
 * taken): the encoder keeps the database as it is now.
 */
export function captureLeaderSnapshot(db: Database, zxid: number): SnapshotEncoder {
  invariant(db.lastZxid === zxid, () => `the leader's snapshot is named ${zxidHex(zxid)} but its database is at ${zxidHex(db.lastZxid)}`);
  return new SnapshotEncoder(db);
}

/**
 * Replaces the member's state on disk with `db`, its leader's database at
 * `zxid`, in the order the file header explains; resolves with the
 * snapshot's path once everything is durable (then `durable(zxid)` may be
 * reported to the member).
 */
export async function installLeaderSnapshot(
  dataDir: string,
  txnLog: TxnLog,
  source: Database | SnapshotEncoder,
  zxid: number,
  logger: Logger,
): Promise<string> {
  // the database as it is now (or as the caller captured it), whatever the member applies next
  const encoder = source instanceof SnapshotEncoder ? source : captureLeaderSnapshot(source, zxid);
  invariant(encoder.zxid === zxid, () => `the leader's snapshot is named ${zxidHex(zxid)} but holds ${zxidHex(encoder.zxid)}`);
  const appends = txnLog.stats.appends;
  try {
    const vdir = versionDir(dataDir);
    const snapshots = await listZxidFiles(vdir, 'snapshot');
    const newer = snapshots.filter((s) => s.zxid > zxid);
    if (newer.length > 0) {
      throw new StorageInconsistencyError(
        `cannot install the leader's snapshot at ${zxidHex(zxid)}: ${newer.map((s) => s.path).join(', ')} ` +
          `${newer.length > 1 ? 'are' : 'is'} newer, and a member never holds a snapshot beyond its leader's`,
        newer.map((s) => s.path),
      );
    }
    await txnLog.truncate(zxid);
    const file = await writeSnapshot(dataDir, zxid, slices(encoder));
    const older = snapshots.filter((s) => s.zxid < zxid);
    for (const s of older) await removeIfExists(s.path);
    if (older.length > 0) await syncDir(vdir);
    invariant(
      txnLog.stats.appends === appends,
      () => `records were appended to the log while the leader's snapshot at ${zxidHex(zxid)} was installed`,
    );
    logger.info(
      `installed the leader's snapshot ${file} (zxid ${zxidHex(zxid)}); ` +
        `the log keeps nothing above it${older.length > 0 ? `; removed ${older.length} older snapshots of the replaced history` : ''}`,
    );
    return file;
  } finally {
    encoder.close();
  }
}
