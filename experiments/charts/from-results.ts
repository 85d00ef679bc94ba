/**
 * The charts of an experiment, built from its result rows: each chart kind is one builder
 * in a record (slowdown, cycle breakdown, exits by reason, hypercalls by operation,
 * translation-cache behaviour, a swept parameter on the x axis).
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import { cycleCauses } from '../../strategies/cost-model';
import type { ResultRow } from '../experiment/result-codec';
import { PROFILE_NAMES } from '../../core/cost/profile';
import { breakdownChart, generationsChart, slowdownChart, stackedCountChart, sweepChart } from './specs';

/** Chart kinds. */
export type ChartName = 'slowdown' | 'breakdown' | 'exits' | 'hypercalls' | 'translation' | 'sweep' | 'generations';

/** Options for the sweep chart. */
export interface SweepSettings {
  /** dotted path into a result row: params.n, options.cache, machine.tlbEntries ... */
  readonly x?: string;
  readonly y?: 'slowdown' | 'perOperation' | 'regionSeconds';
}

const configOf = (r: ResultRow, profiles: number): string => (profiles > 1 ? `${r.label} @ ${r.profile}` : r.label);

/** Drop repetitions (the simulation is deterministic): keep the first of each. */
const firstRepetition = (rows: readonly ResultRow[]) => rows.filter((r) => r.repetition === 0);

const pick = (row: ResultRow, dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], row);

/** Builders, one per chart kind; null when the results hold nothing to show. */
export const CHART_BUILDERS: Record<ChartName, (rows: readonly ResultRow[], sweep: SweepSettings) => TopLevelSpec | null> = {
  slowdown: (rows) => {
    const profiles = new Set(rows.map((r) => r.profile)).size;
    const data = firstRepetition(rows)
      .filter((r) => r.slowdown !== null && r.strategy !== 'native')
      .map((r) => ({ workload: r.workload, config: configOf(r, profiles), slowdown: r.slowdown! }));
    return data.length ? slowdownChart(data, 'Slowdown against native (measured regions)') : null;
  },
  generations: (rows) => {
    const data = firstRepetition(rows)
      .filter((r) => r.slowdown !== null && r.strategy !== 'native')
      .map((r) => ({ workload: r.workload, config: r.label, profile: r.profile, slowdown: r.slowdown! }));
    const present = new Set(data.map((d) => d.profile));
    const order = [...PROFILE_NAMES.filter((p) => present.has(p)), ...[...present].filter((p) => !(PROFILE_NAMES as readonly string[]).includes(p))];
    return data.length ? generationsChart(data, order, 'Slowdown against native across CPU generations') : null;
  },
  breakdown: (rows) => {
    const profiles = new Set(rows.map((r) => r.profile)).size;
    const data = firstRepetition(rows).flatMap((r) =>
      cycleCauses().filter((c) => (r.cycles.regionBreakdown[c] ?? 0) > 0).map((cause) => ({
        workload: r.workload,
        config: configOf(r, profiles),
        cause,
        cycles: (r.cycles.regionBreakdown[cause] ?? 0) / Math.max(1, r.params.n ?? 1),
      })),
    );
    return data.length ? breakdownChart(data, 'Where the cycles go: cycles per operation by cause') : null;
  },
  exits: (rows) => {
    const profiles = new Set(rows.map((r) => r.profile)).size;
    const data = firstRepetition(rows).flatMap((r) =>
      Object.entries(r.events.exits.by).map(([category, count]) => ({ workload: r.workload, config: configOf(r, profiles), category, count })),
    );
    return data.length ? stackedCountChart(data, { title: 'VM exits by reason', yTitle: 'exits (whole run)', categoryTitle: 'exit reason' }) : null;
  },
  hypercalls: (rows) => {
    const profiles = new Set(rows.map((r) => r.profile)).size;
    const data = firstRepetition(rows).flatMap((r) =>
      Object.entries(r.events.hypercalls.by).map(([category, count]) => ({ workload: r.workload, config: configOf(r, profiles), category, count })),
    );
    return data.length ? stackedCountChart(data, { title: 'Hypercalls by operation', yTitle: 'hypercalls (whole run)', categoryTitle: 'operation' }) : null;
  },
  translation: (rows) => {
    const profiles = new Set(rows.map((r) => r.profile)).size;
    const keys = ['cacheHits', 'cacheMisses', 'flushes', 'invalidations', 'chainedExits', 'units'];
    const data = firstRepetition(rows)
      .filter((r) => r.events.translation.total > 0)
      .flatMap((r) => keys.map((k) => ({ workload: r.workload, config: configOf(r, profiles), category: k, count: Number(r.events.translation.by[k] ?? 0) })));
    return data.length ? stackedCountChart(data, { title: 'Translation cache behaviour', yTitle: 'events (whole run)', categoryTitle: 'translation event' }) : null;
  },
  sweep: (rows, s) => {
    const x = s.x ?? 'params.n';
    const y = s.y ?? 'slowdown';
    const data = firstRepetition(rows)
      .filter((r) => r.strategy !== 'native' || y !== 'slowdown')
      .map((r) => {
        const xv = Number(pick(r, x));
        const yv = y === 'slowdown' ? r.slowdown : y === 'perOperation' ? r.cycles.perOperation : r.regionSeconds;
        // the label without the swept option, so one line per configuration
        const name = x.startsWith('options.') ? r.label.replace(new RegExp(`,? ?${x.slice(8)}=[^,)]+`), '').replace(/ \(\)$/, '') : r.label;
        return { workload: r.workload, config: `${name}${new Set(rows.map((q) => q.profile)).size > 1 ? ` @ ${r.profile}` : ''}`, x: xv, y: yv ?? NaN };
      })
      .filter((d) => Number.isFinite(d.x) && Number.isFinite(d.y) && d.x > 0);
    const yTitle = { slowdown: 'slowdown vs native', perOperation: 'cycles per operation', regionSeconds: 'modelled seconds (region)' }[y];
    return data.length ? sweepChart(data, { title: `${yTitle} as ${x} varies`, xTitle: x, yTitle, logY: y !== 'regionSeconds' }) : null;
  },
};

/** The chart specs an experiment asked for (default: slowdown and breakdown), skipping empty ones. */
export const experimentCharts = (rows: readonly ResultRow[], names: readonly ChartName[], sweep: SweepSettings): { name: ChartName; spec: TopLevelSpec }[] =>
  names.flatMap((name) => {
    const spec = CHART_BUILDERS[name](rows, sweep);
    return spec ? [{ name, spec }] : [];
  });
