// Virtual time: events run in order of (time, order of scheduling); nothing
// in a simulation waits for real time, and two runs of one seed schedule the
// same events in the same order.

interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

export interface Timer {
  cancel(): void;
}

export class VirtualClock {
  now = 0;
  private seq = 0;
  private heap: Scheduled[] = [];

  /** Runs `run` at time `at` (not before now). */
  at(at: number, run: () => void): Timer {
    const e: Scheduled = { at: Math.max(at, this.now), seq: this.seq++, run, cancelled: false };
    this.push(e);
    return { cancel: () => (e.cancelled = true) };
  }

  after(delay: number, run: () => void): Timer {
    return this.at(this.now + delay, run);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event; false when none is left or the next is after `until`. */
  step(until = Infinity): boolean {
    for (;;) {
      const e = this.heap[0];
      if (!e || e.at > until) return false;
      this.pop();
      if (e.cancelled) continue;
      this.now = e.at;
      e.run();
      return true;
    }
  }

  /** Runs every event up to time `until`; time is `until` afterwards. */
  runUntil(until: number): void {
    while (this.step(until));
    if (until > this.now) this.now = until;
  }

  private less(x: Scheduled, y: Scheduled): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private push(e: Scheduled): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
