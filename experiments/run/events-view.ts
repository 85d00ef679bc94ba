/**
 * The `events` object of a run result: one entry per kind, each with a total and a
 * breakdown, built from the counts of a ledger snapshot. Counters a strategy does not
 * declare read as zero, so every result has the same shape.
 * @category Results
 */
import { totalOf, type Breakdown, type Counts } from '../../core/cost/ledger';
import { expansionRatio } from '../../strategies/binary-translation/binary-translation';
import type { RunEventsView, Tally } from './result';

const num = (c: Counts, name: string): number => {
  const v = c[name];
  return typeof v === 'number' ? v : 0;
};
const by = (c: Counts, name: string): Breakdown => {
  const v = c[name];
  return typeof v === 'object' ? { ...v } : {};
};
const tally = (b: Breakdown): Tally => ({ total: totalOf(b), by: b });
const hexKeys = (b: Breakdown): Breakdown => Object.fromEntries(Object.entries(b).map(([k, v]) => [`0x${Number(k).toString(16)}`, v]));
/** The named counters under a prefix, as one record (e.g. `translation.units` -> `units`). */
const group = (c: Counts, prefix: string, names: readonly string[]): Record<string, number> =>
  Object.fromEntries(names.map((n) => [n, num(c, `${prefix}.${n}`)]));

const TRANSLATION = ['units', 'guestInstructions', 'guestBytes', 'translatedBytes', 'cacheLookups', 'cacheHits', 'cacheMisses', 'flushes', 'invalidations', 'chainedExits'] as const;
const SHADOW = ['hiddenFaults', 'guestFaults', 'traceFaults', 'updates', 'rootSwitches', 'cacheHits', 'cacheMisses', 'unshadowed'] as const;

/** Hybrid's clusters: how often one ran, how many formed and how long, and the exits they avoided by instruction. */
const clustersView = (c: Counts): Tally => {
  const formed = num(c, 'hybrid.clusters');
  const avoided = by(c, 'hybrid.exitsAvoided');
  return {
    total: num(c, 'hybrid.clusterRuns'),
    by: {
      runs: num(c, 'hybrid.clusterRuns'),
      formed,
      meanLength: formed > 0 ? num(c, 'hybrid.clusterInstructions') / formed : 0,
      exitingPerCluster: formed > 0 ? num(c, 'hybrid.clusterExits') / formed : 0,
      exitsAvoided: Object.values(avoided).reduce((a, n) => a + n, 0),
      ...Object.fromEntries(Object.entries(avoided).map(([k, n]) => [`avoided ${k}`, n])),
    },
  };
};

/** Build the per-kind view of a run's counts. */
export const eventsView = (c: Counts): RunEventsView => {
  const t = group(c, 'translation', TRANSLATION);
  const s = group(c, 'shadowPaging', SHADOW);
  const rings = by(c, 'instructions');
  // translated code runs at ring 1, guest user code by direct execution at ring 3
  const translating = 'translation.units' in c;
  const hypercalls = by(c, 'hypercalls');
  const updates = num(c, 'hypercalls.updates');
  const io = (b: Breakdown, dir: string) => Object.entries(hexKeys(b)).map(([k, n]) => [`${dir} ${k}`, n]);
  return {
    traps: tally(by(c, 'traps')),
    exits: tally(by(c, 'vm.exits')),
    hypercalls: {
      ...tally(hypercalls),
      updates,
      validationFailures: num(c, 'hypercalls.validationFailures'),
      /** page-table updates per mmu_update hypercall (batching) */
      updatesPerMmuUpdate: (hypercalls.mmu_update ?? 0) > 0 ? updates / hypercalls.mmu_update : 0,
    },
    callouts: tally(by(c, 'callouts')),
    emulations: tally(by(c, 'emulations')),
    injections: tally(by(c, 'injections')),
    translation: {
      total: t.units,
      by: {
        ...t,
        translatedInstructions: translating ? (rings[1] ?? 0) : 0,
        directInstructions: translating ? (rings[3] ?? 0) : 0,
        expansionRatio: expansionRatio(t),
      },
    },
    shadowPaging: { total: s.hiddenFaults + s.traceFaults, by: s },
    tlb: {
      total: num(c, 'tlb.hits') + num(c, 'tlb.misses'),
      by: group(c, 'tlb', ['hits', 'misses', 'walkReferences', 'flushes', 'invlpg']),
    },
    io: {
      total: totalOf(c['io.in']) + totalOf(c['io.out']) + totalOf(c['io.emulated']) + totalOf(c['io.backend']),
      by: {
        ...Object.fromEntries(io(by(c, 'io.in'), 'in')),
        ...Object.fromEntries(io(by(c, 'io.out'), 'out')),
        ...Object.fromEntries(Object.entries(by(c, 'io.emulated')).map(([k, n]) => [`emulated ${k.replace(/\d+$/, (d) => `0x${Number(d).toString(16)}`)}`, n])),
        ...Object.fromEntries(io(by(c, 'io.backend'), 'backend')),
      },
    },
    interrupts: tally(hexKeys(by(c, 'interrupts'))),
    exceptions: tally(by(c, 'exceptions')),
    systemCalls: tally({ ...hexKeys(by(c, 'softwareInterrupts')), ...(num(c, 'sysenters') > 0 ? { sysenter: num(c, 'sysenters') } : {}) }),
    upcalls: { total: num(c, 'upcalls'), by: { upcalls: num(c, 'upcalls') } },
    directSyscalls: { total: num(c, 'directSyscalls'), by: { int0x80: num(c, 'directSyscalls') } },
    ipis: {
      total: totalOf(c['ipis.sent']),
      by: {
        ...Object.fromEntries(Object.entries(by(c, 'ipis.sent')).map(([k, n]) => [`sent line ${k}`, n])),
        received: totalOf(c['ipis.received']),
      },
    },
    spinWait: {
      total: num(c, 'spin.pauses') + (by(c, 'vm.exits').pause ?? 0),
      by: { pauses: num(c, 'spin.pauses'), pauseLoopExits: by(c, 'vm.exits').pause ?? 0 },
    },
    remoteFlushes: { total: num(c, 'remoteFlushes'), by: { flushes: num(c, 'remoteFlushes') } },
    clusters: clustersView(c),
  };
};

/** Instructions retired by ring (0-3) in a run's counts. */
export const instructionsByRing = (c: Counts): number[] => {
  const r = by(c, 'instructions');
  return [0, 1, 2, 3].map((k) => r[k] ?? 0);
};
