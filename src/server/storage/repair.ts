// `verikeeper repair-log <dir>`: what an operator runs when start-up refused
// a damaged transaction log. It finds the first place where the log cannot
// be read on (a record that fails its checksum, a record cut short, zxids
// out of order, bytes that hold no record), and moves everything from there
// on aside: the rest of that file into a side file next to it, and every
// later log file whole, renamed. Nothing is deleted. It reports exactly
// which zxids it took out of the log, so that the operator knows what the
// server will no longer have (a snapshot may still hold some of them).
//
// Side files are named `log.<hex>.damaged-at-<offset>` and
// `log.<hex>.after-damage`, names the log never reads or purges. The
// directory is locked while this runs: a server cannot be using it.
//
// A repair also leaves the mark `version-2/repaired`: a member of an
// ensemble that starts on a repaired log takes part in no election until a
// leader has synchronised it (what it lost may have been committed, so its
// vote could elect a leader without it), and clears the mark then.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { lockDirectory } from './dirlock.js';
import { StorageCorruptionError, StorageError, hex } from './errors.js';
import { listZxidFiles, readFully, syncDir, versionDir, type ZxidFile } from './files.js';
import { checkRecord, lastNonZero, LOG_HEADER_SIZE, RECORD_ALIGN, RecordReader } from './logformat.js';
import { checkHeader, checkOrder, judgeStop } from './txnlog.js';

export interface RepairReport {
  /** Where the log could not be read on, or null when it is whole. */
  damage: { file: string; offset: number; reason: string } | null;
  /** The zxid of the last record left in the log (0 for none). */
  lastZxid: number;
  /** Zxids of the records taken out that could be read, ascending. */
  removed: number[];
  /** Records taken out whose zxid cannot be read (their header is damaged). */
  unreadable: number;
  /** Side files written or renamed into, with what they hold. */
  sideFiles: string[];
}

interface FirstDamage {
  file: ZxidFile;
  index: number;
  offset: number;
  reason: string;
  /** What stands at the damage: a whole record out of order, a damaged (or cut short) record, or no record. */
  record: 'whole' | 'damaged' | 'none';
  /** The zxid of the record at the damage when its header verified, else null. */
  zxid: number | null;
}

/** The mark a repair leaves in the log folder `dir` (see the file header). */
export function repairMarkPath(dir: string): string {
  return path.join(versionDir(dir), 'repaired');
}

/** Moves the damaged tail of the log in `dir` (its `version-2` folder) aside; see the file header. */
export async function repairLog(dir: string): Promise<RepairReport> {
  try {
    await fsp.access(versionDir(dir));
  } catch {
    throw new StorageError(`${dir} holds no transaction log (no ${versionDir(dir)} folder)`);
  }
  const lock = await lockDirectory(dir);
  try {
    const vdir = versionDir(dir);
    const files = await listZxidFiles(vdir, 'log');
    const { damage, lastZxid } = await findDamage(files);
    if (damage === null) return { damage: null, lastZxid, removed: [], unreadable: 0, sideFiles: [] };
    const removed: number[] = [];
    let unreadable = 0;
    const sideFiles: string[] = [];

    // the damaged file: from the damage on into a side file, then cut there
    const f = damage.file;
    const h = await fsp.open(f.path, 'r+');
    try {
      const size = (await h.stat()).size;
      const end = (await lastNonZero(h, damage.offset, size)) + 1;
      const tail = Buffer.alloc(Math.max(0, end - damage.offset));
      await readFully(h, tail, 0, tail.length, damage.offset);
      // the records still whole in the tail (an out-of-order record at the damage is one of them)
      removed.push(...scanRecords(tail, 0).zxids);
      if (damage.record === 'damaged') {
        if (damage.zxid !== null) removed.push(damage.zxid);
        else unreadable++;
      }
      const side = `${f.path}.damaged-at-${damage.offset}`;
      await writeDurably(side, tail);
      // the side file is on disk, its name included, before anything is cut
      await syncDir(vdir);
      sideFiles.push(side);
      await h.truncate(damage.offset);
      await h.datasync();
    } finally {
      await h.close();
    }

    // every later file, whole
    for (const later of files.slice(damage.index + 1)) {
      const bytes = await fsp.readFile(later.path);
      const found = scanRecords(bytes, LOG_HEADER_SIZE);
      removed.push(...found.zxids);
      const side = `${later.path}.after-damage`;
      await fsp.rename(later.path, side);
      sideFiles.push(side);
    }
    removed.sort((a, b) => a - b);
    // an earlier repair's mark may still be there: replaced, its member is not synchronised yet either
    const mark = await fsp.open(repairMarkPath(dir), 'w', 0o600);
    try {
      await mark.writeFile(`repaired at offset ${damage.offset} of ${f.path}; took out ${zxidRanges(removed) || 'no readable record'}\n`);
      await mark.sync();
    } finally {
      await mark.close();
    }
    await syncDir(vdir);
    return { damage: { file: f.path, offset: damage.offset, reason: damage.reason }, lastZxid, removed, unreadable, sideFiles };
  } finally {
    await lock.release();
  }
}

