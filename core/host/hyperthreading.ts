/**
 * Hyperthreading: two threads of one core share its execution units. A thread whose
 * sibling is busy progresses at a fraction of a lone thread's speed; esxtop charges it less.
 * @category Host
 */

/**
 * Throughput of a thread whose sibling is busy, relative to the thread alone on its core:
 * each thread of a busy core delivers roughly 55-65 % of a lone thread, 10-30 % more per core
 * in all (Broadcom KB 326271; Intel's 15-30 % for about 5 % die area). The middle, 0.6 (a
 * busy core then does 1.2x the work of one thread), is the default.
 */
export const DEFAULT_HT_FRACTION = 0.6;

/**
 * Share of run time charged (esxtop `%USED`, `PCPU USED`) to a thread whose sibling was busy:
 * "two threads running fully: 50 %" each, one thread alone 100 % (S. Drummonds, "Processor
 * Utilization Calculations", vPivot, April 2010, on ESX 4's esxtop).
 */
export const DEFAULT_HT_CHARGE = 0.5;

/** The hyperthreading model of a host. */
export interface Hyperthreading {
  /** speed of a thread whose sibling is busy, relative to alone (0 < f <= 1) */
  readonly fraction: number;
  /** the share of time charged to a thread whose sibling was busy (0 < c <= 1) */
  readonly charge: number;
}

/** The default model. */
export const DEFAULT_HYPERTHREADING: Hyperthreading = { fraction: DEFAULT_HT_FRACTION, charge: DEFAULT_HT_CHARGE };

/** Relative speed of a thread given whether a sibling thread is busy. */
export const threadSpeed = (ht: Hyperthreading, siblingBusy: boolean): number => (siblingBusy ? ht.fraction : 1);

/** Share of its run time charged to a thread given whether a sibling thread was busy. */
export const threadCharge = (ht: Hyperthreading, siblingBusy: boolean): number => (siblingBusy ? ht.charge : 1);
