/**
 * The local periodic timer. Its period is programmed in microseconds (as a kernel programs
 * a timer of known frequency for its tick rate) and counted in the CPU's guest-visible time
 * (reference cycles; the CPU's clock when it runs alone, see Cpu.now): a VMM's overhead
 * delays guest time, and the same guest on the same model always sees the same interrupts.
 * @category Devices
 */

/** Periodic timer raising IRQ 0. */
export class Timer {
  /** period in cycles; 0 = stopped */
  period = 0;
  /** guest-visible time of the next tick, Infinity when stopped */
  deadline = Infinity;
  /** ticks raised so far */
  ticks = 0;

  /** Program a period of `periodUs` microseconds at guest-visible time `now`, at `cyclesPerMicrosecond`. */
  program(periodUs: number, now: number, cyclesPerMicrosecond: number): void {
    const us = periodUs >>> 0;
    this.period = us === 0 ? 0 : Math.max(1, Math.round(us * cyclesPerMicrosecond));
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
