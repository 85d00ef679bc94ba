/**
 * The work of a VMM's helper worlds on the host, the worlds beside a VM's vCPUs that need
 * CPU time too (VMware's VMX world, QEMU's threads): `device-model`, the user-level device
 * model of `device-model=user`, which serves each emulated access while the vCPU that made
 * it waits (its round trip, priced userDeviceModelRoundTrip when the VM runs alone, is this
 * world's run time here, never the vCPU's too); `housekeeping`, the VMM's periodic
 * background work at idle priority (it runs only on a logical CPU nothing else wants).
 * A helper world's work is a queue of cycles; it waits (blocked) while the queue is empty.
 * @category Host
 */

/** The periodic work of a VMM's housekeeping world. */
export interface Housekeeping {
  /** one batch of work every this many ms of host time */
  readonly periodMs: number;
  /** each batch takes this many microseconds at nominal frequency */
  readonly workUs: number;
}

/**
 * Default housekeeping: 50 us every 10 ms (0.5% of a logical CPU). An estimate of the order
 * of a VMX world's idle overhead: esxtop shows an idle VM's VMX and MKS worlds at well under
 * 1% %USED (VMware, "Interpreting esxtop Statistics"); ringlab has no per-event source for it,
 * so it is an input to experiments, not a fitted figure.
 */
export const DEFAULT_HOUSEKEEPING: Housekeeping = { periodMs: 10, workUs: 50 };

/** A helper world's queue: cycles queued and done, and the vCPU worlds waiting for a point in it. */
export class HelperWork {
  queued = 0;
  done = 0;
  private readonly waiters: { readonly world: number; readonly until: number }[] = [];

  /** Queue `cycles` of work; a vCPU world (by id) that waits for it, if any. */
  add(cycles: number, waiter?: number): void {
    this.queued += cycles;
    if (waiter !== undefined) this.waiters.push({ world: waiter, until: this.queued });
  }

  /** Cycles left to do. */
  get pending(): number {
    return this.queued - this.done;
  }

  /** Do up to `cycles` of the queue; the ids of the worlds whose wait is over. */
  run(cycles: number): number[] {
    this.done += Math.min(cycles, this.pending);
    const over = this.waiters.filter((w) => w.until <= this.done).map((w) => w.world);
    if (over.length > 0) this.waiters.splice(0, over.length);
    return over;
  }
}
