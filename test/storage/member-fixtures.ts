// Shared fixtures for the ensemble member's storage tests: transactions,
// logs and snapshots of a given history, epoch files, and a recovery run.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Database } from '../../src/core/database.js';
import type { Txn } from '../../src/core/txn.js';
import { makeZxid } from '../../src/core/zxid.js';
import { memoryLogger } from '../../src/server/log.js';
import { recoverMember, type MemberRecovery } from '../../src/server/member-recovery.js';
import { epochFilePath } from '../../src/server/storage/epochs.js';
import { writeSnapshot } from '../../src/server/storage/snapshot.js';
import { TxnLog } from '../../src/server/storage/txnlog.js';
import { OpCode } from '../../src/wire/protocol.js';
import { encodeSnapshot } from '../../src/wire/snapshot-codec.js';
import { encodeTxn } from '../../src/wire/txn-codec.js';
import { options } from './helpers.js';

export const z = makeZxid;

/** The path a fixture transaction creates. */
export function nodeOf(zxid: number): string {
  return `/n-${zxid.toString(16)}`;
}

/** A transaction that creates `nodeOf(zxid)`. */
export function createTxn(zxid: number): Txn {
  const p = nodeOf(zxid);
  return {
    hdr: { sessionId: 1n, cxid: 1, zxid, time: 1_000, type: OpCode.create },
    body: {
      kind: 'create',
      path: p,
      data: new TextEncoder().encode(p),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      ephemeralOwner: 0n,
      parentCVersion: -1,
    },
  };
}

/** The zxids of a counter range within one epoch. */
export function zxids(epoch: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let c = from; c <= to; c++) out.push(z(epoch, c));
  return out;
}

/** The database after applying creates of `history`, in order. */
export function databaseOf(history: number[]): Database {
  const db = new Database();
  for (const zxid of history) db.apply(createTxn(zxid));
  return db;
}

/** Appends creates of `history` to `log` (a roll before each zxid in `rollBefore`) and flushes. */
export async function appendTxns(log: TxnLog, history: number[], rollBefore: number[] = []): Promise<void> {
  for (const zxid of history) {
    if (rollBefore.includes(zxid)) await log.roll();
    log.append({ zxid, payload: Uint8Array.from(encodeTxn(createTxn(zxid))) });
  }
  await log.flush();
}

/** Writes a log of creates of `history` under `dir`. */
export async function writeLog(dir: string, history: number[], rollBefore: number[] = []): Promise<void> {
  const log = await TxnLog.open(dir, options());
  try {
    await appendTxns(log, history, rollBefore);
  } finally {
    await log.close();
  }
}

/** Writes a snapshot of the database after `history`; returns its path. */
export async function writeSnapshotOf(dir: string, history: number[]): Promise<string> {
  const db = databaseOf(history);
  return writeSnapshot(dir, db.lastZxid, encodeSnapshot(db));
}

export async function writeEpochs(dir: string, acceptedEpoch: number, currentEpoch: number): Promise<void> {
  await fsp.mkdir(path.join(dir, 'version-2'), { recursive: true });
  await fsp.writeFile(epochFilePath(dir, 'acceptedEpoch'), String(acceptedEpoch));
  await fsp.writeFile(epochFilePath(dir, 'currentEpoch'), String(currentEpoch));
}

/** Opens the log of `dir`, recovers the member and closes the log again. */
export async function recover(dir: string): Promise<MemberRecovery & { lines: string[] }> {
  const logger = memoryLogger('member');
  const log = await TxnLog.open(dir, options());
  try {
    return { ...(await recoverMember(dir, log, logger)), lines: logger.lines };
  } finally {
    await log.close();
  }
}

/** What a recovery comes back with, as plain data: the nodes of the database, its zxid, the logged zxids, the epochs. */
export function stateOf(r: MemberRecovery): { dbZxid: number; nodes: string[]; log: number[]; acceptedEpoch: number; currentEpoch: number } {
  const nodes = [...r.db.tree.nodes.keys()].filter((p) => p.startsWith('/n-')).sort();
  return { dbZxid: r.db.lastZxid, nodes, log: r.log.map((t) => t.hdr.zxid), acceptedEpoch: r.acceptedEpoch, currentEpoch: r.currentEpoch };
}

/** The state a member holding the database after `applied` and the log `logged` (beyond it) recovers to. */
export function expected(applied: number[], logged: number[], acceptedEpoch: number, currentEpoch: number): ReturnType<typeof stateOf> {
  return {
    dbZxid: applied.length > 0 ? applied[applied.length - 1]! : 0,
    nodes: applied.map(nodeOf).sort(),
    log: logged,
    acceptedEpoch,
    currentEpoch,
  };
}
