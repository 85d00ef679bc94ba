/**
 * The VMM's VM-exit handlers: one per exit reason, in a record keyed by reason (KVM's
 * exit-handler table). Protocol for every handler: the guest state is in `vmcs.guest`; a
 * handler updates it (pc, registers, injection) and returns; the caller re-enters the guest
 * unless the handler stopped the machine.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

import { nextPending } from '../../core/devices/priority';
import { decode } from '../../core/isa/codec';
import { CR0_PG, Flag, Vector } from '../../core/isa/table';
import type { VmExit, VmExitReason } from '../../core/vmx/exits';
import type { InjectedEvent, Vmcs } from '../../core/vmx/vmcs';
import type { DeviceModel } from '../shared/device-model';
import type { ShadowPager } from '../shared/shadow-paging';
import { vmread, vmwrite } from './vmcs-access';

/** What exit handlers work with. */
export interface ExitContext {
  readonly m: Cpu;
  readonly vmcs: Vmcs;
  /** shadow paging, or null with nested paging */
  readonly pager: ShadowPager | null;
  /** the guest's own cr0 and cr3 (under shadow paging the real ones are the VMM's) */
  readonly guestCr: { cr0: number; cr3: number };
  /** external interrupts accepted from the machine, not yet injected */
  readonly pending: number[];
  /** write cr8 without an exit (TPR shadow) */
  readonly tprShadow: boolean;
  /** the device models port accesses go to */
  readonly devices: DeviceModel;
}

/** One handler per reason. */
export type ExitHandlers = { readonly [R in VmExitReason]: (c: ExitContext, e: Extract<VmExit, { reason: R }>) => void };

const emulated = (c: ExitContext, what: string): void => c.m.ledger.tally('emulations', what);

/** Queue an event for injection on the next entry (a VMWRITE of the entry interruption information, and of the error code if any). */
const inject = (c: ExitContext, event: InjectedEvent): void => {
  c.vmcs.injection = event;
  c.m.ledger.tally('injections', event.vector);
  vmwrite(c.m, 'entry interruption information');
  if (event.errorCode !== undefined) vmwrite(c.m, 'entry exception error code');
};

/** Queue an exception for injection on the next entry. */
const injectException = (c: ExitContext, vector: number, errorCode?: number): void => inject(c, { vector, errorCode, type: 'exception' });

/** Continue the guest after the exiting instruction: read its length and the guest RIP, write the RIP. */
const skip = (c: ExitContext, nextPc: number): void => {
  vmread(c.m, 'instruction length', 'guest RIP');
  vmwrite(c.m, 'guest RIP');
  c.vmcs.guest.pc = nextPc;
};

/** Ask for (or stop asking for) an exit when the guest can take an interrupt; a VMWRITE when it changes. */
const setInterruptWindow = (c: ExitContext, on: boolean): void => {
  if (c.vmcs.controls.interruptWindowExiting === on) return;
  c.vmcs.controls.interruptWindowExiting = on;
  vmwrite(c.m, 'processor-based controls');
};

/** Inject a pending interrupt if the guest can take one now, else ask for an interrupt window. */
export const injectPending = (c: ExitContext): void => {
  const g = c.vmcs.guest;
  if (c.pending.length === 0 || c.vmcs.injection !== null) {
    setInterruptWindow(c, c.pending.length > 0);
    return;
  }
  const k = nextPending(c.pending, g.cr[8]);
  if ((g.flags & Flag.IF) !== 0 && k >= 0) inject(c, { vector: c.pending.splice(k, 1)[0], type: 'external' });
  setInterruptWindow(c, nextPending(c.pending, g.cr[8]) >= 0 && c.vmcs.injection === null);
};

/** Decode the guest instruction at `pc` through the guest's tables. */
const guestInstruction = (c: ExitContext, pc: number) => {
  const read = (va: number): number => {
    const pa = c.pager ? c.pager.guestTranslate(va) : c.m.mmu.paging || (c.guestCr.cr0 & CR0_PG) === 0 ? va : null;
    return pa === null ? 0 : c.m.memory.read32(pa);
  };
  return decode(read(pc), read((pc + 4) | 0));
};

