// Who may talk to this member: the server ids of its configuration, and the
// ensemble fingerprint — a hash of the membership (every server id with its
// role) that a member sends when it connects, so that a member configured
// for another ensemble (or with other roles) is turned away instead of
// joining an election or a quorum it does not belong to.

import { createHash } from 'node:crypto';
import type { ServerId } from '../../core/zab/messages.js';
import { fail } from './errors.js';

export interface EnsembleMember {
  id: ServerId;
  observer: boolean;
}

/** What a decoder checks a connecting peer against. */
export interface PeerCheck {
  /** this member's own id (a peer claiming it is misconfigured) */
  myid: ServerId;
  /** every server id in the configuration */
  knownIds: ReadonlySet<ServerId>;
  /** this ensemble's fingerprint (see ensembleFingerprint) */
  fingerprint: bigint;
}

/**
 * The fingerprint of a membership: the first 8 bytes of the SHA-256 of
 * `id:role` pairs in increasing id order, joined by commas (role
 * `participant` or `observer`), as a signed 64-bit value. The order the
 * members are listed in does not matter; a duplicate id is an error.
 */
export function ensembleFingerprint(members: Iterable<EnsembleMember>): bigint {
  const sorted = [...members].sort((a, b) => a.id - b.id);
  for (let i = 0; i < sorted.length; i++) {
    const id = sorted[i]!.id;
    if (!Number.isSafeInteger(id)) throw new Error(`server id ${id} is not an integer`);
    if (i > 0 && sorted[i - 1]!.id === id) throw new Error(`server id ${id} is listed twice`);
  }
  const text = sorted.map((m) => `${m.id}:${m.observer ? 'observer' : 'participant'}`).join(',');
  return createHash('sha256').update(text, 'utf8').digest().readBigInt64BE(0);
}

/** The checks for a member `myid` of the ensemble made of `members`. */
export function peerCheck(myid: ServerId, members: Iterable<EnsembleMember>): PeerCheck {
  const list = [...members];
  const knownIds = new Set(list.map((m) => m.id));
  if (!knownIds.has(myid)) throw new Error(`server id ${myid} is not a member of the ensemble`);
  return { myid, knownIds, fingerprint: ensembleFingerprint(list) };
}

/** Throws unless `sid` names another member of the ensemble. */
export function checkPeerId(check: PeerCheck, sid: bigint, what: string): ServerId {
  const id = Number(sid);
  if (!Number.isSafeInteger(id) || !check.knownIds.has(id)) fail('unknown-server', `${what}: server id ${sid} is not in this ensemble`);
  if (id === check.myid) fail('unknown-server', `${what}: server id ${sid} is this member's own`);
  return id;
}

/** Throws unless `got` is this ensemble's fingerprint. */
export function checkFingerprint(check: PeerCheck, got: bigint, sid: ServerId, what: string): void {
  if (got !== check.fingerprint) {
    fail('fingerprint', `${what}: server ${sid} belongs to another ensemble (fingerprint ${hex64(got)}, expected ${hex64(check.fingerprint)})`);
  }
}

function hex64(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`;
}
