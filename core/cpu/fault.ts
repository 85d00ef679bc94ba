/**
 * Signals that abort the current instruction. They are thrown by instruction semantics and
 * the MMU and caught by the machine's run loop, which keeps exceptions precise: an
 * instruction that faults has changed no architectural state.
 * @category CPU
 */
import type { VmExit } from '../vmx/exits';

/** A guest exception (divide error, invalid opcode, general protection, page fault ...). */
export class GuestFault {
  constructor(
    readonly vector: number,
    readonly errorCode: number = 0,
    /** for page faults: the faulting linear address (goes to cr2) */
    readonly faultAddress: number = 0,
    /** why, for messages */
    readonly detail: string = '',
  ) {}
}

/** The current instruction causes a VM exit. */
export class VmExitSignal {
  constructor(readonly exit: VmExit) {}
}
