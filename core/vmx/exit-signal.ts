/**
 * The current instruction (or event delivery, or a nested-paging walk) causes a VM exit:
 * thrown by instruction semantics and the MMU, caught by the CPU's run, which saves the
 * guest state and returns the exit as a value.
 * @category VMX
 */
import type { VmExit } from './exits';

/** A VM exit in flight. */
export class VmExitSignal {
  constructor(readonly exit: VmExit) {}
}
