/**
 * Exception and interrupt delivery through the interrupt descriptor table, with the
 * double- and triple-fault path. In non-root mode a fault during delivery that the VMCS
 * selects leaves as a VM exit (thrown as a signal and returned by the run as a value).
 * @category CPU
 */
import { Flag, Vector } from '../isa/table';
import { Access } from '../mmu/pte';
import { GuestFault } from '../isa/fault';
import { VmExitSignal } from '../vmx/exit-signal';
import type { VmExit } from '../vmx/exits';
import { Gate, GATE_SIZE, HAS_ERROR_CODE } from './idt';
import type { Cpu } from './cpu';
import type { CpuExit } from './exit';

/** A delivery request. */
export interface Delivery {
  readonly vector: number;
  /** pushed after the return address when defined */
  readonly errorCode?: number;
  /** where IRET resumes */
  readonly returnPc: number;
  /** INT n (gate DPL already checked) */
  readonly software: boolean;
  /** an external interrupt */
  readonly external?: boolean;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/**
 * Deliver an event through the IDT. A fault while delivering an exception escalates to a
 * double fault, and a fault while delivering the double fault stops the machine (triple
 * fault). A fault while delivering an external or software interrupt is a plain fault of
 * its own (as on x86, where only exception delivery escalates). `cause` describes the event
 * for the triple-fault message.
 */
export const deliver = (m: Cpu, d: Delivery, cause = `vector ${d.vector}`): void => {
  try {
    enter(m, d);
  } catch (e) {
    if (e instanceof VmExitSignal && m.nonRoot) {
      // an exit during event delivery records the event (IDT-vectoring information)
      const vectoring = { vector: d.vector, errorCode: d.errorCode, returnPc: d.returnPc, software: d.software, external: d.external ?? false };
      throw new VmExitSignal({ ...e.exit, pc: m.pc, ...(e.exit.reason === 'ept-violation' ? { vectoring } : {}) } as VmExit);
    }
    if (!(e instanceof GuestFault)) throw e;
    if (m.nonRoot && m.vmcs && (m.vmcs.controls.exceptionBitmap & (1 << e.vector)) !== 0) {
      // a fault while delivering an event exits to the VMM, which re-injects the event (IDT-vectoring information)
      throw new VmExitSignal({
        reason: 'exception',
        pc: m.pc,
        vector: e.vector,
        errorCode: e.errorCode,
        faultAddress: e.faultAddress,
        vectoring: { vector: d.vector, errorCode: d.errorCode, returnPc: d.returnPc, software: d.software, external: d.external ?? false },
      });
    }
    if (e.vector === Vector.pageFault) m.cr[2] = e.faultAddress;
    const why = e.detail || `exception ${e.vector}`;
    if (d.vector === Vector.doubleFault) {
      const detail = `${cause}; the double-fault handler could not be entered either: ${why}`;
      if (m.nonRoot) throw new VmExitSignal({ reason: 'triple-fault', pc: m.pc, detail });
      m.stop({ kind: 'triple-fault', pc: m.pc, detail });
      return;
    }
    if (d.software || d.external) {
      // not an exception: the failed delivery is an ordinary #GP at the same place
      m.events.emit({ kind: 'exception', t: m.time, vector: e.vector, errorCode: e.errorCode, pc: m.pc, cpl: m.cpl });
      const gpCause = `${why} (delivering ${d.software ? 'INT' : 'interrupt'} ${hex(d.vector)})`;
      deliver(m, { vector: e.vector, errorCode: HAS_ERROR_CODE.has(e.vector) ? e.errorCode : undefined, returnPc: d.software ? m.pc : d.returnPc, software: false }, gpCause);
      return;
    }
    m.events.emit({ kind: 'exception', t: m.time, vector: Vector.doubleFault, errorCode: 0, pc: m.pc, cpl: m.cpl });
    deliver(m, { vector: Vector.doubleFault, errorCode: 0, returnPc: d.returnPc, software: false }, `${cause}; delivering it failed: ${why}`);
  }
};

/** Push the frame and switch to the handler; throws GuestFault if that is impossible. */
const enter = (m: Cpu, d: Delivery): void => {
  const gate = (m.idtBase + d.vector * GATE_SIZE) | 0;
  const handler = m.memory.read32(m.mmu.translate(gate, Access.read, false));
  const flags = m.memory.read32(m.mmu.translate((gate + 4) | 0, Access.read, false));
  if ((flags & Gate.present) === 0)
    throw new GuestFault(Vector.generalProtection, d.vector * 8 + 2, 0, `interrupt gate ${d.vector} not present (table at ${hex(m.idtBase)})`);
  const ring = (flags >>> Gate.ringShift) & 3;
  if (ring > m.cpl)
    throw new GuestFault(Vector.generalProtection, d.vector * 8 + 2, 0, `gate ${d.vector} targets ring ${ring}, less privileged than CPL ${m.cpl}`);
  let sp = ring < m.cpl ? m.cr[4 + ring] : m.regs[15];
  const words = [m.regs[15], m.flags, m.cpl, d.returnPc];
  if (d.errorCode !== undefined) words.push(d.errorCode);
  const user = ring === 3;
  const addrs: number[] = [];
  for (let i = 0; i < words.length; i++) {
    sp = (sp - 4) | 0;
    addrs.push(m.mmu.translate(sp, Access.write, user));
  }
  for (let i = 0; i < words.length; i++) m.memory.write32(addrs[i], words[i]);
  m.cpl = ring;
  m.regs[15] = sp;
  if ((flags & Gate.trap) === 0) m.flags &= ~Flag.IF;
  m.pc = handler;
  m.halted = false;
  m.interruptCheck = true;
};

/** The VM exit a fault raised by the instruction at `m.pc` causes, if the VMCS's exception bitmap selects it (else null). */
export const faultExit = (m: Cpu, f: GuestFault): VmExit | null =>
  m.nonRoot && m.vmcs && (m.vmcs.controls.exceptionBitmap & (1 << f.vector)) !== 0
    ? { reason: 'exception', pc: m.pc, vector: f.vector, errorCode: f.errorCode, faultAddress: f.faultAddress }
    : null;

/**
 * A fault raised by the instruction at `m.pc`: a VM exit if the VMCS selects it, a trap if a
 * software monitor owns ring 0, else delivered through the guest's table (null).
 */
export const deliverFault = (m: Cpu, f: GuestFault): CpuExit | null => {
  const exit = faultExit(m, f);
  if (exit !== null) throw new VmExitSignal(exit);
  // a trap a monitor takes is the monitor's event, not a delivery through the guest's table
  if (m.monitor !== null)
    return { kind: 'trap', trap: { kind: 'exception', vector: f.vector, errorCode: f.errorCode, faultAddress: f.faultAddress, pc: m.pc, detail: f.detail } };
  m.events.emit({ kind: 'exception', t: m.time, vector: f.vector, errorCode: f.errorCode, pc: m.pc, cpl: m.cpl });
  if (f.vector === Vector.pageFault) m.cr[2] = f.faultAddress;
  deliver(
    m,
    { vector: f.vector, errorCode: HAS_ERROR_CODE.has(f.vector) ? f.errorCode : undefined, returnPc: m.pc, software: false },
    `${EXCEPTION_NAMES[f.vector] ?? `exception ${f.vector}`} at ${hex(m.pc)}${f.detail ? ` (${f.detail})` : ''}`,
  );
  return null;
};

/** Names of the architectural exceptions, for messages. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  [Vector.divideError]: 'divide error',
  [Vector.invalidOpcode]: 'invalid opcode',
  [Vector.doubleFault]: 'double fault',
  [Vector.generalProtection]: 'general protection fault',
  [Vector.pageFault]: 'page fault',
};
