/**
 * The periodic timer. Time is machine time: instructions retired plus time spent halted,
 * so a run is deterministic and the same guest sees the same interrupts.
 * @category Devices
 */

/** Periodic timer raising IRQ 0. */
export class Timer {
  /** period in time units; 0 = stopped */
  period = 0;
  /** time of the next tick, Infinity when stopped */
  deadline = Infinity;
  /** ticks raised so far */
  ticks = 0;

  /** Program the period at time `now`. */
  program(period: number, now: number): void {
    this.period = period >>> 0;
    this.deadline = this.period === 0 ? Infinity : now + this.period;
  }

  /** Advance to `now`; returns the number of ticks due (0 or more). */
  due(now: number): number {
    if (now < this.deadline) return 0;
    const n = Math.floor((now - this.deadline) / this.period) + 1;
    this.deadline += n * this.period;
    this.ticks += n;
    return n;
  }
}
