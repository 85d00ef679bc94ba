/**
 * The software monitor shared by the deprivileging strategies: it owns ring 0, runs the
 * unmodified guest kernel in ring 1 and its user code in ring 3, and handles every trap:
 * privileged instructions are emulated on the virtual CPU, page faults go to the shadow
 * pager, port I/O goes to the device models, interrupts and the guest's own exceptions are
 * delivered through the guest's virtual interrupt table.
 *
 * Handlers are a record keyed by mnemonic (like KVM's exit-handler table); an instruction
 * without a handler that traps is delivered to the guest as the #GP it would be natively.
 * @category VMM
 */
import type { Cpu } from '../../core/cpu/cpu';
import { Gate } from '../../core/cpu/idt';

import type { MonitorControls, Trap, VcpuHandler } from '../../core/cpu/exit';
import { decode, type Instruction } from '../../core/isa/codec';
import { nextPending } from '../../core/devices/priority';
import { CONTROL_REGISTERS, ControlRegister, CR0_PG, Flag, Vector, type Mnemonic } from '../../core/isa/table';
import { privilegeOf } from '../../core/isa/variant';
import { deliverToGuest, type Reflection } from './guest-delivery';
import type { DeviceModel } from './device-model';
import { GuestMemory } from './guest-memory';
import type { ShadowPager } from './shadow-paging';
import { enterRing, virtualCpl, virtualFlags, type VirtualCpu } from './virtual-cpu';
import { guestFault } from './guest-walk';
import { Access } from '../../core/mmu/pte';
import { detailNames, exceptionDetail, intDetail } from '../../core/cost/detail-names';

/** The trap tally's detail of an emulated privileged instruction. */
const PRIVILEGED_CAUSE = detailNames((mnemonic: Mnemonic) => `privileged ${mnemonic}`);

/** What an emulation handler tells the monitor. */
export type Emulated =
  /** done: continue the guest at the next instruction */
  | { readonly kind: 'next' }
  /** done: the handler set pc itself */
  | { readonly kind: 'jumped' }
  /** deliver this exception to the guest instead (the instruction faults, pc unchanged) */
  | { readonly kind: 'fault'; readonly vector: number; readonly errorCode: number; readonly address?: number };

/** Context of an emulation handler. */
export interface EmulationContext {
  readonly m: Cpu;
  readonly v: VirtualCpu;
  readonly mem: GuestMemory;
  readonly pager: ShadowPager;
  readonly i: Instruction;
  /** address of the instruction after this one */
  readonly next: number;
  readonly monitor: SoftwareMonitor;
}

/** An emulation handler for one trapping instruction. */
export type Emulation = (c: EmulationContext) => Emulated;

const NEXT: Emulated = { kind: 'next' };
const gp = (errorCode = 0): Emulated => ({ kind: 'fault', vector: Vector.generalProtection, errorCode });
/**
 * The fault the machine raises for a guest access the monitor could not make: the guest's
 * page fault, with the error code the hardware's walk gives (the present bit for a protection
 * fault); or, with guest paging off or a walk that reaches past guest RAM, the #GP of the
 * machine's physical-memory check.
 */
const memoryFault = ({ m, v, pager }: EmulationContext, address: number, write: boolean): Emulated => {
  const f = guestFault(m.memory, pager.guestMemoryBytes, v.cr, address, write ? Access.write : Access.read, virtualCpl(m.cpl, v) === 3);
  return f.vector === Vector.pageFault ? { kind: 'fault', ...f, address } : { kind: 'fault', ...f };
};

