// Majority quorums over the ensemble's voters (participants); observers
// never count.

import type { ServerId } from './messages.js';

export class QuorumVerifier {
  readonly voters: ReadonlySet<ServerId>;
  readonly observers: ReadonlySet<ServerId>;

  constructor(voters: Iterable<ServerId>, observers: Iterable<ServerId> = []) {
    this.voters = new Set(voters);
    this.observers = new Set(observers);
    if (this.voters.size === 0) throw new Error('an ensemble needs at least one voter');
    for (const o of this.observers) if (this.voters.has(o)) throw new Error(`server ${o} cannot be both voter and observer`);
  }

  isVoter(id: ServerId): boolean {
    return this.voters.has(id);
  }

  /** Every member, voters first. */
  get members(): ServerId[] {
    return [...this.voters, ...this.observers];
  }

  /** Whether the voters among `ids` are more than half of all voters. */
  isQuorum(ids: Iterable<ServerId>): boolean {
    let n = 0;
    for (const id of new Set(ids)) if (this.voters.has(id)) n++;
    return 2 * n > this.voters.size;
  }
}
