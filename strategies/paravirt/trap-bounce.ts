/**
 * Bouncing a trap or an event into the guest kernel (Xen's "trap bounce"): the hypervisor
 * builds the frame the hardware would have built, on the guest kernel's ring-1 stack (the
 * `stack_switch` one when the guest was in ring 3), and enters the registered handler in
 * ring 1. The flags in the frame carry the virtual IF (= not masked), so the guest's `iret`
 * hypercall restores the event mask it had.
 * @category Strategies
 */
import type { Cpu } from '../../core/cpu/cpu';

import { Flag } from '../../core/isa/table';
import type { VirtualInterrupts } from './events';
import type { GuestView } from './guest-access';

/** Where and how to enter the guest kernel. */
export interface Bounce {
  /** the guest handler (ring 1) */
  readonly handler: number;
  /** where the guest's `iret` resumes */
  readonly returnPc: number;
  /** pushed after the return address when defined (vectors 8, 13, 14; the event bits of an upcall) */
  readonly errorCode?: number;
  /** mask events on entry (an interrupt-gate-like entry) */
  readonly maskEvents: boolean;
}

/** Outcome of a bounce: done, or why the guest kernel could not be entered. */
export type BounceOutcome = { readonly ok: true } | { readonly ok: false; readonly why: string };

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Push the frame on the guest kernel stack and enter the handler in ring 1. */
export const bounceToGuest = (m: Cpu, mem: GuestView, ev: VirtualInterrupts, kernelStack: number, b: Bounce): BounceOutcome => {
  const fromUser = m.cpl === 3;
  if (fromUser && kernelStack === 0) return { ok: false, why: 'no kernel stack registered (stack_switch) for a trap from ring 3' };
  let sp = fromUser ? kernelStack : m.regs[15];
  const flags = (m.flags & ~Flag.IF) | (ev.masked ? 0 : Flag.IF);
  const words = [m.regs[15], flags, m.cpl, b.returnPc];
  if (b.errorCode !== undefined) words.push(b.errorCode);
  // all or nothing, as the hardware checks every slot before writing the frame
  if (!mem.canAccess((sp - 4 * words.length) | 0, 4 * words.length, true))
    return { ok: false, why: `the guest kernel stack below ${hex(sp)} is not mapped writable` };
  for (const w of words) {
    sp = (sp - 4) | 0;
    mem.write32(sp, w);
  }
  m.cpl = 1;
  m.regs[15] = sp;
  m.pc = b.handler;
  m.next = b.handler;
  m.halted = false;
  if (b.maskEvents) ev.setMasked(true);
  return { ok: true };
};
