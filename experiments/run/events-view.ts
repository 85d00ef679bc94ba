/**
 * The `events` object of a run result: one entry per kind, each with a total and a
 * breakdown, built from the machine's and the VMM's counters.
 * @category Results
 */
import type { RunEvents } from '../../core/cost/model';
import type { Breakdown } from '../../core/events/events';
import type { RunEventsView, Tally } from './result';

const sum = (b: Breakdown): number => Object.values(b).reduce((a, v) => a + v, 0);
const tally = (by: Breakdown): Tally => ({ total: sum(by), by });
const hexKeys = (b: Breakdown): Breakdown => Object.fromEntries(Object.entries(b).map(([k, v]) => [`0x${Number(k).toString(16)}`, v]));

/** Build the per-kind view of a run's events. */
export const eventsView = (e: RunEvents): RunEventsView => {
  const m = e.machine;
  const v = e.vmm;
  const t = v.translation;
  const s = v.shadowPaging;
  return {
    traps: tally(v.traps),
    exits: tally(m.vm.exits),
    hypercalls: {
      ...tally(v.hypercalls),
      updates: v.hypercallUpdates,
      validationFailures: v.validationFailures,
      /** page-table updates per mmu_update hypercall (batching) */
      updatesPerMmuUpdate: (v.hypercalls.mmu_update ?? 0) > 0 ? v.hypercallUpdates / v.hypercalls.mmu_update : 0,
    },
    callouts: tally(v.callouts),
    emulations: tally(v.emulations),
    injections: tally(v.injections),
    translation: { total: t.units, by: { ...t, expansionRatio: t.guestBytes > 0 ? t.translatedBytes / t.guestBytes : 0 } },
    shadowPaging: { total: s.hiddenFaults + s.traceFaults, by: { ...s } },
    tlb: { total: m.tlb.hits + m.tlb.misses, by: { ...m.tlb } },
    io: {
      total: sum(m.io.in) + sum(m.io.out) + sum(m.io.emulated),
      by: { ...Object.fromEntries(Object.entries(hexKeys(m.io.in)).map(([k, n]) => [`in ${k}`, n])), ...Object.fromEntries(Object.entries(hexKeys(m.io.out)).map(([k, n]) => [`out ${k}`, n])),
        ...Object.fromEntries(Object.entries(m.io.emulated).map(([k, n]) => [`emulated ${k.replace(/\d+$/, (d) => `0x${Number(d).toString(16)}`)}`, n])),
      },
    },
    interrupts: tally(hexKeys(m.interrupts)),
    exceptions: tally(m.exceptions),
    systemCalls: tally(hexKeys(m.softwareInterrupts)),
    upcalls: { total: v.upcalls, by: { upcalls: v.upcalls } },
    directSyscalls: { total: v.directSyscalls, by: { int0x80: v.directSyscalls } },
  };
};