/** Emulation of each instruction that traps when the guest kernel runs deprivileged. */
export const EMULATIONS: Partial<Record<Mnemonic, Emulation>> = {
  cli: ({ v }) => ((v.interruptsEnabled = false), NEXT),
  sti: ({ v }) => ((v.interruptsEnabled = true), NEXT),
  hlt: ({ m, v, monitor }) => {
    if (!v.interruptsEnabled) {
      m.stop({ kind: 'halted', pc: m.pc });
      return NEXT;
    }
    v.halted = true;
    if (!monitor.hasDeliverable()) m.halted = true; // the machine waits for a real interrupt
    return NEXT;
  },
  rdcr: ({ m, v, i }) => ((m.regs[i.ra] = v.cr[i.imm12]), NEXT),
  wrcr: ({ m, v, i, pager }) => {
    const n = i.imm12;
    if (!CONTROL_REGISTERS.has(n)) return { kind: 'fault', vector: Vector.invalidOpcode, errorCode: 0 };
    const value = m.regs[i.ra];
    const before = v.cr[n];
    v.cr[n] = value;
    if (n === 0 && ((before ^ value) & CR0_PG) !== 0) pager.setGuestPaging((value & CR0_PG) !== 0, v.cr[3]);
    if (n === 3 && (v.cr[0] & CR0_PG) !== 0) pager.setGuestPaging(true, value);
    return NEXT;
  },
  lidt: ({ m, v, i }) => ((v.idtBase = m.regs[i.ra]), NEXT),
  invlpg: ({ m, i, pager }) => (pager.invalidatePage(m.regs[i.ra]), NEXT),
  in: ({ m, v, i, monitor }) => {
    if (virtualCpl(m.cpl, v) > v.iopl) return gp();
    m.regs[i.ra] = monitor.devices.read(m, i.imm12);
    return NEXT;
  },
  out: ({ m, v, i, monitor }) => {
    if (virtualCpl(m.cpl, v) > v.iopl) return gp();
    monitor.devices.write(m, i.imm12, m.regs[i.ra]);
    return NEXT;
  },
  sysexit: ({ m, v, i }) => {
    const pc = m.regs[i.ra];
    m.regs[15] = m.regs[i.rb];
    enterRing(m, v, 3);
    m.pc = pc;
    m.next = pc;
    return { kind: 'jumped' };
  },
  iret: (c) => {
    const { m, v, mem } = c;
    const sp = m.regs[15];
    const words = [0, 4, 8, 12].map((o) => mem.read32((sp + o) | 0));
    const missing = words.findIndex((w) => w === null);
    if (missing >= 0) return memoryFault(c, (sp + missing * 4) | 0, false);
    const [pc, cs, flags, newSp] = words as number[];
    const vcpl = virtualCpl(m.cpl, v);
    const target = cs & 3;
    if (target < vcpl) return gp();
    if (vcpl === 0) {
      v.interruptsEnabled = (flags & Flag.IF) !== 0;
      v.iopl = (flags >>> 12) & 3;
    } else if (vcpl <= v.iopl) v.interruptsEnabled = (flags & Flag.IF) !== 0;
    m.flags = (m.flags & (Flag.IF | Flag.IOPL)) | (flags & ~(Flag.IF | Flag.IOPL));
    m.regs[15] = newSp;
    enterRing(m, v, target);
    m.pc = pc;
    m.next = pc;
    return { kind: 'jumped' };
  },
  // the rest trap only on the `virtualizable` variant
  pushf: (c) => {
    const { m, v, mem } = c;
    const sp = (m.regs[15] - 4) | 0;
    if (!mem.write32(sp, virtualFlags(m.flags, v))) return memoryFault(c, sp, true);
    m.regs[15] = sp;
    return NEXT;
  },
  popf: (c) => {
    const { m, v, mem } = c;
    const f = mem.read32(m.regs[15]);
    if (f === null) return memoryFault(c, m.regs[15], false);
    const vcpl = virtualCpl(m.cpl, v);
    if (vcpl === 0) v.iopl = (f >>> 12) & 3;
    if (vcpl <= v.iopl) v.interruptsEnabled = (f & Flag.IF) !== 0;
    m.flags = (m.flags & (Flag.IF | Flag.IOPL)) | (f & ~(Flag.IF | Flag.IOPL));
    m.regs[15] = (m.regs[15] + 4) | 0;
    return NEXT;
  },
  sidt: ({ m, v, i }) => ((m.regs[i.ra] = v.idtBase), NEXT),
  smsw: ({ m, v, i }) => ((m.regs[i.ra] = v.cr[0]), NEXT),
  rdcpl: ({ m, v, i }) => ((m.regs[i.ra] = virtualCpl(m.cpl, v)), NEXT),
};

