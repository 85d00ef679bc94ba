/**
 * The charts of an experiment, built from its result rows: each chart kind is one builder
 * in a record (slowdown, cycle breakdown, exits by reason, hypercalls by operation,
 * translation-cache behaviour, a swept parameter on the x axis, CPU generations). The
 * colour maps are made once from all rows, so a configuration looks the same in every chart.
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import { cycleCauses } from '../../strategies/cost-model';
import type { ResultRow } from '../experiment/result-codec';
import { PROFILE_NAMES } from '../../core/cost/profile';
import { categoryColours, causeColours, configColours, type ColourMap } from './colours';
import { breakdownChart, generationsChart, slowdownChart, stackedCountChart, sweepChart } from './specs';

/** Chart kinds. */
export type ChartName = 'slowdown' | 'breakdown' | 'exits' | 'exitsPerOperation' | 'hypercalls' | 'translation' | 'sweep' | 'generations' | 'vcpus';

/** Options for the sweep chart. */
export interface SweepSettings {
  /** dotted path into a result row: params.n, options.cache, machine.tlbEntries ... */
  readonly x?: string;
  readonly y?: 'slowdown' | 'perOperation' | 'regionSeconds';
}

/** What every chart of one experiment shares. */
interface Shared {
  readonly sweep: SweepSettings;
  /** configuration label -> colour, for every configuration of the experiment */
  readonly configs: ColourMap;
  readonly causes: ColourMap;
  readonly configOf: (r: ResultRow) => string;
}

/** Drop repetitions (the simulation is deterministic): keep the first of each. */
const firstRepetition = (rows: readonly ResultRow[]) => rows.filter((r) => r.repetition === 0);

const pick = (row: ResultRow, dotted: string): unknown => dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], row);

/** The configuration label of rows (with the profile when several profiles ran), and its colour map. */
export const configColourMap = (rows: readonly ResultRow[]): { configOf: (r: ResultRow) => string; colours: ColourMap } => {
  const profiles = new Set(rows.map((r) => r.profile)).size;
  const configOf = (r: ResultRow): string => (profiles > 1 ? `${r.label} @ ${r.profile}` : r.label);
  return { configOf, colours: configColours(rows.map((r) => ({ config: configOf(r), strategy: r.strategy }))) };
};

/** Colours of cycle causes: from the model's full list, so a cause has the same colour in every experiment. */
export const CAUSE_COLOURS = causeColours(cycleCauses());

