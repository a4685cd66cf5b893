// Errors a ZooKeeper operation can end with, named and worded as ZooKeeper's
// own client words them ("KeeperErrorCode = NoNode for /x").

import { ErrorCode, errorName, type OpResult } from '../wire/protocol.js';

/** KeeperException.getCodeMessage: the text ZooKeeper shows for each code. */
const codeMessages = new Map<number, string>([
  [ErrorCode.OK, 'ok'],
  [ErrorCode.NotEmpty, 'Directory not empty'],
  [ErrorCode.SessionExpired, 'Session expired'],
  [ErrorCode.InvalidCallback, 'Invalid callback'],
  [ErrorCode.SessionMoved, 'Session moved'],
  [ErrorCode.NotReadOnly, 'Not a read-only call'],
  [ErrorCode.EphemeralOnLocalSession, 'Ephemeral node on local session'],
  [ErrorCode.NoWatcher, 'No such watcher'],
  [ErrorCode.ReconfigDisabled, 'Reconfig is disabled'],
  [ErrorCode.SessionClosedRequireSaslAuth, 'Session closed because client failed to authenticate'],
  [ErrorCode.QuotaExceeded, 'Quota has exceeded'],
  [ErrorCode.Throttled, 'Op throttled due to high load'],
  [ErrorCode.RequestTimeout, 'Request timeout'],
]);

/** The message ZooKeeper's client uses for an error code. */
export function codeMessage(code: number): string {
  const m = codeMessages.get(code);
  if (m !== undefined) return m;
  const name = errorName(code);
  return name.startsWith('Unknown(') ? `Unknown error ${code}` : name;
}

/** A ZooKeeper error reply (or a client-side condition expressed as one: connection loss, expiry). */
export class ZkError extends Error {
  override name = 'ZkError';
  /** The error's name in protocol.ts terms: `NoNode`, `BadVersion`, … */
  readonly codeName: string;

  constructor(
    /** The ZooKeeper error code (negative). */
    readonly code: number,
    /** The path the failed operation was about, when it had one. */
    readonly path?: string,
    /** For a failed multi: the result of every operation. */
    readonly results?: OpResult[],
  ) {
    super(path === undefined || path === '' ? `KeeperErrorCode = ${codeMessage(code)}` : `KeeperErrorCode = ${codeMessage(code)} for ${path}`);
    this.codeName = errorName(code);
  }
}
