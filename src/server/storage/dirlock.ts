// One process per data directory. A lock file in the directory holds the
// owner's pid; a lock whose pid is no longer alive is stale and is taken over.
// Node has no flock(), so liveness is judged with signal 0: a lock left by a
// crashed server is reclaimed on the next start, and a live one is refused.
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
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await fsp.open(lockFile, 'wx');
      try {
        await h.writeFile(token);
        await h.sync();
      } finally {
        await h.close();
      }
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text: string;
    try {
      text = await fsp.readFile(lockFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw e;
    }
    const owner = parseOwner(text);
    const sameHost = owner !== null && owner.host === os.hostname();
    if (owner && owner.pid !== process.pid && (!sameHost || isAlive(owner.pid))) {
      const where = sameHost ? 'process' : `process on host ${owner.host}`;
      throw new DirectoryLockedError(
        `${dir} is in use by ${where} ${owner.pid} (lock file ${lockFile}); ` +
          `stop that server, or remove the lock file if no server runs there`,
        dir,
        lockFile,
        owner.pid,
      );
    }
    // The owner is dead, or the file is unreadable, or it names this very pid
    // (a restarted container reusing the pid of its crashed predecessor):
    // the lock is stale.
    logger?.warn(
      `taking over stale lock ${lockFile} (${owner ? `pid ${owner.pid} is not running` : 'unreadable lock file'})`,
    );
    await removeIfExists(lockFile);
  }
  throw new DirectoryLockedError(`could not lock ${dir}: lock file ${lockFile} keeps changing`, dir, lockFile, 0);
}
