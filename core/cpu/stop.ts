/**
 * Why a machine stopped running.
 * @category CPU
 */
import type { VmExit } from '../vmx/exits';

/** The reason a run ended. */
export type StopReason =
  /** HLT with interrupts disabled: the normal end of a bare-metal program */
  | { readonly kind: 'halted'; readonly pc: number }
  /** the guest wrote its exit code to the power port */
  | { readonly kind: 'shutdown'; readonly exitCode: number }
  /** a budget ran out (a guest that never stops): instructions retired, or modelled cycles */
  | { readonly kind: 'budget'; readonly budget: 'instructions' | 'cycles'; readonly instructions: number; readonly cycles: number }
  /** an exception while delivering a double fault */
  | { readonly kind: 'triple-fault'; readonly pc: number; readonly detail: string }
  /** exceptions delivered over and over with no instruction retired between them: a fault loop */
  | { readonly kind: 'no-progress'; readonly pc: number; readonly faults: number; readonly vector: number }
  /** HLT with interrupts enabled but no device will ever interrupt */
  | { readonly kind: 'idle'; readonly pc: number }
  /** a VM exit nobody handled */
  | { readonly kind: 'vm-exit-unhandled'; readonly exit: VmExit }
  /** a strategy or the host stopped the machine */
  | { readonly kind: 'stopped'; readonly detail: string };

/** One-line human description of a stop reason. */
export const describeStop = (s: StopReason): string => {
  const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
  switch (s.kind) {
    case 'halted':
      return `halted at ${hex(s.pc)} with interrupts disabled`;
    case 'shutdown':
      return `shut down with exit code ${s.exitCode}`;
    case 'budget':
      return s.budget === 'instructions'
        ? `instruction budget exhausted after ${s.instructions} instructions (the guest did not stop; raise --max-instructions if it should)`
        : `cycle budget exhausted after ${s.cycles} modelled cycles and ${s.instructions} instructions (the guest did not stop; raise --max-cycles if it should)`;
    case 'triple-fault':
      return `triple fault at ${hex(s.pc)}: ${s.detail}`;
    case 'no-progress':
      return `no progress at ${hex(s.pc)}: ${s.faults} exceptions (the last vector ${s.vector}) delivered with no instruction retired between them; a fault loop`;
    case 'idle':
      return `halted at ${hex(s.pc)} waiting for an interrupt that can never come`;
    case 'vm-exit-unhandled':
      return `VM exit '${s.exit.reason}' with no VMM to handle it`;
    case 'stopped':
      return s.detail;
  }
};
