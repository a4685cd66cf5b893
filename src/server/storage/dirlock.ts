// One process per data directory. A lock file in the directory holds the
// owner's pid; a lock whose pid is no longer alive is stale and is taken over.
// Node has no flock(), so liveness is judged with signal 0: a lock left by a
// crashed server is reclaimed on the next start, and a live one is refused.
// The lock guards against a second server on the same machine; it is no
// protection for a folder shared between hosts.
// Within one process the lock is shared: dataDir and dataLogDir may be the
// same folder, and both the log and the snapshot writer may lock it.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryLockedError } from './errors.js';
import { ensureDir, removeIfExists } from './files.js';
import type { Logger } from '../log.js';

export const LOCK_FILE = 'verikeeper.lock';

export interface DirLock {
  readonly dir: string;
  readonly lockFile: string;
  /** Gives the lock up; the file goes once every holder in this process has released it. */
  release(): Promise<void>;
}

interface Held {
  lockFile: string;
  token: string;
  count: number;
}

const held = new Map<string, Held>();
const acquiring = new Map<string, Promise<Held>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): { pid: number; host: string } | null {
  const m = /^pid=(\d+)\nhost=([^\n]*)\n/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]! } : null;
}

/**
 * Locks `dir` (created if missing) for this process. Throws
 * DirectoryLockedError when another live process holds it.
 */
export async function lockDirectory(dir: string, logger?: Logger): Promise<DirLock> {
  await ensureDir(dir);
  const real = await fsp.realpath(dir);
  const lockFile = path.join(real, LOCK_FILE);
  let entry = held.get(real);
  if (!entry) {
    let pending = acquiring.get(real);
    if (!pending) {
      const token = `pid=${process.pid}\nhost=${os.hostname()}\nnonce=${Math.random().toString(36).slice(2)}\n`;
      pending = acquire(real, lockFile, token, logger)
        .then(() => {
          const e: Held = { lockFile, token, count: 0 };
          held.set(real, e);
          return e;
        })
        .finally(() => acquiring.delete(real));
      acquiring.set(real, pending);
    }
    entry = await pending;
  }
  entry.count++;
  let released = false;
  return {
    dir: real,
    lockFile,
    release: async () => {
      if (released) return;
      released = true;
      const e = held.get(real);
      if (!e || --e.count > 0) return;
      held.delete(real);
      try {
        if ((await fsp.readFile(lockFile, 'utf8')) === e.token) await fsp.unlink(lockFile);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}

async function acquire(dir: string, lockFile: string, token: string, logger?: Logger): Promise<void> {
  // The lock file appears with its content in one step (a hard link to a
  // file written beforehand), so another process never reads it half-written.
  const temp = `${lockFile}.${process.pid}.tmp`;
  await fsp.writeFile(temp, token, { flush: true });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await linkIfAbsent(temp, lockFile)) return;
      if (!(await stale(dir, lockFile, logger))) continue;
      await removeIfExists(lockFile);
    }
  } finally {
    await removeIfExists(temp);
  }
  throw new DirectoryLockedError(`could not lock ${dir}: lock file ${lockFile} keeps changing`, dir, lockFile, 0);
}

async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await fsp.link(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Whether the lock file at `lockFile` may be taken over (false when it went
 * away meanwhile); throws DirectoryLockedError when a live process holds it.
 */
async function stale(dir: string, lockFile: string, logger?: Logger): Promise<boolean> {
  let text: string;
  try {
    text = await fsp.readFile(lockFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // released meanwhile
    throw e;
  }
  const owner = parseOwner(text);
  if (owner && owner.host === os.hostname() && owner.pid !== process.pid && isAlive(owner.pid)) {
    throw new DirectoryLockedError(
      `${dir} is in use by process ${owner.pid} (lock file ${lockFile}); ` +
        `stop that server, or remove the lock file if no server runs there`,
      dir,
      lockFile,
      owner.pid,
    );
  }
  // Stale: the owner is dead; or the file names this very pid (a restarted
  // container reusing the pid of its crashed predecessor); or another host
  // wrote it (a new container on the same volume), whose processes cannot
  // be checked from here; or the file is unreadable.
  const why = !owner
    ? 'unreadable lock file'
    : owner.host !== os.hostname()
      ? `written by pid ${owner.pid} on host ${owner.host}`
      : `pid ${owner.pid} is not running`;
  logger?.warn(`taking over stale lock ${lockFile} (${why})`);
  return true;
}