/** The exit-handler table. */
export const EXIT_HANDLERS: ExitHandlers = {
  hlt: (c, e) => {
    const g = c.vmcs.guest;
    emulated(c, 'hlt');
    skip(c, e.nextPc);
    if ((g.flags & Flag.IF) === 0) {
      c.m.stop({ kind: 'halted', pc: e.pc });
      return;
    }
    injectPending(c);
    // nothing to inject: enter in the HLT activity state and wait for an interrupt
    if (c.vmcs.injection === null) {
      c.vmcs.activityHalted = true;
      vmwrite(c.m, 'guest activity state');
    }
  },
  io: (c, e) => {
    const g = c.vmcs.guest;
    emulated(c, `io ${e.direction}`);
    vmread(c.m, 'exit qualification');
    if (e.direction === 'in') g.regs[e.register] = c.devices.read(c.m, e.port);
    else c.devices.write(c.m, e.port, g.regs[e.register]);
    g.regs[0] = 0;
    skip(c, e.nextPc);
  },
  'cr-access': (c, e) => {
    const g = c.vmcs.guest;
    emulated(c, `${e.direction} cr${e.cr}`);
    vmread(c.m, 'exit qualification');
    if (e.direction === 'read') {
      g.regs[e.register] = e.cr === 0 ? c.guestCr.cr0 : e.cr === 3 ? c.guestCr.cr3 : g.cr[e.cr];
      g.regs[0] = 0;
    } else {
      const value = g.regs[e.register];
      if (e.cr === 0) {
        const toggled = ((c.guestCr.cr0 ^ value) & CR0_PG) !== 0;
        c.guestCr.cr0 = value;
        c.vmcs.cr0ReadShadow = value;
        vmwrite(c.m, 'CR0 read shadow');
        if (toggled && c.pager) c.pager.setGuestPaging((value & CR0_PG) !== 0, c.guestCr.cr3);
      } else if (e.cr === 3) {
        c.guestCr.cr3 = value;
        if (c.pager && (c.guestCr.cr0 & CR0_PG) !== 0) c.pager.setGuestPaging(true, value);
      } else g.cr[e.cr] = value;
    }
    skip(c, e.nextPc);
  },
  invlpg: (c, e) => {
    emulated(c, 'invlpg');
    vmread(c.m, 'exit qualification');
    c.pager?.invalidatePage(e.address);
    skip(c, e.nextPc);
  },
  lidt: (c, e) => {
    emulated(c, 'lidt');
    vmread(c.m, 'instruction information', 'exit qualification');
    vmwrite(c.m, 'guest IDTR base');
    c.vmcs.guest.idtBase = e.base;
    skip(c, e.nextPc);
  },
  pause: (c, e) => {
    // pause-loop exiting: the vCPU spins (KVM's handle_pause skips the PAUSE and, on a host,
    // yields the physical CPU to another world, kvm_vcpu_on_spin; a VM run alone has a CPU per vCPU)
    emulated(c, 'pause');
    skip(c, e.nextPc);
    if (c.m.yieldWhenHalted) c.m.spinYield = true;
  },
  vmcall: (c, e) => {
    // this guest has no hypercall interface: VMCALL is an invalid opcode to it
    injectException(c, Vector.invalidOpcode);
    c.vmcs.guest.pc = e.pc;
  },
  exception: (c, e) => {
    const g = c.vmcs.guest;
    vmread(c.m, 'exit interruption information', 'exit interruption error code');
    if (e.vector === Vector.pageFault) vmread(c.m, 'exit qualification');
    if (e.vectoring) vmread(c.m, 'IDT-vectoring information');
    if (e.vector !== Vector.pageFault || c.pager === null) {
      injectException(c, e.vector, e.errorCode);
      return;
    }
    // the access's privilege is in the error code (event delivery accesses the table and stack as the supervisor)
    const verdict = c.pager.onPageFault(e.faultAddress, e.errorCode, (e.errorCode & 4) !== 0 ? 3 : 0);
    if (verdict.kind === 'hidden' && e.vectoring) {
      // the fault happened while the CPU delivered an event: deliver it again
      const v = e.vectoring;
      g.pc = v.returnPc;
      vmwrite(c.m, 'guest RIP');
      inject(c, { vector: v.vector, errorCode: v.errorCode, type: v.software ? 'software' : v.external === true ? 'external' : 'exception' });
      return;
    }
    if (verdict.kind === 'guest' && e.vectoring) {
      if (e.vectoring.vector === Vector.doubleFault) {
        c.m.stop({ kind: 'triple-fault', pc: e.pc, detail: `page fault at 0x${(e.faultAddress >>> 0).toString(16)} while delivering a double fault` });
        return;
      }
      // a true fault while delivering an event: natively a double fault
      g.pc = e.vectoring.returnPc;
      vmwrite(c.m, 'guest RIP');
      injectException(c, Vector.doubleFault, 0);
      return;
    }
    switch (verdict.kind) {
      case 'hidden':
        return;
      case 'guest':
        if (verdict.outsideGuestMemory) {
          injectException(c, Vector.generalProtection, 0);
          return;
        }
        g.cr[2] = verdict.address;
        injectException(c, Vector.pageFault, verdict.errorCode);
        return;
      case 'trace': {
        const d = guestInstruction(c, g.pc);
        if (!d.ok || (d.instruction.mnemonic !== 'st' && d.instruction.mnemonic !== 'stb')) {
          c.m.stop({ kind: 'stopped', detail: `internal error: cannot emulate the page-table write at 0x${(g.pc >>> 0).toString(16)}` });
          return;
        }
        const i = d.instruction;
        const bytes = i.mnemonic === 'st' ? 4 : 1;
        const address = (g.regs[i.rb] + i.imm) | 0;
        const vcpl = g.cpl === 3 ? 3 : 0;
        if (!c.pager.emulateWrite(address, bytes === 4 ? g.regs[i.ra] : g.regs[i.ra] & 0xff, bytes, vcpl)) {
          c.m.stop({ kind: 'stopped', detail: `internal error: the page-table write at 0x${(g.pc >>> 0).toString(16)} could not be emulated` });
          return;
        }
        emulated(c, i.mnemonic);
        vmread(c.m, 'guest RIP');
        vmwrite(c.m, 'guest RIP');
        g.pc = (g.pc + d.size) | 0;
        return;
      }
    }
  },
  'external-interrupt': (c) => {
    vmread(c.m, 'exit interruption information');
    const vector = c.m.pic.deliverable();
    if (vector >= 0) {
      c.m.pic.acknowledge(vector);
      c.pending.push(vector);
    }
  },
  'interrupt-window': (c) => setInterruptWindow(c, false),
  'ept-violation': (c, e) => {
    vmread(c.m, 'exit qualification', 'guest-physical address');
    // guest-physical memory that does not exist: what the bare machine would do (#GP) ...
    if (!e.vectoring) return injectException(c, Vector.generalProtection, 0);
    // ... and while delivering an event, the bare machine's escalation (core/cpu/delivery.ts)
    vmread(c.m, 'IDT-vectoring information');
    const v = e.vectoring;
    if (v.vector === Vector.doubleFault)
      return c.m.stop({ kind: 'triple-fault', pc: e.pc, detail: `guest-physical 0x${(e.guestPhysical >>> 0).toString(16)} does not exist (delivering a double fault)` });
    c.vmcs.guest.pc = v.software ? e.pc : v.returnPc;
    vmwrite(c.m, 'guest RIP');
    injectException(c, v.software || v.external ? Vector.generalProtection : Vector.doubleFault, 0);
  },
  'triple-fault': (c, e) => {
    c.m.stop({ kind: 'triple-fault', pc: e.pc, detail: e.detail });
  },
};
