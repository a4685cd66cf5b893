// The secret key that session passwords are derived with
// (`sessionPassword` in src/core/sessions.ts): `<dataDir>/session.key`, 32
// random bytes as 64 hex digits and a newline, readable by its owner only
// (mode 0600). Made at the first start, written to a temporary file, synced
// and renamed into place, so a crash leaves either no key or a whole one.
// Kept across restarts, so that clients re-attach to their sessions; every
// member of an ensemble must be given the same file.
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
  const m = /^([0-9a-f]{64})\n?$/.exec(text);
  if (!m) {
    throw new StorageError(
      `${file} does not hold a session key (${2 * KEY_BYTES} hex digits); restore it, ` +
        `or remove it to make a new one, which ends every existing session`,
    );
  }
  return Uint8Array.from(Buffer.from(m[1]!, 'hex'));
}

async function create(dataDir: string, file: string, logger?: Logger): Promise<Uint8Array> {
  await ensureDir(dataDir);
  const key = randomBytes(KEY_BYTES);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const h = await fsp.open(temp, 'wx', 0o600);
    try {
      // the mode given to open is narrowed by the umask, never widened: make sure it is exactly 0600
      await h.chmod(0o600);
      await h.writeFile(key.toString('hex') + '\n');
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
  logger?.info(`made a new session key in ${file}`);
  return Uint8Array.from(key);
}