/** The hardware configuration of a monitor that takes every trap (no direct gates). */
export const EVERY_TRAP: MonitorControls = { directVectors: new Set() };

/** Options of the monitor. */
export interface MonitorOptions {
  /** stop the run at the first divergence from native behaviour (default true) */
  readonly stopOnDivergence: boolean;
  /** the device models port accesses go to */
  readonly devices: DeviceModel;
}

/** The trap handler of a deprivileging VMM. */
export class SoftwareMonitor implements VcpuHandler {
  readonly mem: GuestMemory;
  /** the device models */
  readonly devices: DeviceModel;
  /** the first place where the guest saw behaviour native hardware would not have shown */
  divergence: string | null = null;
  /** a start-up IPI reached this vCPU (set by the strategy that knows how it starts) */
  onStartup?: (pc: number) => void;

  constructor(
    readonly m: Cpu,
    readonly v: VirtualCpu,
    readonly pager: ShadowPager,
    readonly options: MonitorOptions,
  ) {
    this.mem = new GuestMemory(m, (va) => pager.guestTranslate(va));
    this.devices = options.devices;
    m.events.listen((e) => {
      if (e.kind !== 'sensitive') return;
      const vcpl = virtualCpl(e.cpl, this.v);
      if (vcpl !== 3) this.checkSensitive(e.mnemonic, e.pc, e.value, vcpl);
    });
  }

  /** The trap entry point: every trap of the CPU while the monitor owns ring 0. */
  onTrap(trap: Trap): void {
    this.pager.use(this.m);
    switch (trap.kind) {
      case 'exception':
        this.onException(trap);
        return;
      case 'software-interrupt':
        this.m.ledger.tally('traps', intDetail(trap.vector));
        this.softwareInterrupt(trap.vector, trap.pc, trap.nextPc);
        return;
      case 'interrupt':
        this.m.ledger.tally('traps', 'interrupt');
        this.v.pending.push(trap.vector);
        this.deliverPending();
        return;
      case 'vmcall':
        this.m.ledger.tally('traps', 'vmcall');
        this.reflect({ vector: Vector.invalidOpcode, returnPc: trap.pc });
        return;
      case 'sysenter':
        this.m.ledger.tally('traps', 'sysenter');
        this.sysenter(trap.pc);
        return;
    }
  }

  /**
   * SYSENTER from the guest: what the hardware would have done with the guest's own entry
   * point and stack (its virtual cr10 and cr11), in the guest kernel's real ring.
   */
  sysenter(pc: number): void {
    const m = this.m;
    const entry = this.v.cr[ControlRegister.cr10];
    if (entry === 0) {
      this.reflect({ vector: Vector.generalProtection, errorCode: 0, returnPc: pc });
      return;
    }
    this.m.ledger.tally('emulations', 'sysenter');
    this.v.interruptsEnabled = false;
    enterRing(m, this.v, 0);
    m.regs[15] = this.v.cr[ControlRegister.cr11];
    m.pc = entry;
    m.next = entry;
  }

  /** Whether a pending virtual interrupt can be delivered now. */
  hasDeliverable(): boolean {
    return this.v.interruptsEnabled && nextPending(this.v.pending, this.v.cr[8]) >= 0;
  }

  /** Deliver the highest-priority deliverable pending interrupt, if any. */
  deliverPending(): void {
    if (!this.hasDeliverable()) return;
    const vector = this.v.pending.splice(nextPending(this.v.pending, this.v.cr[8]), 1)[0];
    // a halted guest resumes after its HLT
    this.reflect({ vector, returnPc: this.m.pc });
  }

  /** Deliver an event to the guest; a failed delivery is a (virtual) triple fault. */
  reflect(r: Reflection): void {
    this.m.ledger.tally('injections', r.vector);
    // the monitor's software does what the hardware's delivery would have done
    this.m.ledger.tally('emulations', 'event delivery');
    const out = deliverToGuest(this.m, this.v, this.mem, r);
    if (!out.ok) this.m.stop({ kind: 'triple-fault', pc: r.returnPc, detail: out.reason });
  }

