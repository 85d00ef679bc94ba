/**
 * The VMM counters of a run in a nested shape the strategy tests assert on (traps by cause,
 * translation.units, shadowPaging.hiddenFaults ...), read from the CPU's ledger. Counters a
 * strategy does not declare read as zero.
 */
import type { Breakdown } from '../../core/cost/ledger';
import type { Cpu } from '../../core/cpu/cpu';

const TRANSLATION = ['units', 'guestInstructions', 'guestBytes', 'translatedBytes', 'cacheLookups', 'cacheHits', 'cacheMisses', 'flushes', 'invalidations', 'chainedExits'] as const;
const SHADOW = ['hiddenFaults', 'guestFaults', 'traceFaults', 'updates', 'rootSwitches', 'cacheHits', 'cacheMisses', 'unshadowed'] as const;

/** VMM counters by kind. */
export interface VmmCounts {
  traps: Breakdown;
  emulations: Breakdown;
  injections: Breakdown;
  hypercalls: Breakdown;
  hypercallUpdates: number;
  validationFailures: number;
  upcalls: number;
  directSyscalls: number;
  callouts: Breakdown;
  translation: Record<(typeof TRANSLATION)[number] | 'translatedInstructions' | 'directInstructions', number>;
  shadowPaging: Record<(typeof SHADOW)[number], number>;
}

/** The VMM counts of `m` so far. */
export const vmmCountsOf = (m: Cpu): VmmCounts => {
  const c = m.snapshot().counts;
  const n = (k: string): number => (typeof c[k] === 'number' ? (c[k] as number) : 0);
  const b = (k: string): Breakdown => (typeof c[k] === 'object' ? (c[k] as Breakdown) : {});
  const rings = b('instructions');
  return {
    traps: b('traps'),
    emulations: b('emulations'),
    injections: b('injections'),
    hypercalls: b('hypercalls'),
    hypercallUpdates: n('hypercalls.updates'),
    validationFailures: n('hypercalls.validationFailures'),
    upcalls: n('upcalls'),
    directSyscalls: n('directSyscalls'),
    callouts: b('callouts'),
    translation: {
      ...(Object.fromEntries(TRANSLATION.map((k) => [k, n(`translation.${k}`)])) as Record<(typeof TRANSLATION)[number], number>),
      translatedInstructions: rings[1] ?? 0,
      directInstructions: rings[3] ?? 0,
    },
    shadowPaging: Object.fromEntries(SHADOW.map((k) => [k, n(`shadowPaging.${k}`)])) as Record<(typeof SHADOW)[number], number>,
  };
};
