/**
 * The machine's counters in a nested shape the machine tests assert on (exceptions by
 * vector, tlb.hits ...), read from the CPU's ledger.
 */
import type { Breakdown } from '../../core/cost/ledger';
import type { Cpu } from '../../core/cpu/cpu';

/** Counts of a machine, by kind. */
export interface MachineCounts {
  retiredByRing: number[];
  retiredNonRoot: number;
  exceptions: Breakdown;
  interrupts: Breakdown;
  softwareInterrupts: Breakdown;
  irets: number;
  sysenters: number;
  sysexits: number;
  tlb: { hits: number; misses: number; walkReferences: number; flushes: number; invlpg: number };
  io: { in: Breakdown; out: Breakdown; emulated: Breakdown };
  controlRegisterWrites: Breakdown;
  halts: number;
  vm: { entries: number; exits: Breakdown };
  sensitive: Breakdown;
  monitorTraps: Breakdown;
}

/** The counts of `m` so far. */
export const countsOf = (m: Cpu): MachineCounts => {
  const c = m.snapshot().counts;
  const n = (k: string): number => (typeof c[k] === 'number' ? (c[k] as number) : 0);
  const b = (k: string): Breakdown => (typeof c[k] === 'object' ? (c[k] as Breakdown) : {});
  const rings = b('instructions');
  return {
    retiredByRing: [0, 1, 2, 3].map((r) => rings[r] ?? 0),
    retiredNonRoot: n('instructions.nonRoot'),
    exceptions: b('exceptions'),
    interrupts: b('interrupts'),
    softwareInterrupts: b('softwareInterrupts'),
    irets: n('irets'),
    sysenters: n('sysenters'),
    sysexits: n('sysexits'),
    tlb: { hits: n('tlb.hits'), misses: n('tlb.misses'), walkReferences: n('tlb.walkReferences'), flushes: n('tlb.flushes'), invlpg: n('tlb.invlpg') },
    io: { in: b('io.in'), out: b('io.out'), emulated: b('io.emulated') },
    controlRegisterWrites: b('controlRegisterWrites'),
    halts: n('halts'),
    vm: { entries: n('vm.entries'), exits: b('vm.exits') },
    sensitive: b('sensitive'),
    monitorTraps: b('monitorTraps'),
  };
};