/** A configuration label without one option: `bt (cache=4096, chaining=off)` less cache is `bt (chaining=off)`, `bt (cache=4096)` is `bt`. */
export const withoutOption = (label: string, option: string): string => {
  const escaped = option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return label
    .replace(new RegExp(`(\\(|, )${escaped}=[^,)]+`), (_m, before: string) => (before === '(' ? '(' : ''))
    .replace(/\(, /, '(')
    .replace(/ \(\)$/, '');
};

/** Counts by category, one chart row per configuration, workload and category. */
const counts = (rows: readonly ResultRow[], s: Shared, by: (r: ResultRow) => Readonly<Record<string, unknown>>) =>
  firstRepetition(rows).flatMap((r) => Object.entries(by(r)).map(([category, count]) => ({ workload: r.workload, config: s.configOf(r), category, count: Number(count) })));

/** Builders, one per chart kind; null when the results hold nothing to show. */
export const CHART_BUILDERS: Record<ChartName, (rows: readonly ResultRow[], s: Shared) => TopLevelSpec | null> = {
  slowdown: (rows, s) => {
    const data = firstRepetition(rows)
      .filter((r) => r.slowdown !== null && r.strategy !== 'native')
      .map((r) => ({ workload: r.workload, config: s.configOf(r), slowdown: r.slowdown! }));
    return data.length ? slowdownChart(data, { title: 'Slowdown against native (measured regions)', colours: s.configs }) : null;
  },
  generations: (rows, s) => {
    const data = firstRepetition(rows)
      .filter((r) => r.slowdown !== null && r.strategy !== 'native')
      .map((r) => ({ workload: r.workload, config: r.label, profile: r.profile, slowdown: r.slowdown! }));
    const present = new Set(data.map((d) => d.profile));
    const order = [...PROFILE_NAMES.filter((p) => present.has(p)), ...[...present].filter((p) => !(PROFILE_NAMES as readonly string[]).includes(p))];
    // one line per configuration across profiles: coloured by label, not by label @ profile
    const colours = configColours(rows.map((r) => ({ config: r.label, strategy: r.strategy })));
    return data.length ? generationsChart(data, { profiles: order, title: 'Slowdown against native across CPU generations', colours }) : null;
  },
  breakdown: (rows, s) => {
    const data = firstRepetition(rows).flatMap((r) =>
      cycleCauses().filter((c) => (r.cycles.regionBreakdown[c] ?? 0) > 0).map((cause) => ({
        workload: r.workload,
        config: s.configOf(r),
        cause,
        cycles: (r.cycles.regionBreakdown[cause] ?? 0) / Math.max(1, r.params.n ?? 1),
      })),
    );
    return data.length ? breakdownChart(data, { title: 'Where the cycles go: cycles per operation by cause', causes: s.causes, configs: s.configs.domain }) : null;
  },
  exits: (rows, s) => {
    const data = counts(rows, s, (r) => r.events.exits.by);
    return data.length
      ? stackedCountChart(data, { title: 'VM exits by reason', xTitle: 'exits (whole run)', categoryTitle: 'exit reason', categories: categoryColours(data.map((d) => d.category)), configs: s.configs.domain })
      : null;
  },
  exitsPerOperation: (rows, s) => {
    // exits of the measured operations only would need region counters: the whole run's exits over n (boot adds a few tens)
    const data = counts(rows, s, (r) => Object.fromEntries(Object.entries(r.events.exits.by).map(([k, n]) => [k, n / Math.max(1, r.params.n ?? 1)])));
    return data.length
      ? stackedCountChart(data, { title: 'VM exits per operation by reason', xTitle: 'exits per operation (whole run / n)', categoryTitle: 'exit reason', categories: categoryColours(data.map((d) => d.category)), configs: s.configs.domain })
      : null;
  },
  hypercalls: (rows, s) => {
    const data = counts(rows, s, (r) => r.events.hypercalls.by);
    return data.length
      ? stackedCountChart(data, { title: 'Hypercalls by operation', xTitle: 'hypercalls (whole run)', categoryTitle: 'operation', categories: categoryColours(data.map((d) => d.category)), configs: s.configs.domain })
      : null;
  },
  translation: (rows, s) => {
    const keys = ['cacheHits', 'cacheMisses', 'flushes', 'invalidations', 'chainedExits', 'units'];
    const data = counts(
      rows.filter((r) => r.events.translation.total > 0),
      s,
      (r) => Object.fromEntries(keys.map((k) => [k, r.events.translation.by[k] ?? 0])),
    );
    return data.length
      ? stackedCountChart(data, { title: 'Translation cache behaviour', xTitle: 'events (whole run)', categoryTitle: 'translation event', categories: categoryColours(keys), configs: s.configs.domain })
      : null;
  },
  sweep: (rows, s) => {
    const x = s.sweep.x ?? 'params.n';
    const y = s.sweep.y ?? 'slowdown';
    const strip = (label: string) => (x.startsWith('options.') ? withoutOption(label, x.slice(8)) : label);
    const many = new Set(rows.map((q) => q.profile)).size > 1;
    // the label without the swept option, so one line per configuration
    const configOf = (r: ResultRow) => `${strip(r.label)}${many ? ` @ ${r.profile}` : ''}`;
    const data = firstRepetition(rows)
      .filter((r) => r.strategy !== 'native' || y !== 'slowdown')
      .map((r) => {
        const yv = y === 'slowdown' ? r.slowdown : y === 'perOperation' ? r.cycles.perOperation : r.regionSeconds;
        return { workload: r.workload, config: configOf(r), x: Number(pick(r, x)), y: yv ?? NaN };
      })
      .filter((d) => Number.isFinite(d.x) && Number.isFinite(d.y) && d.x > 0);
    const colours = configColours(rows.map((r) => ({ config: configOf(r), strategy: r.strategy })));
    const yTitle = { slowdown: 'slowdown vs native', perOperation: 'cycles per operation', regionSeconds: 'modelled seconds (region)' }[y];
    return data.length ? sweepChart(data, { title: `${yTitle} as ${x} varies`, xTitle: x, yTitle, logY: y !== 'regionSeconds', slowdown: y === 'slowdown', colours }) : null;
  },
  vcpus: (rows, s) => {
    // slowdown against native with as many vCPUs, by vCPU count (multiprocessor experiments)
    const data = firstRepetition(rows)
      .filter((r) => r.strategy !== 'native' && r.slowdown !== null)
      .map((r) => ({ workload: r.workload, config: r.label, x: r.vcpus ?? 1, y: r.slowdown! }));
    const colours = configColours(rows.map((r) => ({ config: r.label, strategy: r.strategy })));
    return data.length
      ? sweepChart(data, { title: 'Slowdown against native with as many vCPUs', xTitle: 'vCPUs', yTitle: 'slowdown vs native', logY: true, slowdown: true, colours })
      : null;
  },
};

/** The chart specs an experiment asked for (default: slowdown and breakdown), skipping empty ones. */
export const experimentCharts = (rows: readonly ResultRow[], names: readonly ChartName[], sweep: SweepSettings): { name: ChartName; spec: TopLevelSpec }[] => {
  const { configOf, colours } = configColourMap(rows);
  const shared: Shared = { sweep, configs: colours, causes: CAUSE_COLOURS, configOf };
  return names.flatMap((name) => {
    const spec = CHART_BUILDERS[name](rows, shared);
    return spec ? [{ name, spec }] : [];
  });
};
