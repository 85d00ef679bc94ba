/**
 * A guest exception (divide error, invalid opcode, general protection, page fault ...),
 * thrown by instruction semantics and the MMU and caught by the CPU's run, which keeps
 * exceptions precise: an instruction that faults has changed no architectural state.
 * @category ISA
 */

/** A guest exception. */
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
