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

/** A process that stays alive until the test ends and has nothing to do with any lock. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child.pid!;
}

/**
 * Another process holding the OS lock on `dir`'s lock file (flock(1) replaced
 * by a shell that says so, then by sleep, which keeps the locked
 * descriptor), with its pid written in the file as a server writes it.
 */
async function otherHolder(dir: string): Promise<ChildProcess> {
  const file = path.join(dir, LOCK_FILE);
  const child = spawn('flock', ['--exclusive', '--nonblock', '--no-fork', file, '-c', 'echo locked; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`flock exited with ${code}`)));
  });
  await fsp.writeFile(file, `pid=${child.pid}\nhost=${os.hostname()}\n`);
  return child;
}

describe('directory lock', () => {
  it('names this process in the lock file and keeps the file on release', async () => {
    const dir = await tempDir();
    const lock = await lockDirectory(dir);
    const file = path.join(dir, LOCK_FILE);
    expect(await fsp.readFile(file, 'utf8')).toBe(`pid=${process.pid}\nhost=${os.hostname()}\n`);
    expect(await lock.check()).toBeNull();
    await lock.release();
    // removing it would let two processes lock two different files of one name
    await fsp.access(file);
    const again = await lockDirectory(dir);
    await again.release();
  });

  it('refuses a directory another process holds, naming it, and leaves its file alone', async () => {
    const dir = await tempDir();
    const holder = await otherHolder(dir);
    const file = path.join(dir, LOCK_FILE);
    const text = await fsp.readFile(file, 'utf8');
    const err = await lockDirectory(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryLockedError);
    expect((err as DirectoryLockedError).pid).toBe(holder.pid);
    expect((err as Error).message).toContain(`process ${holder.pid}`);
    expect((err as Error).message).toContain(path.join(await fsp.realpath(dir), LOCK_FILE));
    await expect(TxnLog.open(dir, options())).rejects.toBeInstanceOf(DirectoryLockedError);
    expect(await fsp.readFile(file, 'utf8')).toBe(text);
  });

  it('is free the moment its holder is killed', async () => {
    const dir = await tempDir();
    const holder = await otherHolder(dir);
    await expect(lockDirectory(dir)).rejects.toBeInstanceOf(DirectoryLockedError);
    const exited = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await exited;
    const lock = await lockDirectory(dir);
    expect(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8')).toContain(`pid=${process.pid}\n`);
    await lock.release();
  });

  it('takes a lock file left by a dead holder even when its pid now belongs to a live, unrelated process', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await fsp.writeFile(path.join(dir, LOCK_FILE), `pid=${pid}\nhost=${os.hostname()}\n`);
    const logger = memoryLogger();
    const lock = await lockDirectory(dir, logger);
    expect(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8')).toBe(`pid=${process.pid}\nhost=${os.hostname()}\n`);
    expect(logger.lines.some((l) => l.includes(`named process ${pid}, which no longer holds it`))).toBe(true);
    await lock.release();
  });

  it('is shared within a process until the last holder releases it', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([lockDirectory(dir), lockDirectory(path.join(dir, '.'))]);
    await a.release();
    await a.release();
    // still held for b: another process is refused
    const probe = spawn('flock', ['--exclusive', '--nonblock', path.join(dir, LOCK_FILE), 'true']);
    expect(await new Promise((r) => probe.once('exit', r))).toBe(1);
    await b.release();
    const again = spawn('flock', ['--exclusive', '--nonblock', path.join(dir, LOCK_FILE), 'true']);
    expect(await new Promise((r) => again.once('exit', r))).toBe(0);
  });

  it('says the lock is lost when its file is removed or replaced', async () => {
    const dir = await tempDir();
    const lock = await lockDirectory(dir);
    const file = path.join(dir, LOCK_FILE);
    await fsp.rename(file, file + '.old');
    expect(await lock.check()).toMatch(/was removed/);
    await fsp.writeFile(file, 'someone else\n');
    expect(await lock.check()).toMatch(/was replaced/);
    await lock.release();
  });

  it('is released when the log closes, so another open succeeds', async () => {
    const dir = await tempDir();
    const log = await TxnLog.open(dir, options());
    expect(await fsp.readFile(path.join(dir, LOCK_FILE), 'utf8')).toContain(`pid=${process.pid}`);
    await log.close();
    const again = await TxnLog.open(dir, options());
    await again.close();
  });
});
