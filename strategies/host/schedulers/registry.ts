/**
 * The host schedulers by name (one file per policy, same interface).
 * @category Host
 */
import type { Scheduler } from '../scheduler';
import { cfsScheduler } from './cfs';
import { creditScheduler } from './credit';
import { esxScheduler, type Coscheduling } from './esx';

/** Settings every scheduler reads (each takes what applies to it). */
export interface SchedulerSettings {
  /** time slice, ms (esx, credit) */
  readonly quantumMs?: number;
  /** accounting period, ms (credit) */
  readonly accountingMs?: number;
  /** target latency before scaling by CPUs, ms (cfs) */
  readonly latencyMs?: number;
  /** minimum granularity, ms (cfs) */
  readonly minGranularityMs?: number;
  /** wake-up granularity before scaling by CPUs, ms (cfs) */
  readonly wakeupGranularityMs?: number;
  /** least run time before a BOOSTed world preempts, ms (credit) */
  readonly ratelimitMs?: number;
  /** co-scheduling of multiprocessor VMs (esx) */
  readonly coscheduling?: Coscheduling;
  /** skew past which vCPUs co-stop, ms (esx) */
  readonly costopMs?: number;
}

/** Scheduler constructors by name. */
export const SCHEDULERS = {
  esx: (s: SchedulerSettings): Scheduler => esxScheduler({ quantumMs: s.quantumMs, coscheduling: s.coscheduling, costopMs: s.costopMs }),
  credit: (s: SchedulerSettings): Scheduler => creditScheduler({ quantumMs: s.quantumMs, accountingMs: s.accountingMs, ratelimitMs: s.ratelimitMs }),
  cfs: (s: SchedulerSettings): Scheduler => cfsScheduler({ latencyMs: s.latencyMs, minGranularityMs: s.minGranularityMs, wakeupGranularityMs: s.wakeupGranularityMs }),
} as const satisfies Record<string, (s: SchedulerSettings) => Scheduler>;

/** A scheduler's name. */
export type SchedulerName = keyof typeof SCHEDULERS;
