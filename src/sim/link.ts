// One direction of a virtual connection: what is sent arrives in order,
// after a delay the world draws, unless the connection is cut first — then
// whatever was still on its way is gone, as with a closed TCP connection.
// A held link (a partition between its ends) delivers nothing until it is
// released; then what waited arrives, in order, as TCP retransmits it.

import type { VirtualClock } from './clock.js';
import type { Rng } from './rng.js';

export interface LinkDelays {
  /** delay range of one message, ms */
  min: number;
  max: number;
}

export class Link<M> {
  private lastArrival = 0;
  private open = true;
  private held = false;
  /** arrived while held (or while those are being delivered), oldest first */
  private readonly parked: M[] = [];
  private flushing = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly delays: () => LinkDelays,
    private readonly deliver: (m: M) => void,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  send(m: M): void {
    if (!this.open) return;
    const d = this.delays();
    const arrival = Math.max(this.lastArrival, this.clock.now + this.rng.between(d.min, d.max));
    this.lastArrival = arrival;
    this.clock.at(arrival, () => this.arrive(m));
  }

  private arrive(m: M): void {
    if (!this.open) return;
    if (this.held || this.flushing) {
      this.parked.push(m);
      return;
    }
    this.deliver(m);
  }

  /** Nothing gets through until `release`. */
  hold(): void {
    this.held = true;
  }

  /** What waited arrives, in order, after one more delay; then traffic flows again. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.parked.length === 0) return;
    this.flushing = true;
    const d = this.delays();
    const at = this.clock.now + this.rng.between(d.min, d.max);
    this.lastArrival = Math.max(this.lastArrival, at);
    this.clock.at(at, () => {
      this.flushing = false;
      while (this.parked.length > 0 && this.open && !this.held) this.deliver(this.parked.shift()!);
    });
  }

  /** Nothing more is sent or delivered. */
  cut(): void {
    this.open = false;
    this.parked.length = 0;
  }
}
