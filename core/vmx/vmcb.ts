/**
 * AMD-V's control block, the VMCB (AMD64 APM vol. 2, ch. 15 and appendix B): a control area
 * of intercept bit vectors, the ASID, nested paging (NP_ENABLE, N_CR3), the event to inject
 * (EVENTINJ) and the exit information the processor writes at #VMEXIT (EXITCODE, EXITINFO1,
 * EXITINFO2), plus the guest's save area. VMRUN enters the guest with it.
 *
 * The processor model reads one control structure (`Vmcs`): a VMCB *is* one, its
 * `controls` being a view of the intercept bits (setting `controls.hlt` sets the HLT
 * intercept bit), so the same CPU semantics decide what exits and the VMM's exit handlers
 * work on either. What differs from VT-x is what the block can express: no CR0 read shadow
 * (a VMM that must hide cr0 intercepts its reads, and SMSW with them), I/O through the
 * IOIO intercept and its permission map, TLB tags as an ASID.
 * @category VMX
 */
import { ControlRegister } from '../isa/table';
import type { VmExit, VmExitReason } from './exits';
import type { ExitControls, GuestState, InjectedEvent, Vmcs } from './vmcs';

/** Bits of the VMCB's first miscellaneous intercept vector (offset 0x0C) the model implements. */
export const Intercept1 = {
  INTR: 1 << 0,
  VINTR: 1 << 4,
  IDTR_WRITE: 1 << 10,
  HLT: 1 << 24,
  INVLPG: 1 << 25,
  IOIO_PROT: 1 << 27,
  SHUTDOWN: 1 << 31,
} as const;

/** Bits of the second miscellaneous intercept vector (offset 0x10). */
export const Intercept2 = {
  VMRUN: 1 << 0,
  VMMCALL: 1 << 1,
} as const;

/** The control area (the fields the model uses). */
export interface VmcbControl {
  /** bit n: a read of crN is intercepted (offset 0x00, low half) */
  interceptCrRead: number;
  /** bit n: a write of crN is intercepted (offset 0x00, high half) */
  interceptCrWrite: number;
  /** bit v: exception vector v is intercepted (offset 0x08) */
  interceptExceptions: number;
  /** {@link Intercept1} bits */
  intercept1: number;
  /** {@link Intercept2} bits */
  intercept2: number;
  /** the I/O permission map: ports whose IN/OUT is intercepted when IOIO_PROT is set */
  iopm: Set<number>;
  /** the guest's address-space identifier: 0 is the host's; a guest's translations are tagged with its own */
  asid: number;
  /** TLB_CONTROL: flush the whole TLB at every VMRUN and #VMEXIT (a VMM that does not keep the guest's tags) */
  tlbControlFlushAll: boolean;
  /** NP_ENABLE */
  npEnable: boolean;
  /** N_CR3: host-physical root of the nested page tables */
  nCr3: number;
  /** EVENTINJ: the event to inject at the next VMRUN */
  eventInj: InjectedEvent | null;
  /** EXITCODE of the last #VMEXIT */
  exitCode: SvmExitCode | null;
  /** EXITINFO1 of the last #VMEXIT */
  exitInfo1: number;
  /** EXITINFO2 of the last #VMEXIT */
  exitInfo2: number;
}

/** SVM exit codes (APM vol. 2, appendix C) of the exits the model raises. */
export const SvmExit = {
  VMEXIT_CR0_READ: 0x00,
  VMEXIT_CR0_WRITE: 0x10,
  VMEXIT_EXCP_BASE: 0x40,
  VMEXIT_INTR: 0x60,
  VMEXIT_VINTR: 0x64,
  VMEXIT_IDTR_WRITE: 0x6a,
  VMEXIT_HLT: 0x78,
  VMEXIT_INVLPG: 0x79,
  VMEXIT_IOIO: 0x7b,
  VMEXIT_SHUTDOWN: 0x7f,
  VMEXIT_VMMCALL: 0x81,
  VMEXIT_PAUSE: 0x77,
  VMEXIT_NPF: 0x400,
} as const;

