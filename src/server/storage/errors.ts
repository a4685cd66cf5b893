// The storage layer's errors. Each names the file and, for records, the byte
// offset and zxid, so that an operator can find the damage with a hex dump.

export class StorageError extends Error {
  override name = 'StorageError';
}

/** A record or file whose bytes are not what was written: start-up must stop. */
export class StorageCorruptionError extends StorageError {
  override name = 'StorageCorruptionError';
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
    /** The zxid the damaged record claims, when its header could be read. */
    readonly zxid: number | undefined,
    /** The zxid of the last intact record before the damage (0 if none). */
    readonly lastGoodZxid: number,
  ) {
    super(message);
  }
}

/** A file that is not ours, or written in a format version this code does not read. */
export class StorageFormatError extends StorageError {
  override name = 'StorageFormatError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/**
 * Files that each read whole but do not agree with one another (a log that
 * does not continue its snapshot, epochs that contradict the log): start-up
 * must stop, since no single file can be blamed and repaired.
 */
export class StorageInconsistencyError extends StorageError {
  override name = 'StorageInconsistencyError';
  constructor(
    message: string,
    /** The files involved, each named in the message too. */
    readonly files: string[],
  ) {
    super(message);
  }
}

/** A data directory held by another live process. */
export class DirectoryLockedError extends StorageError {
  override name = 'DirectoryLockedError';
  constructor(
    message: string,
    readonly dir: string,
    readonly lockFile: string,
    readonly pid: number,
  ) {
    super(message);
  }
}

export function hex(zxid: number): string {
  return '0x' + zxid.toString(16);
}
