// The secret key that session passwords are derived with
// (`sessionPassword` in src/core/sessions.ts): `<dataDir>/session.key`, 32
// random bytes as 64 hex digits and a newline, readable by its owner only
// (mode 0600). Made at the first start, written to a temporary file, synced
// and renamed into place, so a crash leaves either no key or a whole one.
// Kept across restarts, so that clients re-attach to their sessions. In an
// ensemble the leader's key reaches every member with NEWLEADER, and a
// member keeps it in place of its own (`storeSessionKey`), the same way.
//
// A key that others may read is no secret: such a file, or one that does
// not hold a key, stops start-up with an error naming it. It is never
// replaced silently, since a new key turns away every existing session.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { StorageError } from './errors.js';
import { ensureDir, removeIfExists, syncDir } from './files.js';

export const SESSION_KEY_FILE = 'session.key';
const KEY_BYTES = 32;

/** The session key of `dataDir`, made there first if it has none. */
export async function loadSessionKey(dataDir: string, logger?: Logger): Promise<Uint8Array> {
  const file = path.join(dataDir, SESSION_KEY_FILE);
  let text: string;
  try {
    const h = await fsp.open(file, 'r');
    try {
      const mode = (await h.stat()).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new StorageError(
          `${file} holds the secret of every session password but others may read it ` +
            `(mode ${mode.toString(8).padStart(4, '0')}); make it readable by its owner only: chmod 600 ${file}`,
        );
      }
      text = await h.readFile('utf8');
    } finally {
      await h.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return create(dataDir, file, logger);
  }
  const m = /^((?:[0-9a-f]{2}){16,1024})\n?$/.exec(text);
  if (!m) {
    throw new StorageError(
      `${file} does not hold a session key (${2 * KEY_BYTES} hex digits); restore it, ` +
        `or remove it to make a new one, which ends every existing session`,
    );
  }
  return Uint8Array.from(Buffer.from(m[1]!, 'hex'));
}

async function create(dataDir: string, file: string, logger?: Logger): Promise<Uint8Array> {
  const key = Uint8Array.from(randomBytes(KEY_BYTES));
  await write(dataDir, file, key);
  logger?.info(`made a new session key in ${file}`);
  return key;
}

/** Replaces the key of `dataDir` with `key` (the ensemble's), durably: the old key or the new, never a torn one. */
export async function storeSessionKey(dataDir: string, key: Uint8Array, logger?: Logger): Promise<void> {
  if (key.length < 16) throw new StorageError(`a session key of ${key.length} bytes is too short to be a secret`);
  await write(dataDir, path.join(dataDir, SESSION_KEY_FILE), key);
  logger?.info(`keeping the ensemble's session key in ${path.join(dataDir, SESSION_KEY_FILE)}`);
}

async function write(dataDir: string, file: string, key: Uint8Array): Promise<void> {
  await ensureDir(dataDir);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const h = await fsp.open(temp, 'wx', 0o600);
    try {
      // the mode given to open is narrowed by the umask, never widened: make sure it is exactly 0600
      await h.chmod(0o600);
      await h.writeFile(Buffer.from(key).toString('hex') + '\n');
      await h.sync();
    } finally {
      await h.close();
    }
    await fsp.rename(temp, file);
    await syncDir(dataDir);
  } catch (e) {
    await removeIfExists(temp);
    throw e;
  }
}
