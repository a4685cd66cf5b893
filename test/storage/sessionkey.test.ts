import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/server/log.js';
import { StorageError } from '../../src/server/storage/errors.js';
import { SESSION_KEY_FILE, loadSessionKey, storeSessionKey } from '../../src/server/storage/sessionkey.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

describe('session key file', () => {
  it('is made at the first start, owner-only, and read back unchanged after', async () => {
    const dir = await tempDir();
    const logger = memoryLogger();
    const key = await loadSessionKey(dir, logger);
    expect(key.length).toBe(32);
    const file = path.join(dir, SESSION_KEY_FILE);
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fsp.readFile(file, 'utf8')).toBe(Buffer.from(key).toString('hex') + '\n');
    expect(logger.lines.some((l) => l.includes('made a new session key'))).toBe(true);
    expect(Buffer.from(await loadSessionKey(dir)).equals(Buffer.from(key))).toBe(true);
    // no temporary file left behind
    expect((await fsp.readdir(dir)).sort()).toEqual([SESSION_KEY_FILE]);
  });

  it('differs from one data directory to the next', async () => {
    const a = await loadSessionKey(await tempDir());
    const b = await loadSessionKey(await tempDir());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuses a key file that others may read, naming it, and leaves it as it is', async () => {
    const dir = await tempDir();
    await loadSessionKey(dir);
    const file = path.join(dir, SESSION_KEY_FILE);
    const text = await fsp.readFile(file, 'utf8');
    for (const mode of [0o640, 0o604, 0o644]) {
      await fsp.chmod(file, mode);
      const err = await loadSessionKey(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain('chmod 600');
    }
    expect(await fsp.readFile(file, 'utf8')).toBe(text);
  });

  it('refuses a file that does not hold a key instead of replacing it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, SESSION_KEY_FILE);
    for (const text of ['', 'abc\n', 'g'.repeat(64) + '\n', 'a'.repeat(63) + '\n']) {
      await fsp.writeFile(file, text, { mode: 0o600 });
      const err = await loadSessionKey(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as Error).message).toMatch(/does not hold a session key/);
      expect(await fsp.readFile(file, 'utf8')).toBe(text);
    }
  });

  it('keeps the ensemble\'s key in place of its own, owner-only, and refuses one too short', async () => {
    const dir = await tempDir();
    const own = await loadSessionKey(dir);
    const ensemble = new Uint8Array(32).fill(0xab);
    await storeSessionKey(dir, ensemble);
    expect(await loadSessionKey(dir)).toEqual(ensemble);
    expect(Buffer.from(own).equals(Buffer.from(ensemble))).toBe(false);
    expect((await fsp.stat(path.join(dir, SESSION_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expect(storeSessionKey(dir, new Uint8Array(8))).rejects.toThrow(/too short/);
    expect(await loadSessionKey(dir)).toEqual(ensemble);
  });
});