  /** INT n at `pc` from the guest kernel (or its translation): through its table as natively, or a #GP if the gate cannot be used. */
  softwareInterrupt(vector: number, pc: number, nextPc: number): void {
    const flags = this.mem.read32((this.v.idtBase + vector * 8 + 4) | 0);
    const dpl = flags === null ? 0 : (flags >>> Gate.dplShift) & 3;
    const vcpl = virtualCpl(this.m.cpl, this.v);
    // as natively: INT n through a gate the caller may not use, that is not present or that
    // targets a less privileged ring is an ordinary #GP naming the gate, at the INT (a failed
    // exception delivery would escalate to a double fault, a software interrupt's does not)
    if (flags !== null && ((flags & Gate.present) === 0 || vcpl > dpl || ((flags >>> Gate.ringShift) & 3) > vcpl)) {
      this.m.pc = pc;
      this.reflect({ vector: Vector.generalProtection, errorCode: vector * 8 + 2, returnPc: pc });
      return;
    }
    this.reflect({ vector, returnPc: nextPc });
  }

  private onException(t: Extract<Trap, { kind: 'exception' }>): void {
    if (t.vector === Vector.pageFault) return this.onPageFault(t.faultAddress, t.errorCode, t.pc);
    // a #GP in the guest's kernel rings (0-2): an instruction to emulate, or to fault as natively
    if (t.vector === Vector.generalProtection && virtualCpl(this.m.cpl, this.v) !== 3) return this.emulate(t.pc);
    this.m.ledger.tally('traps', exceptionDetail(t.vector));
    this.reflect({ vector: t.vector, errorCode: t.errorCode, returnPc: t.pc });
  }

  private onPageFault(address: number, errorCode: number, pc: number): void {
    const verdict = this.pager.onPageFault(address, errorCode, (errorCode & 4) !== 0 ? 3 : 0);
    switch (verdict.kind) {
      case 'hidden':
        this.m.ledger.tally('traps', 'hidden page fault');
        return;
      case 'guest':
        this.m.ledger.tally('traps', 'guest page fault');
        if (verdict.outsideGuestMemory) {
          this.reflect({ vector: Vector.generalProtection, errorCode: 0, returnPc: pc });
          return;
        }
        this.v.cr[2] = verdict.address;
        this.reflect({ vector: Vector.pageFault, errorCode: verdict.errorCode, returnPc: pc });
        return;
      case 'trace':
        this.m.ledger.tally('traps', 'page-table write');
        this.emulateTracedWrite(pc);
        return;
    }
  }

  /** A store hit a write-protected guest page table: do it on the guest's behalf. */
  private emulateTracedWrite(pc: number): void {
    const d = this.decodeAt(pc);
    if (d === null) return;
    const { i, size } = d;
    const m = this.m;
    let value: number;
    let bytes: 1 | 4 = 4;
    const store = (m.regs[i.rb] + i.imm) | 0;
    switch (i.mnemonic) {
      case 'st':
        value = m.regs[i.ra];
        break;
      case 'stb':
        value = m.regs[i.ra] & 0xff;
        bytes = 1;
        break;
      default:
        m.stop({ kind: 'stopped', detail: `internal error: cannot emulate a page-table write by '${i.mnemonic}' at 0x${(pc >>> 0).toString(16)}` });
        return;
    }
    if (!this.pager.emulateWrite(store, value, bytes, virtualCpl(m.cpl, this.v))) {
      m.stop({ kind: 'stopped', detail: `internal error: write at 0x${(store >>> 0).toString(16)} reported as traced but not emulated` });
      return;
    }
    this.m.ledger.tally('emulations', i.mnemonic);
    m.pc = (pc + size) | 0;
  }

  private decodeAt(pc: number): { i: Instruction; size: number } | null {
    const w = this.mem.read32(pc);
    const ext = this.mem.read32((pc + 4) | 0) ?? 0;
    const d = w === null ? null : decode(w, ext);
    if (d === null || !d.ok) {
      this.reflect({ vector: Vector.invalidOpcode, returnPc: pc });
      return null;
    }
    return { i: d.instruction, size: d.size };
  }