/** An SVM exit code (a CR access is VMEXIT_CR0_READ + n or VMEXIT_CR0_WRITE + n, an exception VMEXIT_EXCP_BASE + vector). */
export type SvmExitCode = number;

/** EXITINFO1 bit of an IOIO exit: the access is an IN. */
const IOIO_TYPE_IN = 1;

/**
 * What the processor writes into the VMCB at #VMEXIT for each exit, by the model's exit
 * reason (one row per reason: the semantics of the two extensions agree on every exit the
 * model raises, only the encoding differs).
 */
export const SVM_EXIT_INFO: { readonly [R in VmExitReason]: (e: Extract<VmExit, { reason: R }>) => readonly [SvmExitCode, number, number] } = {
  hlt: () => [SvmExit.VMEXIT_HLT, 0, 0],
  // EXITINFO1: port in bits 31:16, type in bit 0; EXITINFO2: the next rip (saved even without NRIP_SAVE)
  io: (e) => [SvmExit.VMEXIT_IOIO, ((e.port << 16) | (e.direction === 'in' ? IOIO_TYPE_IN : 0)) >>> 0, e.nextPc],
  'cr-access': (e) => [(e.direction === 'read' ? SvmExit.VMEXIT_CR0_READ : SvmExit.VMEXIT_CR0_WRITE) + e.cr, 0, 0],
  invlpg: (e) => [SvmExit.VMEXIT_INVLPG, e.address, 0],
  lidt: () => [SvmExit.VMEXIT_IDTR_WRITE, 0, 0],
  vmcall: () => [SvmExit.VMEXIT_VMMCALL, 0, 0],
  // the pause filter's exit (the model raises it only under VT-x pause-loop exiting; ple=on is refused with vendor=amd)
  pause: () => [SvmExit.VMEXIT_PAUSE, 0, 0],
  exception: (e) => [SvmExit.VMEXIT_EXCP_BASE + e.vector, e.errorCode, e.faultAddress],
  'external-interrupt': () => [SvmExit.VMEXIT_INTR, 0, 0],
  'interrupt-window': () => [SvmExit.VMEXIT_VINTR, 0, 0],
  'ept-violation': (e) => [SvmExit.VMEXIT_NPF, e.access === 'write' ? 2 : e.access === 'fetch' ? 16 : 0, e.guestPhysical],
  'triple-fault': () => [SvmExit.VMEXIT_SHUTDOWN, 0, 0],
};

const bit = (word: number, mask: number): boolean => (word & mask) !== 0;
const withBit = (word: number, mask: number, on: boolean): number => (on ? word | mask : word & ~mask);

/** The exit controls that are one bit of the INTERCEPT1 vector. */
const INTERCEPT1_CONTROLS = {
  hlt: Intercept1.HLT,
  invlpg: Intercept1.INVLPG,
  lidt: Intercept1.IDTR_WRITE,
  externalInterruptExiting: Intercept1.INTR,
  // the VMM sets V_IRQ and intercepts VINTR: an exit once the guest can take an interrupt
  interruptWindowExiting: Intercept1.VINTR,
} as const;

