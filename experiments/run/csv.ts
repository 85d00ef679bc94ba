/**
 * CSV export of run results: one row per run, the main fields flattened.
 * @category Results
 */
import { cycleCauses } from '../../strategies/cost-model';
import type { RunResult } from './result';

const quote = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Render results as CSV with a header row. */
export const toCsv = (results: readonly RunResult[]): string => {
  const header = [
    'strategy',
    'options',
    'workload',
    'params',
    'profile',
    'isa',
    'stop',
    'equivalent',
    'slowdown',
    'cycles_total',
    'cycles_region',
    'cycles_per_operation',
    'instructions',
    ...cycleCauses().map((c) => `region_${c.replace(/[^a-z0-9]+/gi, '_')}`),
    'traps',
    'exits',
    'hypercalls',
    'wall_ms',
  ];
  const rows = results.map((r) => [
    r.strategy,
    r.options,
    r.workload,
    r.params,
    r.profile,
    r.isa,
    r.stop.kind,
    r.equivalent,
    r.slowdown,
    r.cycles.total,
    r.cycles.region,
    r.cycles.perOperation,
    r.guest.instructions,
    ...cycleCauses().map((c) => r.cycles.regionBreakdown[c] ?? 0),
    r.events.traps.total,
    r.events.exits.total,
    r.events.hypercalls.total,
    r.host.wallMs,
  ]);
  return [header, ...rows].map((row) => row.map(quote).join(',')).join('\n') + '\n';
};
