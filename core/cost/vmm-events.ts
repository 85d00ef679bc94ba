/**
 * Events of the VMM software (traps into a monitor, emulations, hypercalls, translation,
 * shadow paging ...). Strategies count them here; the machine counts architectural events
 * in core/events. Together they are everything the cost model prices.
 * @category Cost
 */
import type { Breakdown } from '../events/events';

/** Counters of the VMM software. Plain data, JSON-serialisable. */
export interface VmmEvents {
  /** traps into a software monitor (trap-and-emulate, binary translation, paravirt), by cause */
  traps: Breakdown;
  /** guest instructions the monitor or exit handlers emulated, by mnemonic */
  emulations: Breakdown;
  /** virtual interrupts and exceptions injected into the guest, by vector */
  injections: Breakdown;
  /** paravirtual hypercalls by operation */
  hypercalls: Breakdown;
  /** page-table updates validated and applied inside hypercalls */
  hypercallUpdates: number;
  /** hypercall arguments refused by validation */
  validationFailures: number;
  /** event upcalls into a paravirtual guest */
  upcalls: number;
  /** system calls delivered straight to the guest kernel, without the hypervisor */
  directSyscalls: number;
  /** callouts from translated code into the monitor, by kind */
  callouts: Breakdown;
  /** binary translation */
  translation: {
    units: number;
    guestInstructions: number;
    /** bytes of guest code translated (translatedBytes / guestBytes is the expansion ratio) */
    guestBytes: number;
    translatedBytes: number;
    cacheLookups: number;
    cacheHits: number;
    cacheMisses: number;
    flushes: number;
    invalidations: number;
    chainedExits: number;
    /** instructions executed inside the translation cache (translated code really run) */
    translatedInstructions: number;
    /** guest instructions run by direct execution */
    directInstructions: number;
  };
  /** shadow page tables */
  shadowPaging: {
    hiddenFaults: number;
    guestFaults: number;
    traceFaults: number;
    updates: number;
    rootSwitches: number;
    cacheHits: number;
    cacheMisses: number;
    /** guest page-table frames no longer traced after many writes without use */
    unshadowed: number;
  };
}

/** Fresh zeroed VMM counters. */
export const emptyVmmEvents = (): VmmEvents => ({
  traps: {},
  emulations: {},
  injections: {},
  hypercalls: {},
  hypercallUpdates: 0,
  validationFailures: 0,
  upcalls: 0,
  directSyscalls: 0,
  callouts: {},
  translation: {
    units: 0,
    guestInstructions: 0,
    guestBytes: 0,
    translatedBytes: 0,
    cacheLookups: 0,
    cacheHits: 0,
    cacheMisses: 0,
    flushes: 0,
    invalidations: 0,
    chainedExits: 0,
    translatedInstructions: 0,
    directInstructions: 0,
  },
  shadowPaging: { hiddenFaults: 0, guestFaults: 0, traceFaults: 0, updates: 0, rootSwitches: 0, cacheHits: 0, cacheMisses: 0, unshadowed: 0 },
});

/** Add one to a breakdown entry. */
export const bump = (b: Breakdown, key: string | number, by = 1): void => {
  b[key] = (b[key] ?? 0) + by;
};
