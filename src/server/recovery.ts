// Start-up: the newest snapshot that verifies, then every logged transaction
// after it, applied in order — the database as it was when the last
// acknowledged write was made durable. The two halves are shared with an
// ensemble member's recovery (member-recovery.ts), which reads the log the
// same way but does not apply it.

import { Database } from '../core/database.js';
import type { Txn } from '../core/txn.js';
import { decodeSnapshot } from '../wire/snapshot-codec.js';
import { decodeTxn } from '../wire/txn-codec.js';
import { JuteError } from '../wire/jute.js';
import type { Logger } from './log.js';
import { readLatestSnapshot } from './storage/snapshot.js';
import type { TxnLog } from './storage/txnlog.js';
import { StorageCorruptionError } from './storage/errors.js';

export interface Recovered {
  db: Database;
  snapshotZxid: number;
  replayed: number;
}

export async function recoverDatabase(dataDir: string, log: TxnLog, logger: Logger): Promise<Recovered> {
  const { db } = await loadSnapshotDatabase(dataDir, logger);
  const snapshotZxid = db.lastZxid;
  let replayed = 0;
  for await (const txn of loggedTxns(log, snapshotZxid)) {
    db.apply(txn);
    replayed++;
  }
  if (replayed > 0) logger.info(`replayed ${replayed} transactions from the log up to zxid 0x${db.lastZxid.toString(16)}`);
  return { db, snapshotZxid, replayed };
}

export interface SnapshotDatabase {
  /** The snapshot's database, or an empty one when there is no snapshot. */
  db: Database;
  /** The snapshot file and the zxid its name and header give, or null when there is none. */
  snapshot: { file: string; zxid: number } | null;
}

/** The database of the newest snapshot that verifies; content that does not decode is corruption. */
export async function loadSnapshotDatabase(dataDir: string, logger: Logger): Promise<SnapshotDatabase> {
  const snap = await readLatestSnapshot(dataDir, logger);
  if (!snap) return { db: new Database(), snapshot: null };
  let db: Database;
  try {
    db = decodeSnapshot(snap.data);
  } catch (e) {
    if (e instanceof JuteError) {
      throw new StorageCorruptionError(`snapshot ${snap.file} passed its checksum but its content does not decode: ${e.message}`, snap.file, 0, snap.zxid, 0);
    }
    throw e;
  }
  logger.info(`loaded snapshot ${snap.file} (zxid 0x${snap.zxid.toString(16)}, ${db.tree.nodeCount} nodes, ${db.sessions.size} sessions)`);
  return { db, snapshot: { file: snap.file, zxid: snap.zxid } };
}

/**
 * The logged transactions after `afterZxid`, oldest first, decoded. The log
 * verifies each record's checksum and the order of zxids; a record that
 * does not decode, or holds a transaction other than the one it names, is
 * corruption.
 */
export async function* loggedTxns(log: TxnLog, afterZxid: number): AsyncGenerator<Txn> {
  for await (const rec of log.readFrom(afterZxid)) {
    let txn: Txn;
    try {
      txn = decodeTxn(rec.payload);
    } catch (e) {
      if (e instanceof JuteError) {
        throw new StorageCorruptionError(
          `log record 0x${rec.zxid.toString(16)} passed its checksum but does not decode: ${e.message}`,
          log.dir,
          0,
          rec.zxid,
          0,
        );
      }
      throw e;
    }
    if (txn.hdr.zxid !== rec.zxid) {
      throw new StorageCorruptionError(`log record 0x${rec.zxid.toString(16)} holds transaction 0x${txn.hdr.zxid.toString(16)}`, log.dir, 0, rec.zxid, 0);
    }
    yield txn;
  }
}
