/**
 * Counters of the paravirtual hypervisor, with their pricing.
 * @category Strategies
 */
import { count, free, priced, tally, type CounterTable } from '../../core/cost/counters';

/** What the hypervisor counts. */
export const PARAVIRT_COUNTERS = {
  hypercalls: tally('hypercalls, by operation', priced('hypercall', 'hypercalls')),
  'hypercalls.updates': count('page-table updates validated and applied inside hypercalls', priced('hypercallPerUpdate', 'hypercall updates')),
  'hypercalls.validationFailures': count('hypercall arguments refused by validation', free('the refused hypercall is priced as a hypercall')),
  upcalls: count('event upcalls into the guest kernel', free('priced as a bounce (bounces)')),
  bounces: tally('entries into the guest kernel the hypervisor builds a frame for (trap, system call or event upcall), by vector or upcall', priced('trapBounce', 'bounces')),
  'remoteFlushes.waits': count(
    'tlb_flush_multi calls that waited for other vCPUs: the caller waits while the targets take the IPI into the hypervisor (in parallel, so one entry)',
    priced('exceptionDelivery', 'remote flush wait'),
  ),
  'remoteFlushes.waitReturns': count(
    "the targets' return from that IPI, which the caller also waits for",
    priced('iret', 'remote flush wait'),
  ),
  remoteFlushes: count(
    "TLB flushes the hypervisor made on the guest's vCPUs for tlb_flush_multi",
    free('its IPIs (ipis.sent) and the flushes themselves (tlb.invlpg, tlb.flushes) are priced where they happen'),
  ),
  directSyscalls: count('system calls the hardware delivered straight to the guest kernel (fast system calls)', free('priced as the software interrupt the hardware delivered')),
} as const satisfies CounterTable;
