// What members say to each other, as data. Names are ZooKeeper's: the
// election's notifications, and the quorum packets between a leader and its
// learners (FOLLOWERINFO … UPTODATE, PROPOSAL/ACK/COMMIT, INFORM, PING,
// REVALIDATE, REQUEST, SYNC). Their byte encoding lives in one module of
// the shell; cores see only these records.

import type { Database } from '../database.js';
import type { Txn } from '../txn.js';
import type { Id, Request } from '../../wire/protocol.js';

export type ServerId = number;

export type PeerState = 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING';

/** A vote: who should lead, and why (its zxid and epoch). */
export interface Vote {
  leader: ServerId;
  zxid: number;
  peerEpoch: number;
}

/** An election notification: the sender's vote, its round and its state. */
export interface Notification extends Vote {
  /** the sender's logical clock (election round) */
  electionEpoch: number;
  state: PeerState;
}

/** A member's session touches, as a learner reports them in its PING. */
export interface SessionTouch {
  sessionId: bigint;
  timeout: number;
}

export type QuorumPacket =
  // discovery
  | { type: 'FOLLOWERINFO'; acceptedEpoch: number }
  | { type: 'OBSERVERINFO'; acceptedEpoch: number }
  | { type: 'LEADERINFO'; epoch: number }
  /** currentEpoch: -1 when the learner had already accepted this epoch */
  | { type: 'ACKEPOCH'; currentEpoch: number; lastZxid: number }
  // synchronisation
  | { type: 'DIFF'; zxid: number }
  | { type: 'TRUNC'; zxid: number }
  /** the leader's database as committed at `zxid`; the shell streams it */
  | { type: 'SNAP'; zxid: number; db: Database }
  /** sessionKey: the ensemble's key for session passwords, so that a session re-attaches at any member */
  | { type: 'NEWLEADER'; epoch: number; sessionKey: Uint8Array }
  /** the learner is synchronised: it applies up to the leader's commit point and serves */
  | { type: 'UPTODATE'; zxid: number }
  // broadcast
  | { type: 'PROPOSAL'; txn: Txn }
  /** a learner's ack of one proposal (zxid), or of NEWLEADER (the epoch's first zxid) */
  | { type: 'ACK'; zxid: number }
  | { type: 'COMMIT'; zxid: number }
  /** a committed transaction for an observer */
  | { type: 'INFORM'; txn: Txn }
  // sessions, forwarded requests, liveness
  | { type: 'PING'; touches: SessionTouch[] }
  | { type: 'REVALIDATE'; sessionId: bigint; timeout: number }
  | { type: 'REVALIDATE_ANSWER'; sessionId: bigint; valid: boolean }
  /** a client request a learner forwards: a write, createSession, closeSession or sync */
  | { type: 'REQUEST'; sessionId: bigint; cxid: number; request: ForwardedRequest; ids: Id[] }
  /** the point a learner's sync waits for */
  | { type: 'SYNC'; sessionId: bigint; zxid: number };

export type ForwardedRequest =
  | { kind: 'write'; req: Request }
  | { kind: 'createSession'; timeout: number }
  | { kind: 'closeSession' }
  | { kind: 'sync' };

/** Orders votes as fast leader election does: epoch, then zxid, then server id. */
export function betterVote(a: Vote, b: Vote): boolean {
  if (a.peerEpoch !== b.peerEpoch) return a.peerEpoch > b.peerEpoch;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}
