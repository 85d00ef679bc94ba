/**
 * What a CPU's run returns to the VMM: the exits of the vCPU run loop, as values (the
 * split of Firecracker's vCPU loop and exit handling). The loop (core/cpu/vcpu-loop.ts)
 * hands each exit to the VMM's handler for the vCPU and runs the CPU again.
 * @category CPU
 */
import type { VmExit } from '../vmx/exits';
import type { StopReason } from './stop';

/**
 * A trap a software monitor that owns ring 0 takes instead of the guest's interrupt table
 * (trap-and-emulate, binary translation, paravirt). The CPU state is as the hardware left
 * it for the monitor: for an exception, pc is the faulting instruction (not retired).
 */
export type Trap =
  /** an exception raised by the instruction at `pc` (not retired) */
  | { readonly kind: 'exception'; readonly vector: number; readonly errorCode: number; readonly faultAddress: number; readonly pc: number; readonly detail: string }
  /** INT n at `pc` (retired); the guest would continue at `nextPc` */
  | { readonly kind: 'software-interrupt'; readonly vector: number; readonly pc: number; readonly nextPc: number }
  /** an external interrupt accepted before the instruction at `pc` (acknowledged at the controller) */
  | { readonly kind: 'interrupt'; readonly vector: number; readonly pc: number }
  /** VMCALL outside non-root mode at `pc` (retired) */
  | { readonly kind: 'vmcall'; readonly pc: number; readonly nextPc: number }
  /** SYSENTER at `pc` (retired): the real one would enter the monitor's ring 0 */
  | { readonly kind: 'sysenter'; readonly pc: number; readonly nextPc: number };

/** Why a CPU's run returned. */
export type CpuExit =
  /** a trap for the software monitor (the CPU has a monitor attached) */
  | { readonly kind: 'trap'; readonly trap: Trap }
  /** a VM exit: the guest state is saved in the VMCS and the CPU is in root mode */
  | { readonly kind: 'vm-exit'; readonly exit: VmExit }
  /** a start-up IPI reached this waiting CPU: it should start at `pc` (the VMM decides how) */
  | { readonly kind: 'startup'; readonly pc: number }
  /** the CPU reached the time it was asked to run to (another CPU's turn) */
  | { readonly kind: 'yield' }
  /** the run ended */
  | { readonly kind: 'stop'; readonly reason: StopReason };

/**
 * How a software monitor configures the hardware while it owns ring 0. Every trap goes to
 * the monitor, except INT n through the vectors in `directVectors`: their gates in the real
 * interrupt table lead straight to the guest kernel (Xen's fast system calls).
 */
export interface MonitorControls {
  readonly directVectors: ReadonlySet<number>;
}

/**
 * The VMM side of one vCPU: one handler per kind of exit. Protocol: the handler updates the
 * CPU (or the VMCS) and returns; the loop runs the CPU again unless it stopped. A VM-exit
 * handler must re-enter the guest (`cpu.vmEnter`) or stop the CPU.
 */
export interface VcpuHandler {
  /** a trap for the software monitor */
  onTrap?(trap: Trap): void;
  /** a VM exit */
  onVmExit?(exit: VmExit): void;
  /**
   * A start-up IPI reached the vCPU (waiting since reset or INIT): start it at `pc` as the
   * strategy runs a kernel (ring, VMCS). Without it the CPU resets to ring 0 at `pc`.
   */
  onStartup?(pc: number): void;
}
