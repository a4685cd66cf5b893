// One direction of a virtual connection: what is sent arrives in order,
// after a delay the world draws, unless the connection is cut first — then
// whatever was still on its way is gone, as with a closed TCP connection.

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
    this.clock.at(arrival, () => {
      if (this.open) this.deliver(m);
    });
  }

  /** Nothing more is sent or delivered. */
  cut(): void {
    this.open = false;
  }
}
