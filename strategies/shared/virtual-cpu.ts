/**
 * The virtual CPU state a software monitor keeps for its guest: what the guest believes the
 * privileged state is, while the real CPU runs it deprivileged.
 * @category VMM
 */
import type { Cpu } from '../../core/cpu/cpu';
import { Flag } from '../../core/isa/table';

/** Virtual privileged state. */
export interface VirtualCpu {
  /** the guest's interrupt flag */
  interruptsEnabled: boolean;
  /** the guest's IOPL */
  iopl: number;
  /** the guest's control registers (cr0 paging bit, cr2, cr3, cr4-cr6 ring stacks, cr8 TPR) */
  readonly cr: Int32Array;
  /** the guest's interrupt table base */
  idtBase: number;
  /** external interrupt vectors accepted from the machine, not yet delivered to the guest */
  readonly pending: number[];
  /** the guest executed HLT with interrupts enabled and waits for one */
  halted: boolean;
  /**
   * the guest's privilege level (0-2) while it runs in the real ring its kernel runs in:
   * the monitor runs guest rings 0, 1 and 2 alike in real ring 1 (ring compression), so the
   * real CPL cannot tell them apart; set by every entry into those rings the monitor makes
   * (delivery, IRET, SYSENTER)
   */
  ring: number;
}

/** A virtual CPU at reset: ring 0, interrupts off, paging off. */
export const resetVirtualCpu = (): VirtualCpu => ({
  interruptsEnabled: false,
  iopl: 0,
  cr: new Int32Array(16),
  idtBase: 0,
  pending: [],
  halted: false,
  ring: 0,
});

/** The guest's view of the flags: real arithmetic flags with the virtual IF and IOPL. */
export const virtualFlags = (realFlags: number, v: VirtualCpu): number =>
  (realFlags & ~(Flag.IF | Flag.IOPL)) | (v.interruptsEnabled ? Flag.IF : 0) | ((v.iopl & 3) << 12);

/**
 * The guest's privilege level: guest user code (virtual ring 3) runs in real ring 3; the
 * guest kernel (virtual ring 0), and whatever the guest runs in rings 1 and 2, run in real
 * ring 1, where the virtual CPU's `ring` says which.
 */
export const virtualCpl = (realCpl: number, v: VirtualCpu): number => (realCpl === 3 ? 3 : v.ring);

/** The real ring a virtual ring runs in. */
export const realRing = (virtualRing: number): number => (virtualRing === 3 ? 3 : 1);

/** Enter virtual ring `ring` (0-3): the real ring it runs in, and the virtual CPU's record of it. */
export const enterRing = (m: Cpu, v: VirtualCpu, ring: number): void => {
  m.cpl = realRing(ring);
  if (ring !== 3) v.ring = ring;
};
