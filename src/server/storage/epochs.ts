// The epoch files of an ensemble member, where and as ZooKeeper keeps them:
// `<dataDir>/version-2/acceptedEpoch` and `<dataDir>/version-2/currentEpoch`,
// beside the snapshots, each holding one epoch as decimal text without a
// newline. acceptedEpoch is the newest epoch the member has promised to
// follow (it answers ACKEPOCH only once the file holds it); currentEpoch is
// the epoch of the last leader whose history it acknowledged (NEWLEADER).
//
// A write goes to `<name>.tmp`, which is fsynced and renamed over the file,
// then the folder is fsynced: a crash leaves the old value or the new one,
// never a torn one, and a value is reported only once its rename is durable.
// A temporary file left by a crash is ignored, since its rename never
// happened and so its value was never reported, and removed at load.
//
// A file only moves forward: asking for an epoch at or below the value it
// holds writes nothing and answers with that value. Lowering acceptedEpoch
// would take back a promise the member may already have acted on; the core
// reads every answer as "the file holds at least this epoch".
//
// A missing file: ZooKeeper takes the epoch of the last zxid it has (0 on a
// fresh server), writes it and logs that this should only happen when an
// installation is upgraded; `EpochFiles.load` does the same with the epoch
// its caller derives from the snapshot and the log. A file that does not
// hold an epoch stops start-up with an error naming it and is left as it
// is: a member that forgot which epochs it promised could help two leaders
// into one epoch.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { EpochFile } from '../../core/zab/effects.js';
import { MAX_EPOCH } from '../../core/zxid.js';
import type { Logger } from '../log.js';
import { StorageCorruptionError, StorageError, StorageFormatError } from './errors.js';
import { ensureDir, removeIfExists, syncDir, versionDir } from './files.js';

export const EPOCH_FILES: readonly EpochFile[] = ['acceptedEpoch', 'currentEpoch'];

const TEMP_SUFFIX = '.tmp';

export function epochFilePath(dataDir: string, file: EpochFile): string {
  return path.join(versionDir(dataDir), file);
}

/** The epoch `file` holds, or null when there is no such file. */
export async function readEpochFile(dataDir: string, file: EpochFile): Promise<number | null> {
  const p = epochFilePath(dataDir, file);
  let text: string;
  try {
    text = await fsp.readFile(p, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  // ZooKeeper writes the digits alone and reads the first line: a newline after them is accepted too
  const m = /^([0-9]{1,16})\n?$/.exec(text);
  if (!m) {
    const shown = text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}…` : JSON.stringify(text);
    throw new StorageCorruptionError(
      `${p} does not hold an epoch (decimal digits) but ${shown}; it is not replaced: restore it, ` +
        `as a member that forgot the epochs it promised could help elect two leaders in one epoch`,
      p,
      0,
      undefined,
      0,
    );
  }
  const epoch = Number(m[1]);
  if (epoch > MAX_EPOCH) {
    throw new StorageFormatError(`${p} holds epoch ${epoch}, above ${MAX_EPOCH}, the largest a zxid carries here`, p);
  }
  return epoch;
}

/** Replaces `file` with `epoch`: temporary file, fsync, rename, fsync of the folder. */
async function writeEpochFile(dataDir: string, file: EpochFile, epoch: number): Promise<void> {
  const vdir = versionDir(dataDir);
  await ensureDir(vdir);
  const p = epochFilePath(dataDir, file);
  const temp = p + TEMP_SUFFIX;
  try {
    // 'w': a temporary file that a crash left behind is overwritten
    const h = await fsp.open(temp, 'w');
    try {
      await h.writeFile(String(epoch));
      await h.sync();
    } finally {
      await h.close();
    }
    await fsp.rename(temp, p);
  } catch (e) {
    await removeIfExists(temp).catch(() => undefined);
    throw e;
  }
  await syncDir(vdir);
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) throw new RangeError(`invalid epoch ${epoch}`);
}

/** Both epoch files of a data directory: their durable values, and writes made one at a time per file. */
export class EpochFiles {
  private readonly values: Record<EpochFile, number>;
  private readonly chains: Record<EpochFile, Promise<unknown>> = { acceptedEpoch: Promise.resolve(), currentEpoch: Promise.resolve() };
  private failure: unknown = null;

  private constructor(
    readonly dataDir: string,
    values: Record<EpochFile, number>,
  ) {
    this.values = { ...values };
  }

  /**
   * Reads both files of `dataDir`. A missing one is written with
   * `defaultEpoch` (see the file header); a temporary file left by an
   * interrupted write is removed.
   */
  static async load(dataDir: string, defaultEpoch: number, logger: Logger): Promise<EpochFiles> {
    checkEpoch(defaultEpoch);
    const values = { acceptedEpoch: 0, currentEpoch: 0 };
    for (const file of EPOCH_FILES) {
      const temp = epochFilePath(dataDir, file) + TEMP_SUFFIX;
      if (await removeIfExists(temp)) logger.info(`removed ${temp}, left by an interrupted write of ${file}`);
      const got = await readEpochFile(dataDir, file);
      if (got !== null) {
        values[file] = got;
        continue;
      }
      await writeEpochFile(dataDir, file, defaultEpoch);
      values[file] = defaultEpoch;
      logger.info(
        `${epochFilePath(dataDir, file)} not found: made it with epoch ${defaultEpoch}, the epoch of the last zxid on disk ` +
          `(expected on a member's first start, or when a standalone data directory joins an ensemble)`,
      );
    }
    return new EpochFiles(dataDir, values);
  }

  /** The value the acceptedEpoch file durably holds. */
  get acceptedEpoch(): number {
    return this.values.acceptedEpoch;
  }

  /** The value the currentEpoch file durably holds. */
  get currentEpoch(): number {
    return this.values.currentEpoch;
  }

  /**
   * Makes `file` hold at least `epoch`, durably, after every write of it
   * asked for before; resolves with the value it then holds. An epoch at or
   * below that value writes nothing. After a failed write every later one
   * fails with the same error: what the file holds is no longer known.
   */
  write(file: EpochFile, epoch: number): Promise<number> {
    checkEpoch(epoch);
    const run = async (): Promise<number> => {
      if (this.failure !== null) throw this.failure;
      if (epoch <= this.values[file]) return this.values[file];
      try {
        await writeEpochFile(this.dataDir, file, epoch);
      } catch (e) {
        this.failure = new StorageError(`cannot write ${epochFilePath(this.dataDir, file)}: ${(e as Error).message}`);
        throw this.failure;
      }
      this.values[file] = epoch;
      return epoch;
    };
    const p = this.chains[file].then(run);
    this.chains[file] = p.catch(() => undefined);
    return p;
  }
}
