// One process per data directory, enforced by an operating system lock:
// flock(2), exclusive, on `<dir>/verikeeper.lock`, held through a file
// descriptor of this process.
//
// Why an OS lock and not a pid in a file: the kernel drops a flock lock when
// the last descriptor of its open file description closes, and a process's
// descriptors close when it ends, however it ends (exit, crash, kill -9,
// power loss). So a crashed holder never blocks the next start, and nothing
// is judged from a pid, which the system hands out again (after a reboot,
// in a new container) to some unrelated process. A pid check also cannot
// see a holder in another pid namespace; the lock works across namespaces
// of one kernel, as it is on the file.
//
// Node has no flock() binding, and a native addon would need a compiler at
// install time. flock(1) from util-linux (on every Linux system) takes the
// lock for us: it is handed our open descriptor of the lock file as its fd
// 3, locks it without waiting, and exits. A flock lock belongs to the open
// file description, which the child's copy of the descriptor shares with
// ours: when flock(1) exits, the lock stays with this process until it
// closes its descriptor or ends.
//
// The lock file is never removed: a process that had opened it before the
// removal could lock the removed file while a third locks a new one of the
// same name, and both would think they hold the directory. The file holds
// the owner's pid and host, only to name the holder in the refusal. If the
// file is removed or replaced while held, `check` says the lock is lost.
//
// Within one process the lock is shared: dataDir and dataLogDir may be the
// same folder, and both the log and the snapshot writer may lock it.

import { spawn } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryLockedError, StorageError } from './errors.js';
import { ensureDir } from './files.js';
import type { Logger } from '../log.js';

export const LOCK_FILE = 'verikeeper.lock';

/** flock(1)'s exit status when another process holds the lock (chosen with --conflict-exit-code). */
const CONFLICT = 75;

export interface DirLock {
  readonly dir: string;
  readonly lockFile: string;
  /** Why the lock no longer guards the directory (its file removed or replaced), or null while it does. */
  check(): Promise<string | null>;
  /** Gives the lock up once every holder in this process has released it. */
  release(): Promise<void>;
}

interface Held {
  lockFile: string;
  handle: fsp.FileHandle;
  count: number;
}

const held = new Map<string, Held>();
const acquiring = new Map<string, Promise<Held>>();

function parseOwner(text: string): { pid: number; host: string } | null {
  const m = /^pid=(\d+)\nhost=([^\n]*)\n/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]! } : null;
}

/**
 * Locks `dir` (created if missing) for this process. Throws
 * DirectoryLockedError when another process holds it.
 */
export async function lockDirectory(dir: string, logger?: Logger): Promise<DirLock> {
  await ensureDir(dir);
  const real = await fsp.realpath(dir);
  const lockFile = path.join(real, LOCK_FILE);
  let entry = held.get(real);
  if (!entry) {
    let pending = acquiring.get(real);
    if (!pending) {
      pending = acquire(real, lockFile, logger)
        .then((handle) => {
          const e: Held = { lockFile, handle, count: 0 };
          held.set(real, e);
          return e;
        })
        .finally(() => acquiring.delete(real));
      acquiring.set(real, pending);
    }
    entry = await pending;
  }
  entry.count++;
  const mine = entry;
  let released = false;
  return {
    dir: real,
    lockFile,
    check: () => lost(mine),
    release: async () => {
      if (released) return;
      released = true;
      if (--mine.count > 0) return;
      held.delete(real);
      // closing the last descriptor drops the lock; the file stays (see above)
      await mine.handle.close();
    },
  };
}

async function acquire(dir: string, lockFile: string, logger?: Logger): Promise<fsp.FileHandle> {
  const h = await fsp.open(lockFile, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const outcome = await flock(h.fd);
    if (outcome === 'held') {
      const owner = parseOwner(await fsp.readFile(lockFile, 'utf8').catch(() => ''));
      const who = owner ? `process ${owner.pid}${owner.host !== os.hostname() ? ` on host ${owner.host}` : ''}` : 'another process';
      throw new DirectoryLockedError(
        `${dir} is in use by ${who} (it holds the lock on ${lockFile}); stop that server first`,
        dir,
        lockFile,
        owner?.pid ?? 0,
      );
    }
    const previous = parseOwner(await fsp.readFile(lockFile, 'utf8'));
    if (previous && previous.pid !== process.pid) {
      logger?.info(`locked ${dir}; the lock file still named process ${previous.pid}, which no longer holds it`);
    }
    const text = Buffer.from(`pid=${process.pid}\nhost=${os.hostname()}\n`);
    await h.truncate(0);
    await h.write(text, 0, text.length, 0);
    return h;
  } catch (e) {
    await h.close();
    throw e;
  }
}

/** Runs flock(1) on descriptor `fd` of this process: 'locked' when this process now holds the lock. */
function flock(fd: number): Promise<'locked' | 'held'> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(CONFLICT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new StorageError(
          e.code === 'ENOENT'
            ? 'cannot lock the data directory: the flock command (util-linux) is not installed'
            : `cannot lock the data directory: flock: ${e.message}`,
        ),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) resolve('locked');
      else if (code === CONFLICT) resolve('held');
      else reject(new StorageError(`cannot lock the data directory: flock exited with ${signal ?? code}: ${stderr.trim()}`));
    });
  });
}

/** Why `e`'s lock file no longer is the file this process has locked, or null. */
async function lost(e: Held): Promise<string | null> {
  const mine = await e.handle.stat();
  let now;
  try {
    now = await fsp.stat(e.lockFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `the lock file ${e.lockFile} was removed`;
    throw err;
  }
  if (now.ino !== mine.ino || now.dev !== mine.dev) return `the lock file ${e.lockFile} was replaced by another file`;
  return null;
}
