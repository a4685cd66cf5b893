import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/server/log.js';
import { LOCK_FILE, lockDirectory } from '../../src/server/storage/dirlock.js';
import { DirectoryLockedError } from '../../src/server/storage/errors.js';
import { TxnLog } from '../../src/server/storage/txnlog.js';
import { options, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A process that stays alive until the test ends. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child.pid!;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

function lockText(pid: number, host = os.hostname()): string {
  return `pid=${pid}\nhost=${host}\nnonce=test\n`;
}

describe('directory lock', () => {
  it('writes the owner pid and removes the file on release', async () => {
    const dir = await tempDir();
    const lock = await lockDirectory(dir);
    const text = await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8');
    expect(text).toContain(`pid=${process.pid}\nhost=${os.hostname()}\n`);
    await lock.release();
    await expect(fsp.access(path.join(dir, LOCK_FILE))).rejects.toThrow();
    expect((await fsp.readdir(dir)).filter((n) => n.includes('lock'))).toEqual([]);
  });

  it('refuses a directory held by another live process, naming it', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await fsp.writeFile(path.join(dir, LOCK_FILE), lockText(pid));
    const err = await lockDirectory(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryLockedError);
    expect((err as DirectoryLockedError).pid).toBe(pid);
    expect((err as Error).message).toContain(`process ${pid}`);
    expect((err as Error).message).toContain(path.join(await fsp.realpath(dir), LOCK_FILE));
    await expect(TxnLog.open(dir, options())).rejects.toBeInstanceOf(DirectoryLockedError);
    // The other process's lock is left as it was.
    expect(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8')).toBe(lockText(pid));
  });

  it('takes over the lock of a process that is gone, with a warning', async () => {
    const dir = await tempDir();
    const pid = await deadPid();
    await fsp.writeFile(path.join(dir, LOCK_FILE), lockText(pid));
    const logger = memoryLogger();
    const lock = await lockDirectory(dir, logger);
    expect(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8')).toContain(`pid=${process.pid}\n`);
    expect(logger.lines.some((l) => l.includes('WARN') && l.includes(`pid ${pid} is not running`))).toBe(true);
    await lock.release();
  });

  it('takes over a lock that names this pid but that this process does not hold', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, LOCK_FILE), lockText(process.pid));
    const log = await TxnLog.open(dir, options());
    await log.close();
    await expect(fsp.access(path.join(dir, LOCK_FILE))).rejects.toThrow();
  });

  it('is shared within a process until the last holder releases it', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([lockDirectory(dir), lockDirectory(path.join(dir, '.'))]);
    const file = path.join(dir, LOCK_FILE);
    const text = await fsp.readFile(file, 'utf8');
    await a.release();
    await a.release();
    expect(await fsp.readFile(file, 'utf8')).toBe(text);
    await b.release();
    await expect(fsp.access(file)).rejects.toThrow();
  });

  it('is released when the log closes, so another open succeeds', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    expect(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8')).toContain(`pid=${process.pid}`);
    await log.close();
    await expect(fsp.access(path.join(dir, LOCK_FILE))).rejects.toThrow();
  });
});