  /** A #GP from the guest kernel: emulate the privileged instruction, or deliver the #GP. */
  private emulate(pc: number): void {
    // a pc off a word boundary: the fetch itself raised the #GP (as it does natively), there is no instruction to emulate
    if ((pc & 3) !== 0) {
      this.m.ledger.tally('traps', 'exception 13');
      this.reflect({ vector: Vector.generalProtection, errorCode: 0, returnPc: pc });
      return;
    }
    const d = this.decodeAt(pc);
    if (d === null) return;
    const handler = EMULATIONS[d.i.mnemonic];
    // in guest rings 1 and 2 a privileged instruction faults as natively (those checked
    // against IOPL are emulated: the emulation checks)
    if (!handler || (virtualCpl(this.m.cpl, this.v) !== 0 && privilegeOf(d.i.mnemonic, this.m.variant) === 'kernel')) {
      this.m.ledger.tally('traps', 'exception 13');
      this.reflect({ vector: Vector.generalProtection, errorCode: 0, returnPc: pc });
      return;
    }
    this.m.ledger.tally('traps', PRIVILEGED_CAUSE(d.i.mnemonic));
    this.m.ledger.tally('emulations', d.i.mnemonic);
    const next = (pc + d.size) | 0;
    this.m.next = next;
    const r = handler({ m: this.m, v: this.v, mem: this.mem, pager: this.pager, i: d.i, next, monitor: this });
    switch (r.kind) {
      case 'next':
        this.m.pc = next;
        break;
      case 'jumped':
        break;
      case 'fault':
        if (r.vector === Vector.pageFault && r.address !== undefined) this.v.cr[2] = r.address;
        this.reflect({ vector: r.vector, errorCode: r.errorCode, returnPc: pc });
        return;
    }
    this.deliverPending();
  }

  /** Compare what a non-trapping sensitive instruction did with what the guest should have seen. */
  private checkSensitive(mnemonic: string, pc: number, value: number, vcpl: number): void {
    if (this.divergence !== null) return;
    const v = this.v;
    const vIF = v.interruptsEnabled ? 1 : 0;
    const valueIF = (value & Flag.IF) !== 0 ? 1 : 0;
    const at = `at 0x${(pc >>> 0).toString(16)}`;
    const found: Record<string, () => string | null> = {
      pushf: () => (valueIF !== vIF ? `pushf ${at} revealed IF=${valueIF}, but the guest's IF is ${vIF}` : null),
      // natively IF follows at a CPL up to IOPL
      popf: () =>
        vcpl <= v.iopl && valueIF !== vIF ? `popf ${at} tried to set IF=${valueIF}; outside ring 0 it was silently ignored, so the guest's IF stayed ${vIF}` : null,
      iret: () => {
        // the frame is still on the stack: an IRET that ran untrapped into another of the
        // rings that share real ring 1 left the monitor taking the guest for its old ring
        const ring = (this.mem.read32((this.m.regs[15] + 4) | 0) ?? 3) & 3;
        if (ring !== 3 && ring !== vcpl) return `iret ${at} entered ring ${ring} unseen: guest rings 0-2 share real ring 1, so the monitor still takes the guest for ring ${vcpl}`;
        return vcpl <= v.iopl && valueIF !== vIF ? `iret ${at} tried to restore IF=${valueIF}; outside ring 0 it was silently ignored, so the guest's IF stayed ${vIF}` : null;
      },
      sidt: () => (value !== v.idtBase ? `sidt ${at} revealed the monitor's table at 0x${(value >>> 0).toString(16)} instead of the guest's 0x${(v.idtBase >>> 0).toString(16)}` : null),
      smsw: () => (value !== v.cr[0] ? `smsw ${at} read 0x${(value >>> 0).toString(16)} instead of the guest's cr0 0x${(v.cr[0] >>> 0).toString(16)}` : null),
      rdcpl: () => (value !== vcpl ? `rdcpl ${at} revealed ring ${value} to a guest that believes it runs in ring ${vcpl}` : null),
    };
    const why = found[mnemonic]?.() ?? null;
    if (why === null) return;
    this.divergence = why;
    if (this.options.stopOnDivergence) this.m.stop({ kind: 'stopped', detail: `not equivalent: ${why}` });
  }
}
