/**
 * Counters of the VMM machinery several strategies share, with their pricing: what every
 * VMM does (emulating instructions, injecting events), what a software monitor owning
 * ring 0 does (taking traps), and what shadow paging does.
 * @category VMM
 */
import { count, free, priced, tally, type CounterTable } from '../../core/cost/counters';

/** Work every kind of VMM counts. */
export const VMM_COUNTERS = {
  emulations: tally('guest instructions or events the VMM emulated in software, by mnemonic or kind', priced('vmmEmulation', 'emulation')),
  injections: tally('virtual interrupts and exceptions injected into the guest, by vector', free('the delivery is priced where it happens: by the hardware at VM entry, as the monitor\'s event-delivery emulation, or as a paravirtual bounce')),
} as const satisfies CounterTable;

/** Traps into a software monitor that owns ring 0 (trap-and-emulate, binary translation, paravirt). */
export const MONITOR_COUNTERS = {
  traps: tally('traps into the monitor, by cause', priced('monitorTrapRoundTrip', 'monitor traps')),
} as const satisfies CounterTable;

/** Shadow page tables (strategies/shared/shadow-paging.ts). */
export const SHADOW_PAGING_COUNTERS = {
  'shadowPaging.hiddenFaults': count('page faults the monitor resolved by filling a shadow entry (the guest never sees them)', priced('hiddenPageFault', 'hidden page faults')),
  'shadowPaging.guestFaults': count('page faults that were the guest\'s own (reflected)', free('the reflection is priced as a trap or exit and an injection')),
  'shadowPaging.traceFaults': count('writes to write-protected guest page tables, emulated', priced('traceFault', 'trace faults')),
  'shadowPaging.updates': count('validated updates of shadow entries', priced('shadowPageTableUpdate', 'shadow updates')),
  'shadowPaging.rootSwitches': count('changes of the active shadow root', free('priced as the cr3 write and TLB flush it causes')),
  'shadowPaging.cacheHits': count('shadow roots reused from the cache', free('a lookup in the monitor, part of the cr3 emulation')),
  'shadowPaging.cacheMisses': count('shadow roots built afresh (the entries are filled later by hidden faults)', priced('shadowRootBuild', 'shadow root builds')),
  'shadowPaging.unshadowed': count('guest page-table frames no longer traced after many writes without use', free('bookkeeping of the trace that follows')),
} as const satisfies CounterTable;
