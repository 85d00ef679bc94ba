/**
 * The virtual CPU state a software monitor keeps for its guest: what the guest believes the
 * privileged state is, while the real CPU runs it deprivileged.
 * @category VMM
 */
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
}

/** A virtual CPU at reset: ring 0, interrupts off, paging off. */
export const resetVirtualCpu = (): VirtualCpu => ({
  interruptsEnabled: false,
  iopl: 0,
  cr: new Int32Array(16),
  idtBase: 0,
  pending: [],
  halted: false,
});

/** The guest's view of the flags: real arithmetic flags with the virtual IF and IOPL. */
export const virtualFlags = (realFlags: number, v: VirtualCpu): number =>
  (realFlags & ~(Flag.IF | Flag.IOPL)) | (v.interruptsEnabled ? Flag.IF : 0) | ((v.iopl & 3) << 12);

/**
 * The guest's privilege level: the guest kernel (virtual ring 0) runs in real ring 1,
 * guest user code in ring 3.
 */
export const virtualCpl = (realCpl: number): number => (realCpl === 3 ? 3 : 0);

/** The real ring a virtual ring runs in. */
export const realRing = (virtualRing: number): number => (virtualRing === 3 ? 3 : 1);
