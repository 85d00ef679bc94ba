/**
 * The cost model's rules, collected: the machine's counters and those of every registered
 * (and loaded) strategy. Charts, tables and the audit read the causes and cost keys here.
 * @category Strategies
 */
import { causesOf, costKeysOf, joinTables, type CounterTable } from '../core/cost/counters';
import { MACHINE_COUNTERS } from '../core/events/events';
import { HOST_COUNTERS } from '../core/host/counters';
import { allStrategies } from './modules';

/** Every counter table: the machine's, then each strategy's in registry order. */
export const allCounterTables = (): CounterTable[] => [MACHINE_COUNTERS, HOST_COUNTERS, ...allStrategies().flatMap((s) => s.counters)];

/** Every declared counter (one declaration per name). */
export const allCounters = (): CounterTable => joinTables(allCounterTables());

/** Causes of the cycle breakdown, in a fixed order: the machine's, then the strategies'. */
export const cycleCauses = (): string[] => causesOf(allCounters());

/** Every cost key some counter is priced by. */
export const allCostKeys = (): string[] => costKeysOf(allCounters());
