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
import type { Vmcs } from '../../core/vmx/vmcs';
import type { ShadowPager } from '../shared/shadow-paging';

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
}

/** One handler per reason. */
export type ExitHandlers = { readonly [R in VmExitReason]: (c: ExitContext, e: Extract<VmExit, { reason: R }>) => void };

const emulated = (c: ExitContext, what: string): void => c.m.ledger.tally('emulations', what);

/** Queue an exception for injection on the next entry. */
const injectException = (c: ExitContext, vector: number, errorCode?: number): void => {
  c.vmcs.injection = { vector, errorCode, type: 'exception' };
  c.m.ledger.tally('injections', vector);
};

/** Inject a pending interrupt if the guest can take one now, else ask for an interrupt window. */
export const injectPending = (c: ExitContext): void => {
  const g = c.vmcs.guest;
  if (c.pending.length === 0 || c.vmcs.injection !== null) {
    c.vmcs.controls.interruptWindowExiting = c.pending.length > 0;
    return;
  }
  const k = nextPending(c.pending, g.cr[8]);
  if ((g.flags & Flag.IF) !== 0 && k >= 0) {
    const vector = c.pending.splice(k, 1)[0];
    c.vmcs.injection = { vector, type: 'external' };
    c.m.ledger.tally('injections', vector);
  }
  c.vmcs.controls.interruptWindowExiting = nextPending(c.pending, g.cr[8]) >= 0 && c.vmcs.injection === null;
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
    g.pc = e.nextPc;
    if ((g.flags & Flag.IF) === 0) {
      c.m.stop({ kind: 'halted', pc: e.pc });
      return;
    }
    injectPending(c);
    // nothing to inject: enter in the HLT activity state and wait for an interrupt
    if (c.vmcs.injection === null) c.vmcs.activityHalted = true;
  },
  io: (c, e) => {
    const g = c.vmcs.guest;
    emulated(c, `io ${e.direction}`);
    if (e.direction === 'in') g.regs[e.register] = c.m.portRead(e.port, true);
    else c.m.portWrite(e.port, g.regs[e.register], true);
    g.regs[0] = 0;
    g.pc = e.nextPc;
  },
  'cr-access': (c, e) => {
    const g = c.vmcs.guest;
    emulated(c, `${e.direction} cr${e.cr}`);
    if (e.direction === 'read') {
      g.regs[e.register] = e.cr === 0 ? c.guestCr.cr0 : e.cr === 3 ? c.guestCr.cr3 : g.cr[e.cr];
      g.regs[0] = 0;
    } else {
      const value = g.regs[e.register];
      if (e.cr === 0) {
        const toggled = ((c.guestCr.cr0 ^ value) & CR0_PG) !== 0;
        c.guestCr.cr0 = value;
        c.vmcs.cr0ReadShadow = value;
        if (toggled && c.pager) c.pager.setGuestPaging((value & CR0_PG) !== 0, c.guestCr.cr3);
      } else if (e.cr === 3) {
        c.guestCr.cr3 = value;
        if (c.pager && (c.guestCr.cr0 & CR0_PG) !== 0) c.pager.setGuestPaging(true, value);
      } else g.cr[e.cr] = value;
      c.m.events.emit({ kind: 'control-register-write', t: c.m.time, cr: e.cr, value });
    }
    g.pc = e.nextPc;
  },
  invlpg: (c, e) => {
    emulated(c, 'invlpg');
    c.pager?.invalidatePage(e.address);
    c.vmcs.guest.pc = e.nextPc;
  },
  lidt: (c, e) => {
    emulated(c, 'lidt');
    c.vmcs.guest.idtBase = e.base;
    c.vmcs.guest.pc = e.nextPc;
  },
  vmcall: (c, e) => {
    // this guest has no hypercall interface: VMCALL is an invalid opcode to it
    injectException(c, Vector.invalidOpcode);
    c.vmcs.guest.pc = e.pc;
  },
  exception: (c, e) => {
    const g = c.vmcs.guest;
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
      c.vmcs.injection = { vector: v.vector, errorCode: v.errorCode, type: v.software ? 'software' : v.errorCode !== undefined ? 'exception' : 'external' };
      return;
    }
    if (verdict.kind === 'guest' && e.vectoring) {
      if (e.vectoring.vector === Vector.doubleFault) {
        c.m.stop({ kind: 'triple-fault', pc: e.pc, detail: `page fault at 0x${(e.faultAddress >>> 0).toString(16)} while delivering a double fault` });
        return;
      }
      // a true fault while delivering an event: natively a double fault
      g.pc = e.vectoring.returnPc;
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
        g.pc = (g.pc + d.size) | 0;
        return;
      }
    }
  },
  'external-interrupt': (c) => {
    const vector = c.m.pic.deliverable();
    if (vector >= 0) {
      c.m.pic.acknowledge(vector);
      c.m.events.emit({ kind: 'interrupt', t: c.m.time, vector, pc: c.vmcs.guest.pc, cpl: c.vmcs.guest.cpl });
      c.pending.push(vector);
    }
  },
  'interrupt-window': (c) => {
    c.vmcs.controls.interruptWindowExiting = false;
  },
  'ept-violation': (c) => {
    // guest-physical memory that does not exist: what the bare machine would do (#GP)
    injectException(c, Vector.generalProtection, 0);
  },
  'triple-fault': (c, e) => {
    c.m.stop({ kind: 'triple-fault', pc: e.pc, detail: e.detail });
  },
};
