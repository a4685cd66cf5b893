// Start-up of an ensemble member: what it committed, what it logged beyond
// that, and its epochs.
//
// The newest snapshot that verifies is the committed database. The log
// records after the snapshot's zxid are decoded and handed over as logged,
// not applied: a member's log holds proposals that may never have been
// committed, and only its leader, when it synchronises the member, can say
// which were (a standalone server, whose every logged write was committed,
// applies them: recovery.ts). Records at or below the snapshot's zxid are
// skipped, whatever history they belong to.
//
// Before the member may vote with what it holds, the files must agree:
// - the log continues the snapshot, and each transaction the one before it:
//   within an epoch the counter goes up by one, and an epoch starts at
//   counter 1. A gap means transactions were lost (a log file, or the
//   snapshot that covered a purged log). This is how ZooKeeper's refusal of
//   a log without any snapshot ("No snapshot found, but there are log
//   entries") carries over: ZooKeeper writes an empty snapshot at the first
//   start, so a missing one means lost files; a member here may have logged
//   without ever taking a snapshot, and what is refused is a log that does
//   not begin where the history does.
// - currentEpoch ≤ acceptedEpoch, as ZooKeeper checks: an epoch becomes
//   current only after it was accepted.
// - the epoch of the last zxid on disk ≤ acceptedEpoch: a member logs or
//   installs only transactions of an epoch it accepted. ZooKeeper asks for
//   more, that epoch ≤ currentEpoch, and so cannot restart a member that
//   crashed while it was synchronised with a new leader: the member makes
//   the leader's history durable (the log, or the snapshot of SNAP) before
//   it takes the epoch as current (NEWLEADER), and both the protocol and
//   the spec let it restart from there, its currentEpoch behind its log.
//   ZooKeeper's own reports of that state (ZOOKEEPER-2354, ZOOKEEPER-4269)
//   are the reason the rule is relaxed here rather than copied.
// - the snapshot's content is the database at the zxid its file names.

import type { Txn } from '../core/txn.js';
import type { RecoveredMember } from '../core/zab/member.js';
import { counterOf, epochOf, zxidHex } from '../core/zxid.js';
import type { Logger } from './log.js';
import { loadSnapshotDatabase, loggedTxns } from './recovery.js';
import { EpochFiles, epochFilePath } from './storage/epochs.js';
import { StorageCorruptionError, StorageInconsistencyError } from './storage/errors.js';
import { listZxidFiles, versionDir } from './storage/files.js';
import type { TxnLog } from './storage/txnlog.js';

export interface MemberRecovery extends RecoveredMember {
  /** The snapshot the database comes from, or null when there is none (the database is empty). */
  snapshot: { file: string; zxid: number } | null;
  /** The epoch files, through which the member's persistEpoch effects are carried out. */
  epochs: EpochFiles;
}

/**
 * Recovers a member from the snapshots and epoch files in `dataDir` and the
 * open `txnLog`; see the file header for what is checked. A missing epoch
 * file is made with the epoch of the last zxid on disk (see epochs.ts).
 */
