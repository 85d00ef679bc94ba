/**
 * Virtual interrupts through the shared-info page (Xen's event channels, reduced to the
 * ABI's two words): the guest's interrupt flag is the `mask` word, which it sets and clears
 * with plain stores (no trap); the hypervisor records arrived interrupts as bits of the
 * `pending` word and delivers them by upcall when the guest has them unmasked. A virtual
 * task priority (set_tpr) holds events back like the hardware's TPR holds interrupts.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

import { IRQ_BASE } from '../../core/devices/ports';
import { aboveTaskPriority } from '../../core/devices/priority';
import { vcpuInfo } from './guest-abi';

/** The event state of one vCPU of a paravirtual guest (its vcpu_info in the shared-info page). */
export class VirtualInterrupts {
  /** the guest's upcall entry (`set_callbacks`); 0 = none registered */
  callback = 0;
  /** the virtual task priority: events (priority IRQ_BASE >> 4) are held while it is at least that */
  tpr = 0;

  /** this vCPU's shared-info addresses */
  readonly info: ReturnType<typeof vcpuInfo>;

  constructor(private readonly m: Cpu) {
    this.info = vcpuInfo(m.index);
  }

  /** Whether the guest has events masked (its virtual IF is clear). */
  get masked(): boolean {
    return this.m.memory.read32(this.info.mask) !== 0;
  }

  /** Set or clear the event mask (what the guest's own stores do). */
  setMasked(masked: boolean): void {
    this.m.memory.write32(this.info.mask, masked ? 1 : 0);
  }

  /** The pending event bits (bit n = virtual IRQ n). */
  get pending(): number {
    return this.m.memory.read32(this.info.pending);
  }

  /** Record that interrupt line `irq` fired. */
  raise(irq: number): void {
    this.m.memory.write32(this.info.pending, this.pending | (1 << irq));
  }

  /** Whether an upcall can be made now: events pending, unmasked, not held by the TPR, an entry registered. */
  deliverable(): boolean {
    return this.pending !== 0 && !this.masked && this.callback !== 0 && aboveTaskPriority(IRQ_BASE, this.tpr);
  }

  /** Take the pending bits for an upcall (they are cleared at delivery; the guest never writes them). */
  take(): number {
    const bits = this.pending;
    this.m.memory.write32(this.info.pending, 0);
    return bits;
  }
}
