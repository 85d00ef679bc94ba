/**
 * vega-lite chart specs built from run results. Every axis has a title, labels are never
 * cut, colours come from explicit maps (see colours.ts) so a configuration has one colour
 * in every chart, and slowdown charts mark native speed (1x) with a rule.
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ColourMap } from './colours';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = { font: 'DejaVu Sans', labelFontSize: 12, titleFontSize: 13 };
/** labelLimit 0: vega never cuts a legend label */
const CONFIG = { axis: FONT, legend: { ...FONT, labelLimit: 0 }, header: { labelFontSize: 13 }, title: { anchor: 'start' as const, offset: 8 } };

/** The colour scale of a map, restricted to the values present (the legend lists only those). */
const scaleOf = (m: ColourMap, present: Iterable<string>) => {
  const has = new Set(present);
  const keep = m.domain.map((d, i) => [d, m.range[i]] as const).filter(([d]) => has.has(d));
  return { domain: keep.map(([d]) => d), range: keep.map(([, c]) => c) };
};

/** The horizontal rule at 1x (native speed) on a slowdown axis. */
const nativeRule = { mark: { type: 'rule' as const, color: '#333', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { y: { datum: 1 } } };

/** Slowdown against native per workload, grouped by configuration, on a log axis with the 1x line. */
export const slowdownChart = (rows: readonly { workload: string; config: string; slowdown: number }[], o: { title: string; colours: ColourMap }): TopLevelSpec => {
  const colour = scaleOf(o.colours, rows.map((r) => r.config));
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: 'log scale; the dashed line is native speed (1x): above it slower, below it faster', fontSize: 15 },
    data: { values: rows.map((r) => ({ ...r })) },
    width: { step: 14 },
    height: 280,
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'workload', type: 'nominal', title: 'workload', axis: { labelAngle: -30 }, sort: [...new Set(rows.map((r) => r.workload))] },
          xOffset: { field: 'config', type: 'nominal', sort: colour.domain },
          y: { field: 'slowdown', type: 'quantitative', title: 'slowdown vs native (log scale)', scale: { type: 'log' }, stack: null },
          color: { field: 'config', type: 'nominal', title: 'configuration', scale: colour, legend: { orient: 'bottom', columns: 2 } },
        },
      },
      nativeRule,
    ],
    config: CONFIG,
  };
};

/** The inner spec of a faceted chart. */
type Panel = Extract<TopLevelSpec, { facet: unknown }>['spec'];

/**
 * One panel per workload (in the rows' order), four to a row. `independent` is the axis
 * whose scale differs by panel; every panel draws its own axis for it, so an empty cell of
 * the grid stays empty.
 */
const perWorkload = (rows: readonly { workload: string }[], title: { text: string; subtitle?: string }, panel: Panel, independent: 'x' | 'y'): TopLevelSpec => ({
  $schema: SCHEMA,
  title: { ...title, fontSize: 15 },
  data: { values: rows.map((r) => ({ ...r })) },
  facet: { field: 'workload', type: 'nominal', title: 'workload', sort: [...new Set(rows.map((r) => r.workload))] },
  columns: 4,
  resolve: independent === 'x' ? { scale: { x: 'independent' } } : { scale: { y: 'independent' }, axis: { x: 'independent' } },
  spec: panel,
  config: CONFIG,
});

/** Horizontal bars per configuration, stacked by category: the configurations' full names label the shared y axis. */
const stackedBars = (
  rows: readonly { workload: string; config: string; category: string; value: number }[],
  o: { title: string; subtitle?: string; xTitle: string; categoryTitle: string; categories: ColourMap; configs: readonly string[] },
): TopLevelSpec => {
  const colour = scaleOf(o.categories, rows.map((r) => r.category));
  const present = new Set(rows.map((r) => r.config));
  const configs = o.configs.filter((c) => present.has(c));
  return perWorkload(
    rows.map((r) => ({ ...r, stackOrder: colour.domain.indexOf(r.category) })),
    { text: o.title, ...(o.subtitle ? { subtitle: o.subtitle } : {}) },
    {
      width: 210,
      // room for the axis title however few bars
      height: Math.max(90, 17 * configs.length),
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'config', type: 'nominal', title: 'configuration', sort: configs, axis: { labelLimit: 0, maxExtent: 1000 } },
        x: { field: 'value', type: 'quantitative', title: o.xTitle, stack: 'zero', axis: { format: '~s', tickCount: 5 } },
        color: { field: 'category', type: 'nominal', title: o.categoryTitle, scale: colour },
        order: { field: 'stackOrder', type: 'quantitative' },
      },
    },
    'x',
  );
};

