/**
 * vega-lite chart specs built from run results.
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../run/result';

const FONT = { font: 'DejaVu Sans', labelFontSize: 12, titleFontSize: 13 };
const LEGEND = { ...FONT, labelLimit: 420, orient: 'bottom' as const, columns: 1 };

/** A label for a strategy configuration (strategy plus non-default options). */
export const configLabel = (r: Pick<RunResult, 'strategy' | 'options' | 'profile'>, defaults: Record<string, string | number> = {}): string => {
  const opts = Object.entries(r.options)
    .filter(([k, v]) => defaults[k] !== v)
    .map(([k, v]) => `${k}=${v}`);
  return opts.length ? `${r.strategy} (${opts.join(', ')})` : r.strategy;
};

/** Slowdown against native per workload, grouped by strategy, on a log axis. */
export const slowdownChart = (rows: readonly { workload: string; config: string; slowdown: number }[], title: string): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: { text: title, fontSize: 15 },
  data: { values: rows.map((r) => ({ ...r })) },
  width: { step: 14 },
  height: 260,
  mark: { type: 'bar', tooltip: true },
  encoding: {
    x: { field: 'workload', type: 'nominal', title: null, axis: { labelAngle: -30 }, sort: [...new Set(rows.map((r) => r.workload))] },
    xOffset: { field: 'config', type: 'nominal' },
    y: { field: 'slowdown', type: 'quantitative', title: 'slowdown vs native (measured region, log scale)', scale: { type: 'log' }, stack: null },
    color: { field: 'config', type: 'nominal', title: 'strategy' },
  },
  config: { axis: FONT, legend: LEGEND },
});

/** The inner spec of a faceted chart. */
type Panel = Extract<TopLevelSpec, { facet: unknown }>['spec'];

/** One panel per workload (in the rows' order), four to a row, each with its own y scale. */
const perWorkload = (
  rows: readonly { workload: string }[],
  title: string,
  panel: Panel,
  legendLimit: number,
): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: { text: title, fontSize: 15 },
  data: { values: rows.map((r) => ({ ...r })) },
  facet: { field: 'workload', type: 'nominal', title: null, sort: [...new Set(rows.map((r) => r.workload))] },
  columns: 4,
  resolve: { scale: { y: 'independent' } },
  spec: panel,
  config: { axis: FONT, legend: { ...FONT, labelLimit: legendLimit }, header: { labelFontSize: 13 } },
});

/** The x axis of bars per configuration. */
const configAxis = (labelLimit: number) => ({ field: 'config', type: 'nominal', title: null, axis: { labelAngle: -40, labelLimit } }) as const;

/** Where the cycles go: per-operation cycles stacked by cause, one bar per strategy, one panel per workload. */
export const breakdownChart = (rows: readonly { workload: string; config: string; cause: string; cycles: number }[], title: string): TopLevelSpec =>
  perWorkload(rows, title, {
    width: 160,
    height: 150,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: configAxis(140),
      y: { field: 'cycles', type: 'quantitative', title: 'cycles per operation', stack: 'zero' },
      color: { field: 'cause', type: 'nominal', title: 'cause', scale: { scheme: 'tableau20' } },
    },
  }, 300);

/** Counts by category per configuration and workload, stacked (exits by reason, hypercalls by operation ...). */
export const stackedCountChart = (
  rows: readonly { workload: string; config: string; category: string; count: number }[],
  o: { title: string; yTitle: string; categoryTitle: string },
): TopLevelSpec =>
  perWorkload(rows, o.title, {
    width: 160,
    height: 150,
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: configAxis(160),
      y: { field: 'count', type: 'quantitative', title: o.yTitle, stack: 'zero' },
      color: { field: 'category', type: 'nominal', title: o.categoryTitle, scale: { scheme: 'tableau20' } },
    },
  }, 300);

/** A swept quantity on the x axis, one line per configuration, one panel per workload. */
export const sweepChart = (
  rows: readonly { workload: string; config: string; x: number; y: number }[],
  o: { title: string; xTitle: string; yTitle: string; logY: boolean },
): TopLevelSpec =>
  perWorkload(rows, o.title, {
    width: 180,
    height: 140,
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: { type: 'log', base: 2 } },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, ...(o.logY ? { scale: { type: 'log' } } : {}) },
      color: { field: 'config', type: 'nominal', title: 'configuration', scale: { scheme: 'tableau10' } },
    },
  }, 400);

/** Slowdown across CPU generations: profiles in order on the x axis, one line per configuration, one panel per workload. */
export const generationsChart = (
  rows: readonly { workload: string; config: string; profile: string; slowdown: number }[],
  profiles: readonly string[],
  title: string,
): TopLevelSpec =>
  perWorkload(rows, title, {
    width: 190,
    height: 150,
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'profile', type: 'ordinal', title: null, sort: [...profiles], axis: { labelAngle: -35 } },
      y: { field: 'slowdown', type: 'quantitative', title: 'slowdown vs native', scale: { type: 'log' } },
      color: { field: 'config', type: 'nominal', title: 'configuration', scale: { scheme: 'tableau10' } },
    },
  }, 400);