/** The first damage in `files` (oldest first) and the zxid of the last record before it. */
async function findDamage(files: ZxidFile[]): Promise<{ damage: FirstDamage | null; lastZxid: number }> {
  let prev = 0;
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    const h = await fsp.open(f.path, 'r');
    try {
      const size = (await h.stat()).size;
      await checkHeader(h, f, size);
      const reader = new RecordReader(h, LOG_HEADER_SIZE, size);
      let count = 0;
      for (let rs = await reader.batch(); rs.length > 0; rs = await reader.batch()) {
        for (const r of rs) {
          try {
            checkOrder(f, r.offset, r.zxid, count, prev);
          } catch (e) {
            if (!(e instanceof StorageCorruptionError)) throw e;
            return { damage: { file: f, index: i, offset: r.offset, reason: e.message, record: 'whole', zxid: r.zxid }, lastZxid: prev };
          }
          prev = r.zxid;
          count++;
        }
      }
      if (reader.bad) {
        const stop = await judgeStop(h, f, reader.bad, size, count, prev, i === files.length - 1);
        if (stop.kind !== 'end') {
          const bad = reader.bad;
          const record = bad.kind === 'end' ? 'none' : 'damaged';
          return {
            damage: { file: f, index: i, offset: bad.offset, reason: stop.error.message, record, zxid: bad.claimedZxid ?? null },
            lastZxid: prev,
          };
        }
      }
    } finally {
      await h.close();
    }
  }
  return { damage: null, lastZxid: prev };
}

/**
 * The zxids of the whole, valid records in `b` from `from` on, wherever they
 * stand (at multiples of 16 from the start of the file, which `from` is).
 */
function scanRecords(b: Buffer, from: number): { zxids: number[] } {
  const zxids: number[] = [];
  let q = from;
  while (q + 16 <= b.length) {
    const r = checkRecord(b, q, b.length - q);
    if (r.kind === 'ok') {
      zxids.push(r.zxid);
      q += r.size;
    } else {
      q += RECORD_ALIGN;
    }
  }
  return { zxids };
}

async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const h = await fsp.open(file, 'wx', 0o600);
  try {
    await h.writeFile(bytes);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Zxids as hex ranges: `0x5-0x9, 0xc`. */
export function zxidRanges(zxids: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < zxids.length; ) {
    let j = i;
    while (j + 1 < zxids.length && zxids[j + 1] === zxids[j]! + 1) j++;
    parts.push(i === j ? hex(zxids[i]!) : `${hex(zxids[i]!)}-${hex(zxids[j]!)}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The report as the command prints it. */
export function describeRepair(dir: string, r: RepairReport): string {
  if (r.damage === null) {
    return `the transaction log in ${path.join(dir, 'version-2')} reads whole up to zxid ${hex(r.lastZxid)}: nothing to repair\n`;
  }
  const lines = [
    `damage: ${r.damage.reason}`,
    `the log now ends at zxid ${hex(r.lastZxid)}`,
    r.removed.length > 0 ? `zxids taken out of the log: ${zxidRanges(r.removed)} (${r.removed.length} transactions)` : 'no whole transaction was taken out',
  ];
  if (r.unreadable > 0) lines.push(`and ${r.unreadable} damaged record whose zxid cannot be read`);
  for (const s of r.sideFiles) lines.push(`kept in ${s}`);
  return lines.join('\n') + '\n';
}
