// Trace events: one for each step of a member that an action of
// spec/Zab.tla describes, named after that action, with its arguments and
// the spec's variables of this member after the step (`post`). The trace
// checker (src/trace, spec/TraceZab.tla) replays them against the spec.
// Zxids are [epoch, counter], as the spec writes them; a vote for no one
// (an observer's) names server 0, the spec's NoServer.

import { counterOf, epochOf } from '../zxid.js';
import type { PeerState, ServerId } from './messages.js';
import type { ZabPhase } from './effects.js';

/** The spec's actions an implementation step can be (spec/Zab.tla). */
export const SPEC_ACTIONS = [
  'FLEReceiveNotification',
  'FLEDecide',
  'FLENotificationTimeout',
  'LearnerConnect',
  'RefuseConnection',
  'ConnectionClosed',
  'LeaderProcessFOLLOWERINFO',
  'LeaderProcessACKEPOCH',
  'LeaderProcessACKNEWLEADER',
  'LeaderProcessRequest',
  'LeaderProcessACK',
  'LeaderCommit',
  'LearnerProcessLEADERINFO',
  'LearnerProcessDIFF',
  'LearnerProcessTRUNC',
  'LearnerProcessSNAP',
  'LearnerProcessPROPOSAL',
  'LearnerProcessCOMMIT',
  'LearnerProcessNEWLEADER',
  'LearnerAckNEWLEADER',
  'LearnerProcessUPTODATE',
  'ObserverProcessINFORM',
  'FlushLog',
  'TakeSnapshot',
  'LearnerTimeout',
  'LeaderTimeout',
  'Crash',
  'Restart',
] as const;

export type SpecAction = (typeof SPEC_ACTIONS)[number];

/** A zxid as the spec writes it. */
export type SpecZxid = [epoch: number, counter: number];

export function specZxid(zxid: number): SpecZxid {
  return [epochOf(zxid), counterOf(zxid)];
}

export interface SpecVote {
  leader: ServerId;
  zxid: SpecZxid;
  epoch: number;
}

/** An election notification as the spec's Notification record holds it. */
export interface SpecNotification extends SpecVote {
  round: number;
  state: PeerState;
}

/** The spec's variables of one member after a step. */
export interface SpecPost {
  state: PeerState;
  zabState: ZabPhase | 'DOWN';
  /** logicalClock */
  clock: number;
  /** currentVote */
  vote: SpecVote;
  /** the last zxid of the log (written, durable or not) */
  last: SpecZxid;
  /** the last durable zxid */
  durable: SpecZxid;
  /** the last delivered (applied) zxid */
  committed: SpecZxid;
  accepted: number;
  current: number;
}

export interface SpecEvent {
  action: SpecAction;
  /** the member that took the step (the spec's i) */
  srv: ServerId;
  /** the other member of the step (j): the sender of what was received, the other end of a connection */
  peer?: ServerId;
  /** LeaderProcessRequest: the request's value */
  value?: string;
  /** FLEReceiveNotification: the notification received */
  msg?: SpecNotification;
  post: SpecPost;
}

/** The vote of no one, as the core writes it (-1); the spec's NoServer is 0. */
export function specVote(v: { leader: number; zxid: number; peerEpoch: number }): SpecVote {
  return { leader: v.leader < 0 ? 0 : v.leader, zxid: specZxid(v.zxid), epoch: v.peerEpoch };
}
