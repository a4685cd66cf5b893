// Session bookkeeping for expiry: each session has a negotiated timeout and
// expires when nothing was heard from it for that long. Time arrives from the
// caller (ticks); this file never reads a clock.

import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha256';

export interface SessionInfo {
  id: bigint;
  timeout: number;
  /** time (ms) after which the session expires unless touched */
  expiresAt: number;
  /** a closeSession transaction is on its way: the session takes no more requests */
  closing: boolean;
}

export class SessionTracker {
  readonly sessions = new Map<bigint, SessionInfo>();
  private next: bigint;

  /**
   * `idBase` seeds session ids; ZooKeeper's layout puts the server id in the
   * top byte and a time-derived counter below, so that ids stay unique across
   * restarts and servers. The caller derives it (see `sessionIdBase`).
   */
  constructor(idBase: bigint) {
    this.next = idBase;
  }

  /** A fresh session id (never 0, never one in use). */
  nextId(): bigint {
    let id = this.next;
    while (id === 0n || this.sessions.has(id)) id = BigInt.asIntN(64, id + 1n);
    this.next = BigInt.asIntN(64, id + 1n);
    return id;
  }

  add(id: bigint, timeout: number, now: number): void {
    this.sessions.set(id, { id, timeout, expiresAt: now + timeout, closing: false });
  }

  get(id: bigint): SessionInfo | undefined {
    return this.sessions.get(id);
  }

  /** Pushes expiry back; false when the session is unknown or closing. */
  touch(id: bigint, now: number, timeout?: number): boolean {
    const s = this.sessions.get(id);
    if (!s || s.closing) return false;
    if (timeout !== undefined) s.timeout = timeout;
    const at = now + s.timeout;
    if (at > s.expiresAt) s.expiresAt = at;
    return true;
  }

  setClosing(id: bigint): void {
    const s = this.sessions.get(id);
    if (s) s.closing = true;
  }

  remove(id: bigint): void {
    this.sessions.delete(id);
  }

  /** Sessions past their expiry and not yet closing; they are marked closing. */
  expire(now: number): SessionInfo[] {
    const out: SessionInfo[] = [];
    for (const s of this.sessions.values()) {
      if (!s.closing && s.expiresAt <= now) {
        s.closing = true;
        out.push(s);
      }
    }
    return out;
  }

  get size(): number {
    return this.sessions.size;
  }
}

/**
 * ZooKeeper's session id layout: server id in the top byte, then the start
 * time in ms shifted left by 16 (top byte cleared), so successive servers and
 * restarts hand out disjoint ranges.
 */
export function sessionIdBase(serverId: number, startTimeMs: number): bigint {
  const t = BigInt.asUintN(56, BigInt(Math.floor(startTimeMs)) << 16n);
  return BigInt.asIntN(64, (BigInt(serverId & 0xff) << 56n) | t);
}

/** Shortest session key accepted, in bytes. */
export const MIN_SESSION_KEY_BYTES = 16;

/**
 * The password of a session: HMAC-SHA-256 of its id (8 bytes, big-endian)
 * under the server's secret `key`, cut to ZooKeeper's 16 bytes. Without the
 * key it cannot be computed from the id, so a session id alone does not let
 * anyone take the session over; with it, a restarted server, or any member
 * of an ensemble that is given the same key, checks a reconnecting client's
 * password without storing it. Clients treat the password as opaque bytes.
 */
export function sessionPassword(id: bigint, key: Uint8Array): Uint8Array {
  if (key.length < MIN_SESSION_KEY_BYTES) {
    throw new RangeError(`a session key must have at least ${MIN_SESSION_KEY_BYTES} bytes, this one has ${key.length}`);
  }
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, BigInt.asUintN(64, id));
  return hmac(sha256, key, msg).subarray(0, 16);
}

export function samePassword(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