/** The intercept vectors seen as the exit controls the processor model reads. */
const interceptView = (c: VmcbControl): ExitControls => {
  const view = {
    get crWriteExiting() {
      return c.interceptCrWrite;
    },
    set crWriteExiting(mask) {
      c.interceptCrWrite = mask & 0xffff;
    },
    get crReadExiting() {
      return c.interceptCrRead;
    },
    set crReadExiting(mask) {
      c.interceptCrRead = mask & 0xffff;
    },
    // SVM has no "unconditional I/O exiting": IOIO_PROT with every port set in the permission map
    get unconditionalIo() {
      return bit(c.intercept1, Intercept1.IOIO_PROT) && c.iopm.size === IOPM_PORTS;
    },
    set unconditionalIo(on) {
      c.intercept1 = withBit(c.intercept1, Intercept1.IOIO_PROT, on || c.iopm.size > 0);
      c.iopm = on ? new Set(Array.from({ length: IOPM_PORTS }, (_, p) => p)) : new Set();
    },
    get ioBitmap() {
      return bit(c.intercept1, Intercept1.IOIO_PROT) ? c.iopm : EMPTY_PORTS;
    },
    set ioBitmap(ports) {
      c.iopm = new Set(ports);
      c.intercept1 = withBit(c.intercept1, Intercept1.IOIO_PROT, ports.size > 0);
    },
    get exceptionBitmap() {
      return c.interceptExceptions;
    },
    set exceptionBitmap(mask) {
      c.interceptExceptions = mask;
    },
  } as ExitControls;
  for (const [name, mask] of Object.entries(INTERCEPT1_CONTROLS))
    Object.defineProperty(view, name, {
      get: () => bit(c.intercept1, mask),
      set: (on: boolean) => {
        c.intercept1 = withBit(c.intercept1, mask, on);
      },
      enumerable: true,
    });
  return view;
};

/** Ports of the modelled I/O permission map (the 12-bit port field of IN/OUT). */
export const IOPM_PORTS = 4096;
const EMPTY_PORTS: Set<number> = new Set();

/** A VMCB: the control area and the save area, usable wherever the processor expects its control structure. */
export interface Vmcb extends Vmcs {
  readonly control: VmcbControl;
}

/**
 * A fresh VMCB for a guest starting at `pc` in ring 0 with paging off: nothing intercepted
 * but VMRUN (which the processor requires), ASID 1 (0 is the host's).
 */
export const createVmcb = (pc = 0): Vmcb => {
  const control: VmcbControl = {
    interceptCrRead: 0,
    interceptCrWrite: 0,
    interceptExceptions: 0,
    intercept1: 0,
    intercept2: Intercept2.VMRUN,
    iopm: new Set(),
    asid: 1,
    tlbControlFlushAll: true,
    npEnable: false,
    nCr3: 0,
    eventInj: null,
    exitCode: null,
    exitInfo1: 0,
    exitInfo2: 0,
  };
  const guest: GuestState = { regs: new Int32Array(16), pc, flags: 0, cpl: 0, cr: new Int32Array(16), idtBase: 0 };
  return {
    control,
    guest,
    controls: interceptView(control),
    get nestedRoot() {
      return control.npEnable ? control.nCr3 : null;
    },
    set nestedRoot(root) {
      control.npEnable = root !== null;
      control.nCr3 = root ?? 0;
    },
    get injection() {
      return control.eventInj;
    },
    set injection(e) {
      control.eventInj = e;
    },
    // no CR0 read shadow in a VMCB: the guest reads the save area's cr0 unless CR0 reads are intercepted
    get cr0ReadShadow() {
      return null;
    },
    set cr0ReadShadow(_value) {
      // nothing to set: a VMM hiding cr0 intercepts its reads instead (ControlRegister.cr0 in interceptCrRead)
    },
    activityHalted: false,
    // the guest's translations survive VMRUN and #VMEXIT when tagged by a guest ASID and not flushed by TLB_CONTROL
    get vpid() {
      return control.asid !== 0 && !control.tlbControlFlushAll;
    },
    set vpid(on) {
      control.tlbControlFlushAll = !on;
    },
    recordExit: (exit: VmExit) => {
      const [code, info1, info2] = (SVM_EXIT_INFO[exit.reason] as (e: VmExit) => readonly [number, number, number])(exit);
      control.exitCode = code;
      control.exitInfo1 = info1;
      control.exitInfo2 = info2;
    },
  };
};

/** Whether a control structure is a VMCB. */
export const isVmcb = (v: Vmcs): v is Vmcb => 'control' in v;

/** The CR0 read intercept bit (for a VMM that hides cr0 from the guest). */
export const CR0_READ_INTERCEPT = 1 << ControlRegister.cr0;
