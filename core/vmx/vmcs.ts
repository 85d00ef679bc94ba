/**
 * The VMCS-like control structure of the hardware virtualization extension: guest state,
 * host state, and the exit controls that decide which guest actions leave non-root mode.
 * @category VMX
 */
import { ControlRegister as ControlRegisterNumber, type ControlRegister } from '../isa/table';
import type { VmExit } from './exits';

/** Guest register state saved on VM exit and loaded on VM entry. */
export interface GuestState {
  regs: Int32Array;
  pc: number;
  flags: number;
  cpl: number;
  cr: Int32Array;
  idtBase: number;
}

/** Which guest actions cause a VM exit. */
export interface ExitControls {
  /** HLT exits */
  hlt: boolean;
  /** INVLPG exits */
  invlpg: boolean;
  /** LIDT exits */
  lidt: boolean;
  /** bit n set: a write to crN exits */
  crWriteExiting: number;
  /** bit n set: a read of crN exits */
  crReadExiting: number;
  /** every IN/OUT exits */
  unconditionalIo: boolean;
  /** ports whose IN/OUT exits (the I/O bitmap) */
  ioBitmap: Set<number>;
  /** bit v set: exception vector v exits instead of going through the guest's table */
  exceptionBitmap: number;
  /** a pending external interrupt exits (instead of being delivered to the guest) */
  externalInterruptExiting: boolean;
  /** exit as soon as the guest can take an interrupt (IF = 1) */
  interruptWindowExiting: boolean;
  /** pause-loop exiting (cycles): PAUSEs at most `gap` apart form a spin; a spin longer than `window` exits; absent: PAUSE never exits */
  pauseLoopExiting?: { readonly gap: number; readonly window: number };
}

/** An event the VMM asks to inject into the guest on the next VM entry. */
export interface InjectedEvent {
  readonly vector: number;
  readonly errorCode?: number;
  /** 'exception' and 'software' events return to the recorded pc; interrupts are external */
  readonly type: 'exception' | 'external' | 'software';
}

/** The control structure. */
export interface Vmcs {
  guest: GuestState;
  controls: ExitControls;
  /** second-level (nested, EPT/NPT-style) page tables: host-physical root, or null for none */
  nestedRoot: number | null;
  /** event to inject on the next entry */
  injection: InjectedEvent | null;
  /**
   * cr0 as the guest reads it (RDCR, SMSW) in non-root mode, or null to read the real cr0:
   * VT-x's CR0 read shadow, which lets a VMM keep paging on under a guest that has it off
   */
  cr0ReadShadow: number | null;
  /** enter in the HLT activity state: the guest waits for an interrupt */
  activityHalted: boolean;
  /**
   * VPID: the guest's translations are tagged and survive VM entries and exits. Without it
   * every entry and exit flushes the TLB (first-generation VT-x).
   */
  vpid: boolean;
  /** where the processor writes an exit's information into the structure itself (a VMCB's EXITCODE/EXITINFO), if it does */
  recordExit?: (exit: VmExit) => void;
}

/** The bits of control registers in an exit-control mask (crReadExiting, crWriteExiting). */
export const crMask = (...crs: readonly ControlRegister[]): number => crs.reduce((m, r) => m | (1 << ControlRegisterNumber[r]), 0);

/** The bits of exception vectors in an exception bitmap. */
export const exceptionMask = (...vectors: readonly number[]): number => vectors.reduce((m, v) => m | (1 << v), 0);

/** Controls that exit on nothing. */
export const noExits = (): ExitControls => ({
  hlt: false,
  invlpg: false,
  lidt: false,
  crWriteExiting: 0,
  crReadExiting: 0,
  unconditionalIo: false,
  ioBitmap: new Set(),
  exceptionBitmap: 0,
  externalInterruptExiting: false,
  interruptWindowExiting: false,
});

/** A fresh VMCS for a guest starting at `pc` in ring 0 with paging off. */
export const createVmcs = (pc = 0): Vmcs => ({
  guest: { regs: new Int32Array(16), pc, flags: 0, cpl: 0, cr: new Int32Array(16), idtBase: 0 },
  controls: noExits(),
  nestedRoot: null,
  injection: null,
  cr0ReadShadow: null,
  activityHalted: false,
  vpid: false,
});
