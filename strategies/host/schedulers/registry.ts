/**
 * The host schedulers by name (one file per policy, same interface).
 * @category Host
 */
import type { Scheduler } from '../scheduler';
import { esxScheduler } from './esx';

/** Settings every scheduler reads (each takes what applies to it). */
export interface SchedulerSettings {
  /** time slice, ms */
  readonly quantumMs?: number;
}

/** Scheduler constructors by name. */
export const SCHEDULERS = {
  esx: (s: SchedulerSettings): Scheduler => esxScheduler(s),
} as const satisfies Record<string, (s: SchedulerSettings) => Scheduler>;

/** A scheduler's name. */
export type SchedulerName = keyof typeof SCHEDULERS;
