// ZooKeeper's file layout: `<dir>/version-2/log.<hex zxid>` and
// `<dir>/version-2/snapshot.<hex zxid>`, the zxid in lowercase hex without
// leading zeros. Helpers to name, list and durably create such files.

import { promises as fsp } from 'node:fs';
import path from 'node:path';

export const VERSION_DIR = 'version-2';

/** Largest zxid a JS number represents exactly. */
export const MAX_ZXID = Number.MAX_SAFE_INTEGER;

export type FileKind = 'log' | 'snapshot';

export interface ZxidFile {
  /** Absolute path. */
  path: string;
  /** Base name, e.g. `log.1a`. */
  name: string;
  zxid: number;
}

export function versionDir(dir: string): string {
  return path.join(dir, VERSION_DIR);
}

export function zxidFileName(kind: FileKind, zxid: number): string {
  return `${kind}.${zxid.toString(16)}`;
}

/** The zxid in a file name such as `log.1a`, or null when the name is not one of `kind`. */
export function parseZxidFileName(kind: FileKind, name: string): number | null {
  const prefix = kind + '.';
  if (!name.startsWith(prefix)) return null;
  const digits = name.slice(prefix.length);
  if (!/^[0-9a-fA-F]{1,14}$/.test(digits)) return null;
  const zxid = parseInt(digits, 16);
  return zxid <= MAX_ZXID ? zxid : null;
}

/** Files of `kind` in `vdir`, oldest (smallest zxid) first. A missing folder holds none. */
export async function listZxidFiles(vdir: string, kind: FileKind): Promise<ZxidFile[]> {
  const out: ZxidFile[] = [];
  for (const name of await listDir(vdir)) {
    const zxid = parseZxidFileName(kind, name);
    if (zxid !== null) out.push({ path: path.join(vdir, name), name, zxid });
  }
  return out.sort((a, b) => a.zxid - b.zxid);
}

/** Names in a folder; a missing folder has none. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** fsync a directory so that entries created, renamed or removed in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Creates `dir` and its parents, syncing each parent whose entry was added. */
export async function ensureDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  try {
    await fsp.access(abs);
    return;
  } catch {
    // Missing: create it below.
  }
  await ensureDir(path.dirname(abs));
  try {
    await fsp.mkdir(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  await syncDir(path.dirname(abs));
}

/** Removes a file if it exists; true when it did. */
export async function removeIfExists(file: string): Promise<boolean> {
  try {
    await fsp.unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Reads exactly `length` bytes at `position` into `buf[offset..]`, or fewer only at end of file; returns the count. */
export async function readFully(
  h: fsp.FileHandle,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await h.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of `bufs` at `position` (one writev call unless the kernel writes short). */
export async function writeFully(h: fsp.FileHandle, bufs: Uint8Array[], position: number): Promise<void> {
  let pending = unwritten(bufs, 0);
  let pos = position;
  while (pending.length > 0) {
    const { bytesWritten } = await h.writev(pending, pos);
    pos += bytesWritten;
    pending = unwritten(pending, bytesWritten);
  }
}

/**
 * What a writev of `bufs` that wrote `written` bytes left to write (empty
 * buffers dropped). It refers to nothing outside itself: the log writer
 * thread runs its source text (see logwriter.ts).
 */
export function unwritten(bufs: Uint8Array[], written: number): Uint8Array[] {
  let left = written;
  const rest: Uint8Array[] = [];
  for (const b of bufs) {
    if (left >= b.length) {
      left -= b.length;
    } else {
      rest.push(left > 0 ? b.subarray(left) : b);
      left = 0;
    }
  }
  return rest;
}
