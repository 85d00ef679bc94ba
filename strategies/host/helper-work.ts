/**
 * The work of a VMM's helper worlds on the host, the worlds beside a VM's vCPUs that need
 * CPU time too (VMware's VMX world, QEMU's threads): `device-model`, the user-level device
 * model of `device-model=user`, which serves each emulated access while the vCPU that made
 * it waits (its round trip, priced userDeviceModelRoundTrip when the VM runs alone, is this
 * world's run time here, never the vCPU's too), and which also completes each block request
 * (DMA and interrupt) with a round trip's work after the device finished, so the guest's
 * interrupt waits for it; `housekeeping`, the VMM's periodic background work at idle
 * priority (it runs only on a logical CPU nothing else wants).
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

/** A helper world's queue: cycles queued and done, and what happens when the work up to a point in it is done. */
export class HelperWork {
  queued = 0;
  done = 0;
  private readonly waiters: { readonly then: (endPs: number) => void; readonly until: number }[] = [];

  /** Queue `cycles` of work; `then` runs when it is done (a vCPU that waits for it wakes, a request completes). */
  add(cycles: number, then?: (endPs: number) => void): void {
    this.queued += cycles;
    if (then !== undefined) this.waiters.push({ then, until: this.queued });
  }

  /** Cycles left to do. */
  get pending(): number {
    return this.queued - this.done;
  }

  /** Do up to `cycles` of the queue; what to run now that their work is done, in queue order. */
  run(cycles: number): ((endPs: number) => void)[] {
    this.done += Math.min(cycles, this.pending);
    let k = 0;
    while (k < this.waiters.length && this.waiters[k].until <= this.done) k++;
    return this.waiters.splice(0, k).map((w) => w.then);
  }
}
