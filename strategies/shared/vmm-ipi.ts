/**
 * A VMM's own inter-processor interrupts: the IPI one vCPU's VMM sends another's CPU (to
 * flush its TLB), and the flush done there. Shared by the shadow pager (shadow entries the
 * VMM changed) and the paravirtual hypervisor (`tlb_flush_multi`).
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

/**
 * The IRQ line a VMM's own IPIs are counted under (Xen's INVALIDATE_TLB_VECTOR): not one of
 * the guest's lines, and never raised at the target's interrupt controller.
 */
export const VMM_IPI_LINE = 7;

/** The VMM on `from` sends `target`'s CPU an IPI (priced as the hardware's, ipis.sent). */
export const vmmIpi = (from: Cpu, target: Cpu): void => {
  from.events.emit({ kind: 'ipi', t: from.time, line: VMM_IPI_LINE, target: target.index });
};

/** Drop page `va` (null: every entry) from `cpu`'s TLB, counted as an INVLPG or an explicit flush. */
export const flushTlb = (cpu: Cpu, va: number | null): void => {
  if (va === null) {
    cpu.mmu.flush();
    cpu.events.emit({ kind: 'tlb-flush', t: cpu.time, cause: 'explicit' });
  } else {
    cpu.mmu.invalidate(va);
    cpu.events.emit({ kind: 'invlpg', t: cpu.time, address: va });
  }
};
