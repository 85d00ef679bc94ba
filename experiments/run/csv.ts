/**
 * CSV export of run results: one row per run, the main fields flattened, each with its
 * provenance (spec hash, commit, modified checkout, ringlab version) so a row copied out of
 * the file still says where it came from.
 * @category Results
 */
import { cycleCauses } from '../../strategies/cost-model';
import type { RunProvenance } from '../common/provenance';
import type { RunResult } from './result';

/** A result as the CSV takes it: a run, its configuration's label and its provenance. */
export type CsvRow = RunResult & RunProvenance & { readonly label: string };

const quote = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Render results as CSV with a header row. */
export const toCsv = (results: readonly CsvRow[]): string => {
  const header = [
    'spec_hash',
    'commit',
    'modified',
    'ringlab_version',
    'label',
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
    r.specHash,
    r.commit,
    r.modified,
    r.ringlabVersion,
    r.label,
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
