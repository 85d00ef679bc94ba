/**
 * Delivering exceptions and interrupts into a deprivileged guest through its virtual
 * interrupt table, the way the hardware would have natively: the monitor reads the guest's
 * gate, switches to the guest kernel stack, pushes the frame the guest expects (virtual
 * flags and virtual CPL) and enters the handler in the guest kernel's real ring. Failures
 * escalate to a double fault and then a triple fault, as on the hardware.
 * @category VMM
 */
import type { Cpu } from '../../core/cpu/cpu';

import { Gate, GATE_SIZE, HAS_ERROR_CODE } from '../../core/cpu/idt';
import { Vector } from '../../core/isa/table';
import type { GuestMemory } from './guest-memory';
import { enterRing, virtualCpl, virtualFlags, type VirtualCpu } from './virtual-cpu';

/** What to deliver. */
export interface Reflection {
  readonly vector: number;
  readonly errorCode?: number;
  /** where the guest's IRET resumes */
  readonly returnPc: number;
}

/** Outcome of a delivery: done, or the guest triple-faulted. */
export type DeliveryOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Enter the guest handler; returns why it could not (for the double-fault path). */
const enter = (m: Cpu, v: VirtualCpu, mem: GuestMemory, r: Reflection): string | null => {
  const gate = (v.idtBase + r.vector * GATE_SIZE) | 0;
  const handler = mem.read32(gate);
  const flags = mem.read32((gate + 4) | 0);
  if (handler === null || flags === null) return `the guest's interrupt table at ${hex(v.idtBase)} is not mapped`;
  if ((flags & Gate.present) === 0) return `guest interrupt gate ${r.vector} not present`;
  const target = (flags >>> Gate.ringShift) & 3;
  const vcpl = virtualCpl(m.cpl, v);
  if (target > vcpl) return `guest gate ${r.vector} targets ring ${target}, less privileged than ${vcpl}`;
  let sp = target < vcpl ? v.cr[4 + target] : m.regs[15];
  const words = [m.regs[15], virtualFlags(m.flags, v), vcpl, r.returnPc];
  if (r.errorCode !== undefined && HAS_ERROR_CODE.has(r.vector)) words.push(r.errorCode);
  for (const w of words) {
    sp = (sp - 4) | 0;
    if (!mem.write32(sp, w)) return `the guest kernel stack at ${hex(sp)} is not mapped`;
  }
  enterRing(m, v, target);
  m.regs[15] = sp;
  if ((flags & Gate.trap) === 0) v.interruptsEnabled = false;
  m.pc = handler;
  m.next = handler;
  m.halted = false;
  v.halted = false;
  return null;
};

/** Deliver an event into the guest, escalating to double and triple fault. */
export const deliverToGuest = (m: Cpu, v: VirtualCpu, mem: GuestMemory, r: Reflection): DeliveryOutcome => {
  const why = enter(m, v, mem, r);
  if (why === null) return { ok: true };
  if (r.vector === Vector.doubleFault) return { ok: false, reason: why };
  const df = enter(m, v, mem, { vector: Vector.doubleFault, errorCode: 0, returnPc: r.returnPc });
  return df === null ? { ok: true } : { ok: false, reason: `${why} while delivering vector ${r.vector}; then ${df}` };
};