export async function recoverMember(dataDir: string, txnLog: TxnLog, logger: Logger): Promise<MemberRecovery> {
  const { db, snapshot } = await loadSnapshotDatabase(dataDir, logger);
  const base = db.lastZxid;
  if (snapshot && snapshot.zxid !== base) {
    throw new StorageCorruptionError(
      `${snapshot.file} is named for zxid ${zxidHex(snapshot.zxid)} but holds the database at ${zxidHex(base)}`,
      snapshot.file,
      0,
      snapshot.zxid,
      0,
    );
  }
  const log: Txn[] = [];
  for await (const txn of loggedTxns(txnLog, base)) log.push(txn);
  const logged = log.map((t) => t.hdr.zxid);
  const gap = historyGap(base, logged);
  if (gap) throw await gapError(txnLog, snapshot, gap, dataDir);
  const last = logged.length > 0 ? logged[logged.length - 1]! : base;
  const epochs = await EpochFiles.load(dataDir, epochOf(last), logger);
  const { acceptedEpoch, currentEpoch } = epochs;
  const accepted = epochFilePath(dataDir, 'acceptedEpoch');
  const current = epochFilePath(dataDir, 'currentEpoch');
  const problem = epochProblem(last, acceptedEpoch, currentEpoch);
  if (problem === 'currentAboveAccepted') {
    throw new StorageInconsistencyError(
      `currentEpoch ${currentEpoch} (${current}) is above acceptedEpoch ${acceptedEpoch} (${accepted}): ` +
        `an epoch becomes current only after it was accepted`,
      [current, accepted],
    );
  }
  if (problem === 'historyAboveAccepted') {
    const holder = log.length > 0 ? await logFileOf(txnLog, last) : (snapshot?.file ?? versionDir(dataDir));
    throw new StorageInconsistencyError(
      `the last zxid on disk, ${zxidHex(last)} (${holder}), is of epoch ${epochOf(last)}, above acceptedEpoch ${acceptedEpoch} (${accepted}): ` +
        `a member holds transactions only of epochs it accepted`,
      [holder, accepted],
    );
  }
  if (epochOf(last) > currentEpoch) {
    logger.info(
      `the history on disk reaches epoch ${epochOf(last)}, beyond currentEpoch ${currentEpoch}: the synchronisation with that epoch's leader ` +
        `stopped before its NEWLEADER was acknowledged; the member starts from currentEpoch ${currentEpoch}`,
    );
  }
  logger.info(
    `recovered ${snapshot ? `snapshot ${zxidHex(base)}` : 'no snapshot'} and ${log.length} logged transactions after it` +
      (log.length > 0 ? ` up to ${zxidHex(last)}, not applied until a leader commits them` : '') +
      `; acceptedEpoch ${acceptedEpoch}, currentEpoch ${currentEpoch}`,
  );
  return { db, log, acceptedEpoch, currentEpoch, snapshot, epochs };
}

/** Where the history of a snapshot at `base` and the zxids logged after it skips transactions, or null. */
export function historyGap(base: number, logged: readonly number[]): { prev: number; zxid: number; first: boolean } | null {
  let prev = base;
  for (let i = 0; i < logged.length; i++) {
    const zxid = logged[i]!;
    if (!follows(prev, zxid)) return { prev, zxid, first: i === 0 };
    prev = zxid;
  }
  return null;
}

/**
 * What is wrong with these epochs for a member whose last zxid on disk is
 * `lastZxid`, or null; an epoch of `lastZxid` above currentEpoch is allowed
 * (see the file header).
 */
export function epochProblem(lastZxid: number, acceptedEpoch: number, currentEpoch: number): 'currentAboveAccepted' | 'historyAboveAccepted' | null {
  if (currentEpoch > acceptedEpoch) return 'currentAboveAccepted';
  if (epochOf(lastZxid) > acceptedEpoch) return 'historyAboveAccepted';
  return null;
}

/**
 * Whether `zxid` may come right after `prev` in a member's history: the
 * next counter of prev's epoch, or the first counter (1) of a later epoch.
 * `prev` 0 stands for the empty history.
 */
export function follows(prev: number, zxid: number): boolean {
  const e = epochOf(zxid);
  const c = counterOf(zxid);
  return (e === epochOf(prev) && c === counterOf(prev) + 1) || (e > epochOf(prev) && c === 1);
}

async function gapError(
  txnLog: TxnLog,
  snapshot: { file: string; zxid: number } | null,
  { prev, zxid, first }: { prev: number; zxid: number; first: boolean },
  dataDir: string,
): Promise<StorageInconsistencyError> {
  const file = await logFileOf(txnLog, zxid);
  if (!first) {
    return new StorageInconsistencyError(
      `${file}: the log goes from ${zxidHex(prev)} to ${zxidHex(zxid)}: the transactions between them are missing`,
      [file],
    );
  }
  if (snapshot) {
    return new StorageInconsistencyError(
      `${file}: the first logged transaction after snapshot ${snapshot.file} (${zxidHex(prev)}) is ${zxidHex(zxid)}: ` +
        `the transactions between them are missing`,
      [snapshot.file, file],
    );
  }
  return new StorageInconsistencyError(
    `there is no snapshot in ${versionDir(dataDir)}, and the log starts at ${zxidHex(zxid)} (${file}), not at the first zxid of an epoch: ` +
      `the snapshot that covered the transactions before it is missing`,
    [file],
  );
}

/** The log file that holds `zxid`: the last one whose first zxid is not above it. */
async function logFileOf(txnLog: TxnLog, zxid: number): Promise<string> {
  const files = await listZxidFiles(versionDir(txnLog.dir), 'log');
  let found = versionDir(txnLog.dir);
  for (const f of files) if (f.zxid <= zxid) found = f.path;
  return found;
}