/** Where the cycles go: per-operation cycles stacked by cause (families of causes in shades of one hue), one bar per configuration, one panel per workload. */
export const breakdownChart = (
  rows: readonly { workload: string; config: string; cause: string; cycles: number }[],
  o: { title: string; causes: ColourMap; configs: readonly string[] },
): TopLevelSpec =>
  stackedBars(
    rows.map((r) => ({ workload: r.workload, config: r.config, category: r.cause, value: r.cycles })),
    { title: o.title, subtitle: 'causes of one family in shades of one colour', xTitle: 'cycles per operation', categoryTitle: 'cause', categories: o.causes, configs: o.configs },
  );

/** Counts by category per configuration and workload, stacked (exits by reason, hypercalls by operation ...). */
export const stackedCountChart = (
  rows: readonly { workload: string; config: string; category: string; count: number }[],
  o: { title: string; xTitle: string; categoryTitle: string; categories: ColourMap; configs: readonly string[] },
): TopLevelSpec => stackedBars(rows.map((r) => ({ workload: r.workload, config: r.config, category: r.category, value: r.count })), o);

/** Lines per configuration over an x quantity, one panel per workload; the 1x rule when y is a slowdown. */
const linesPerWorkload = (
  rows: readonly { workload: string; config: string }[],
  o: { title: string; x: Record<string, unknown>; y: Record<string, unknown>; slowdown: boolean; colours: ColourMap },
): TopLevelSpec => {
  const colour = scaleOf(o.colours, rows.map((r) => r.config));
  const lines = {
    mark: { type: 'line', point: true, tooltip: true },
    encoding: { x: o.x, y: o.y, color: { field: 'config', type: 'nominal', title: 'configuration', scale: colour } },
  };
  return perWorkload(
    rows,
    { text: o.title, ...(o.slowdown ? { subtitle: 'the dashed line is native speed (1x)' } : {}) },
    { width: 190, height: 150, ...(o.slowdown ? { layer: [lines, nativeRule] } : lines) } as Panel,
    'y',
  );
};

/** A swept quantity on the x axis, one line per configuration, one panel per workload. */
export const sweepChart = (
  rows: readonly { workload: string; config: string; x: number; y: number }[],
  o: { title: string; xTitle: string; yTitle: string; logY: boolean; slowdown: boolean; colours: ColourMap },
): TopLevelSpec =>
  linesPerWorkload(rows, {
    title: o.title,
    x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: { type: 'log', base: 2 } },
    y: { field: 'y', type: 'quantitative', title: o.yTitle, ...(o.logY ? { scale: { type: 'log' } } : {}) },
    slowdown: o.slowdown,
    colours: o.colours,
  });

/** Slowdown across CPU generations: profiles in order on the x axis, one line per configuration, one panel per workload. */
export const generationsChart = (
  rows: readonly { workload: string; config: string; profile: string; slowdown: number }[],
  o: { profiles: readonly string[]; title: string; colours: ColourMap },
): TopLevelSpec =>
  linesPerWorkload(rows, {
    title: o.title,
    x: { field: 'profile', type: 'ordinal', title: 'cost profile (CPU generation)', sort: [...o.profiles], axis: { labelAngle: -35 } },
    y: { field: 'slowdown', type: 'quantitative', title: 'slowdown vs native', scale: { type: 'log' } },
    slowdown: true,
    colours: o.colours,
  });
