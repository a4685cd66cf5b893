// What a member asks of its shell, beyond what any core asks (client
// effects, persist). Durability of the log comes back as an input,
// `durable(zxid)`, after a persist, a truncate or a snapshot install. An
// epoch file is written durably in the step that asks for it, as ZooKeeper
// writes its epoch files before it goes on: the shell completes it before
// it carries out any effect after it (a LEADERINFO, ACKEPOCH or ACK that
// depends on it), and a crash between the two is not possible.

import type { Database } from '../database.js';
import type { ClientEffect, PersistEffect } from '../effects.js';
import type { Txn } from '../txn.js';
import type { Notification, PeerState, QuorumPacket, ServerId } from './messages.js';

export type ZabPhase = 'ELECTION' | 'DISCOVERY' | 'SYNCHRONIZATION' | 'BROADCAST';

export type EpochFile = 'acceptedEpoch' | 'currentEpoch';

export type PeerEffect =
  /** an election notification, over the election connection to `to` (to ourselves: looped back by the shell) */
  | { kind: 'sendVote'; to: ServerId; n: Notification }
  /** open a quorum connection to the leader; the shell answers with quorumConnected or quorumFailed */
  | { kind: 'connect'; to: ServerId }
  /** a packet on quorum connection `conn` */
  | { kind: 'send'; conn: number; packet: QuorumPacket }
  /** close quorum connection `conn`: nothing more is sent or received on it */
  | { kind: 'disconnect'; conn: number }
  /** write an epoch file and make it durable before carrying out any later effect */
  | { kind: 'persistEpoch'; file: EpochFile; epoch: number }
  /** keep the ensemble's session key (the leader's) durably, in place of the member's own; before any later storage effect */
  | { kind: 'persistSessionKey'; key: Uint8Array }
  /** remove every logged transaction after `zxid` (durable at once, as a truncation) */
  | { kind: 'truncate'; zxid: number }
  /** replace the database and the log with the leader's snapshot; durable(zxid) follows */
  | { kind: 'installSnapshot'; zxid: number; db: Database }
  /** a committed transaction was applied here (in zxid order) */
  | { kind: 'deliver'; txn: Txn }
  /** a member whose log was repaired has been synchronised by a leader: it votes again (the shell clears its mark) */
  | { kind: 'repairSettled' }
  /** the member's role changed */
  /** sync: how a learner that now serves was brought up to date */
  | { kind: 'role'; state: PeerState; phase: ZabPhase; leader: ServerId | null; epoch: number; sync?: 'DIFF' | 'TRUNC' | 'SNAP' }
  /** a step the spec describes happened (see spec/README.md) */
  | { kind: 'trace'; action: string; fields: Record<string, unknown> };

export type MemberEffect = ClientEffect | PersistEffect | PeerEffect;
