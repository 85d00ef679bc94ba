/**
 * The cost model: modelled cycles = counted events x per-event costs of a profile, with the
 * breakdown by cause. Nothing here knows which strategy ran; a strategy's overhead is
 * whatever its events add up to.
 * @category Cost
 */
import type { Breakdown, EventCounts } from '../events/events';
import type { CostKey, CostProfile } from './profile';
import type { VmmEvents } from './vmm-events';

/** Everything a run counted. */
export interface RunEvents {
  readonly machine: EventCounts;
  readonly vmm: VmmEvents;
}

/** Causes in the cycle breakdown. */
export const CYCLE_CAUSES = [
  'guest instructions',
  'page walks',
  'TLB flushes',
  'exceptions',
  'interrupts',
  'system calls',
  'interrupt returns',
  'port I/O',
  'privileged instructions',
  'monitor traps',
  'emulation',
  'VM exits',
  'hypercalls',
  'hypercall updates',
  'upcalls',
  'translation',
  'translation-cache lookups',
  'callouts',
  'hidden page faults',
  'trace faults',
  'shadow updates',
] as const;

/** A cause of modelled cycles. */
export type CycleCause = (typeof CYCLE_CAUSES)[number];

const sum = (b: Breakdown): number => Object.values(b).reduce((a, v) => a + v, 0);

/** How many events of each priced kind a run had, per cause. */
const RULES: readonly { cause: CycleCause; cost: CostKey; count: (e: RunEvents) => number }[] = [
  { cause: 'guest instructions', cost: 'instruction', count: (e) => e.machine.retiredByRing.reduce((a, v) => a + v, 0) },
  { cause: 'page walks', cost: 'pageWalkReference', count: (e) => e.machine.tlb.walkReferences },
  { cause: 'TLB flushes', cost: 'tlbFlush', count: (e) => e.machine.tlb.flushes },
  { cause: 'exceptions', cost: 'exceptionDelivery', count: (e) => sum(e.machine.exceptions) },
  { cause: 'interrupts', cost: 'exceptionDelivery', count: (e) => sum(e.machine.interrupts) },
  { cause: 'system calls', cost: 'softwareInterrupt', count: (e) => sum(e.machine.softwareInterrupts) },
  { cause: 'interrupt returns', cost: 'iret', count: (e) => e.machine.irets },
  { cause: 'port I/O', cost: 'ioPort', count: (e) => sum(e.machine.io.in) + sum(e.machine.io.out) },
  { cause: 'privileged instructions', cost: 'privilegedInstruction', count: (e) => sum(e.machine.controlRegisterWrites) + e.machine.tlb.invlpg },
  { cause: 'monitor traps', cost: 'monitorTrapRoundTrip', count: (e) => sum(e.vmm.traps) },
  { cause: 'emulation', cost: 'vmmEmulation', count: (e) => sum(e.vmm.emulations) },
  { cause: 'VM exits', cost: 'vmExitRoundTrip', count: (e) => sum(e.machine.vm.exits) },
  { cause: 'hypercalls', cost: 'hypercall', count: (e) => sum(e.vmm.hypercalls) },
  { cause: 'hypercall updates', cost: 'hypercallPerUpdate', count: (e) => e.vmm.hypercallUpdates },
  { cause: 'upcalls', cost: 'upcall', count: (e) => e.vmm.upcalls },
  { cause: 'translation', cost: 'translationPerInstruction', count: (e) => e.vmm.translation.guestInstructions },
  { cause: 'translation-cache lookups', cost: 'translationCacheLookup', count: (e) => e.vmm.translation.cacheLookups },
  { cause: 'callouts', cost: 'callout', count: (e) => sum(e.vmm.callouts) },
  { cause: 'hidden page faults', cost: 'hiddenPageFault', count: (e) => e.vmm.shadowPaging.hiddenFaults },
  { cause: 'trace faults', cost: 'traceFault', count: (e) => e.vmm.shadowPaging.traceFaults },
  { cause: 'shadow updates', cost: 'shadowPageTableUpdate', count: (e) => e.vmm.shadowPaging.updates },
];

/** Modelled cycles of a run. */
export interface Cycles {
  readonly total: number;
  /** cycles by cause; causes with no events are omitted */
  readonly breakdown: Partial<Record<CycleCause, number>>;
}

/** Price a run's events with a profile. */
export const modelCycles = (e: RunEvents, p: CostProfile): Cycles => {
  const breakdown: Partial<Record<CycleCause, number>> = {};
  let total = 0;
  for (const r of RULES) {
    const n = r.count(e);
    if (n === 0) continue;
    const c = n * p.costs[r.cost].cycles;
    breakdown[r.cause] = (breakdown[r.cause] ?? 0) + c;
    total += c;
  }
  return { total, breakdown };
};

/** The events that happened between two snapshots (b - a), for measured regions. */
export const diffEvents = (a: RunEvents, b: RunEvents): RunEvents => ({
  machine: diffDeep(a.machine, b.machine) as EventCounts,
  vmm: diffDeep(a.vmm, b.vmm) as VmmEvents,
});

const diffDeep = (a: unknown, b: unknown): unknown => {
  if (typeof b === 'number') return b - (typeof a === 'number' ? a : 0);
  if (Array.isArray(b)) return b.map((v, i) => diffDeep((a as unknown[] | undefined)?.[i], v));
  if (b !== null && typeof b === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) out[k] = diffDeep((a as Record<string, unknown> | undefined)?.[k], v);
    return out;
  }
  return b;
};
