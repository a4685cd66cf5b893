// A virtual disk: what a member wrote and what is durable are different
// things. Appends and file writes land in the page cache; a sync makes what
// was written before it durable after a latency the world draws (long when
// the disk is slow). A crash of the machine keeps only what is durable; a
// process that dies leaves what it wrote to the operating system, which
// reaches the disk all the same.

import type { VirtualClock } from './clock.js';
import type { Rng } from './rng.js';

export interface DiskLatency {
  min: number;
  max: number;
}

export class SimDisk<R> {
  /** records written, durable or not */
  readonly records: R[] = [];
  /** how many of `records` are durable */
  durableCount = 0;
  private syncing = false;
  private again = false;
  /** incremented by a crash: syncs started before it complete nothing */
  private generation = 0;
  syncs = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly latency: () => DiskLatency,
  ) {}

  /** Called when a sync has made every record before `count` durable (set by whoever runs on this disk now). */
  onDurable: (count: number) => void = () => {};

  append(r: R): void {
    this.records.push(r);
  }

  /**
   * Makes everything written so far durable, eventually; syncs asked for
   * while one runs are served by one more (group commit).
   */
  sync(): void {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    this.syncs++;
    const upTo = this.records.length;
    const gen = this.generation;
    const l = this.latency();
    this.clock.after(this.rng.between(l.min, l.max), () => {
      if (gen !== this.generation) return;
      this.syncing = false;
      if (upTo > this.durableCount) this.durableCount = upTo;
      this.onDurable(upTo);
      if (this.again) {
        this.again = false;
        this.sync();
      }
    });
  }

  /** Removes the records from `count` on (a truncation is durable at once, as a file truncation followed by its sync). */
  truncate(count: number): void {
    this.records.length = Math.min(this.records.length, count);
    this.durableCount = Math.min(this.durableCount, count);
  }

  /**
   * The power goes: what was not durable is lost, syncs in flight complete
   * nothing. With `keepWritten` only the process died: what it wrote stays,
   * durable from now on.
   */
  crash(keepWritten = false): void {
    if (keepWritten) this.durableCount = this.records.length;
    else this.records.length = this.durableCount;
    this.generation++;
    this.syncing = false;
    this.again = false;
  }

  durable(): R[] {
    return this.records.slice(0, this.durableCount);
  }
}
