/**
 * The phases a trace shows a run's time in, from the cost model's causes: the guest's own
 * execution (what native would spend too: instructions, page walks, TLB flushes, exception
 * and interrupt delivery, port I/O, halted time), binary translation, and the VMM (every
 * other cause: VM exit round trips, emulation, monitor traps, shadow paging, hypercalls,
 * callouts, the device back end ...). The guest's phase is split into kernel and user by
 * the CPL of the instructions retired.
 * @category Trace
 */
import { causesOf } from '../../core/cost/counters';
import { MACHINE_COUNTERS } from '../../core/events/events';

/** Where a cycle cause's time goes in a trace. */
export type Phase = 'guest' | 'translation' | 'vmm';

/** Machine-counted causes that are the host's time, not the guest's. */
const HOST_SIDE = new Set(['VM exits', 'device back end']);

/** The guest's own causes: the machine's, less the host-side ones. */
const GUEST_CAUSES = new Set(causesOf(MACHINE_COUNTERS).filter((c) => !HOST_SIDE.has(c)));

/** The phase of a cycle cause. */
export const phaseOf = (cause: string): Phase => (GUEST_CAUSES.has(cause) ? 'guest' : /translat/i.test(cause) ? 'translation' : 'vmm');
