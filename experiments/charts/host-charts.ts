/**
 * The charts of host runs (`ringlab host --out`, and the host rows of an experiment):
 * who ran on each logical CPU over time, the states of each vCPU stacked (esxtop's %RUN,
 * %RDY with its %MLMTD part, %CSTP, %WAIT), and energy against progress per governor.
 * Each chart kind is one builder in a record; a builder gives null when the rows hold
 * nothing to show.
 * @category Charts
 */
import type { TopLevelSpec } from 'vega-lite';
import type { HostRow } from '../experiment/result-codec';
import type { HostResult } from '../host/run-host';
import type { TimelineStretch } from '../host/timeline';
import { formatNumber, table } from '../common/format';
import { categoryColours, type ColourMap } from './colours';
import { withoutOption } from './from-results';

/** Host chart kinds. */
export type HostChartName = 'hostTimeline' | 'hostStates' | 'hostEnergy';

/** The host chart kinds, in the order they are drawn. */
export const HOST_CHARTS: readonly HostChartName[] = ['hostTimeline', 'hostStates', 'hostEnergy'];

/** Whether a chart name is a host chart's. */
export const isHostChart = (name: string): name is HostChartName => (HOST_CHARTS as readonly string[]).includes(name);

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = { font: 'DejaVu Sans', labelFontSize: 12, titleFontSize: 13 };
const CONFIG = { axis: FONT, legend: { ...FONT, labelLimit: 0 }, header: { labelFontSize: 13, labelLimit: 0 }, title: { anchor: 'start' as const, offset: 8 } };

/** One host run as the charts take it: its label, result and timeline. */
export interface HostChartInput {
  readonly label: string;
  /** runs of one group differ only by governor (the energy chart compares within a group); its name */
  readonly group?: string;
  readonly result: Pick<HostResult, 'vms' | 'energyJoules' | 'governor' | 'seconds'>;
  readonly timeline: readonly TimelineStretch[];
}

/** esxtop's vCPU states as stacked: %RDY split into the part a limit held back (%MLMTD) and the rest; they sum to 100. */
export const VCPU_STATES = ['%RUN', '%RDY (not limited)', '%MLMTD', '%CSTP', '%WAIT'] as const;

/** A colour map as vega-lite's scale type takes it. */
const mutable = (m: ColourMap) => ({ domain: [...m.domain], range: [...m.range] });

const STATE_COLOURS: ColourMap = { domain: [...VCPU_STATES], range: ['#59a14f', '#e15759', '#ff9da7', '#edc948', '#bab0ac'] };

/** A facet by host run when there are several, else the panel alone. */
const perHost = (hosts: readonly string[], title: { text: string; subtitle?: string }, values: readonly object[], panel: Record<string, unknown>): TopLevelSpec =>
  (hosts.length > 1
    ? {
        $schema: SCHEMA,
        title: { ...title, fontSize: 15 },
        data: { values: values.map((v) => ({ ...v })) },
        facet: { row: { field: 'host', type: 'nominal', title: null, sort: [...hosts], header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold' } } },
        resolve: { scale: { y: 'independent', x: 'independent' } },
        spec: panel,
        config: CONFIG,
      }
    : { $schema: SCHEMA, title: { ...title, fontSize: 15 }, data: { values: values.map((v) => ({ ...v })) }, ...panel, config: CONFIG }) as unknown as TopLevelSpec;

/** Who ran where: one lane per logical CPU, a bar per joined stretch, coloured by world; one panel per host run. */
export const hostTimelineChart = (rows: readonly { host: string; lcpu: number; world: string; startMs: number; endMs: number }[]): TopLevelSpec => {
  const hosts = [...new Set(rows.map((r) => r.host))];
  const colours = mutable(categoryColours([...new Set(rows.map((r) => r.world))].sort()));
  const lanes = [...new Set(rows.map((r) => r.lcpu))].sort((a, b) => a - b).map((l) => `PCPU ${l}`);
  return perHost(
    hosts,
    { text: 'Who ran on each logical CPU', subtitle: 'a bar per stretch a vCPU ran (back-to-back stretches joined); gaps are idle time' },
    rows.map((r) => ({ ...r, pcpu: `PCPU ${r.lcpu}` })),
    {
      width: 560,
      height: { step: 22 },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'pcpu', type: 'nominal', title: 'logical CPU', sort: lanes },
        x: { field: 'startMs', type: 'quantitative', title: 'modelled time (ms)' },
        x2: { field: 'endMs' },
        color: { field: 'world', type: 'nominal', title: 'world', scale: colours, legend: { orient: 'bottom', columns: 4 } },
      },
    },
  );
};

/** The stacked states of every vCPU of every VM, in percent of its time on the host; one panel per host run. */
export const hostStatesChart = (rows: readonly { host: string; vcpu: string; state: string; percent: number }[]): TopLevelSpec => {
  const hosts = [...new Set(rows.map((r) => r.host))];
  return perHost(
    hosts,
    { text: 'The states of each vCPU (esxtop)', subtitle: '%RUN + %RDY + %CSTP + %WAIT = 100; %MLMTD is the part of %RDY a limit held back' },
    rows.map((r) => ({ ...r, stackOrder: VCPU_STATES.indexOf(r.state as (typeof VCPU_STATES)[number]) })),
    {
      width: 420,
      height: { step: 18 },
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'vcpu', type: 'nominal', title: 'VM.vCPU', sort: null, axis: { labelLimit: 0 } },
        x: { field: 'percent', type: 'quantitative', title: '% of time on the host', stack: 'zero', scale: { domain: [0, 100] } },
        color: { field: 'state', type: 'nominal', title: 'state', scale: STATE_COLOURS },
        order: { field: 'stackOrder', type: 'quantitative' },
      },
    },
  );
};

/** Energy against progress, a point per host run coloured by governor (the VMs' progress summed); a panel per group of runs that differ only by governor. */
export const hostEnergyChart = (rows: readonly { group: string; host: string; governor: string; energyJoules: number; progress: number }[]): TopLevelSpec =>
  perHost(
    [...new Set(rows.map((r) => r.group))],
    { text: 'Energy against progress per governor', subtitle: "progress: the VMs' workload operations per modelled second, summed; energy: the host's joules over the run" },
    rows.map((r) => ({ ...r, host: r.group, run: r.host })),
    {
  width: 420,
  height: 220,
  layer: [
    {
      mark: { type: 'point', filled: true, size: 90, tooltip: true },
      encoding: {
        x: { field: 'energyJoules', type: 'quantitative', title: 'energy (J)', scale: { zero: false } },
        y: { field: 'progress', type: 'quantitative', title: 'progress (operations per modelled second)', scale: { zero: false } },
        color: { field: 'governor', type: 'nominal', title: 'governor', scale: mutable(categoryColours(rows.map((r) => r.governor))), legend: { orient: 'bottom' } },
      },
    },
    {
      mark: { type: 'text', align: 'left', dx: 7, fontSize: 11 },
      encoding: { x: { field: 'energyJoules', type: 'quantitative' }, y: { field: 'progress', type: 'quantitative' }, text: { field: 'governor' } },
    },
  ],
    },
  );

/** The timeline rows of host runs. */
export const timelineRows = (inputs: readonly HostChartInput[]) => inputs.flatMap((h) => h.timeline.map((s) => ({ host: h.label, ...s })));

/** The stacked-state rows of host runs: five per vCPU, summing to its %RUN + %RDY + %CSTP + %WAIT. */
export const stateRows = (inputs: readonly HostChartInput[]) =>
  inputs.flatMap((h) =>
    h.result.vms.flatMap((vm) =>
      vm.perVcpu.flatMap((c, i) => {
        const values: Record<(typeof VCPU_STATES)[number], number> = {
          '%RUN': c['%RUN'],
          '%RDY (not limited)': Math.max(0, c['%RDY'] - c['%MLMTD']),
          '%MLMTD': Math.min(c['%MLMTD'], c['%RDY']),
          '%CSTP': c['%CSTP'],
          '%WAIT': c['%WAIT'],
        };
        return VCPU_STATES.map((state) => ({ host: h.label, vcpu: `${vm.name}.vcpu${i}`, state, percent: values[state] }));
      }),
    ),
  );

/** Builders, one per host chart kind; null when there is nothing to show. */
export const HOST_CHART_BUILDERS: Record<HostChartName, (inputs: readonly HostChartInput[]) => TopLevelSpec | null> = {
  hostTimeline: (inputs) => {
    const rows = timelineRows(inputs);
    return rows.length ? hostTimelineChart(rows) : null;
  },
  hostStates: (inputs) => {
    const rows = stateRows(inputs);
    return rows.length ? hostStatesChart(rows) : null;
  },
  // a comparison: groups of runs that differ only by governor, two governors at least
  hostEnergy: (inputs) => {
    const governors = new Map<string, Set<string>>();
    for (const h of inputs) if (h.group !== undefined) governors.set(h.group, (governors.get(h.group) ?? new Set()).add(h.result.governor));
    const rows = inputs
      .filter((h) => h.group !== undefined && governors.get(h.group)!.size > 1)
      .map((h) => ({ group: h.group!, host: h.label, governor: h.result.governor, energyJoules: h.result.energyJoules, progress: h.result.vms.reduce((s, v) => s + v.progress, 0) }));
    return rows.length ? hostEnergyChart(rows) : null;
  },
};

/** The group of a host run for the energy chart: its spec without the governor; named by the first run's label without its governor setting. */
const governorGroups = (rows: readonly HostRow[]): ((r: HostRow) => string) => {
  const names = new Map<string, string>();
  const keyOf = (r: HostRow) => JSON.stringify({ ...r.hostSpec, name: null, host: { ...r.hostSpec.host, governor: null } });
  for (const r of rows) if (!names.has(keyOf(r))) names.set(keyOf(r), withoutOption(r.label, 'host.governor'));
  return (r) => names.get(keyOf(r))!;
};

/** Host rows as chart inputs, in experiment order (first repetition only: the simulation is deterministic). */
export const hostInputs = (rows: readonly HostRow[]): HostChartInput[] => {
  const first = rows.filter((r) => r.repetition === 0).sort((a, b) => a.index - b.index);
  const groupOf = governorGroups(first);
  return first.map((r) => ({ label: r.label, group: groupOf(r), result: r, timeline: r.timeline }));
};

/** The host charts asked for (default: all three), skipping empty ones. */
export const hostCharts = (rows: readonly HostRow[], names: readonly HostChartName[] = HOST_CHARTS): { name: HostChartName; spec: TopLevelSpec }[] => {
  const inputs = hostInputs(rows);
  return names.flatMap((name) => {
    const spec = HOST_CHART_BUILDERS[name](inputs);
    return spec ? [{ name, spec }] : [];
  });
};

/** A table of host rows: per host run and VM, progress, slowdown and its vCPUs' mean %RDY and %CSTP, with the host's energy. */
export const hostSummary = (rows: readonly HostRow[]): string => {
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const body = rows
    .filter((r) => r.repetition === 0)
    .flatMap((r) =>
      r.vms.map((vm) => [
        r.label,
        vm.name,
        formatNumber(vm.progress),
        vm.slowdown === null ? '-' : `${vm.slowdown.toFixed(3)}x`,
        mean(vm.perVcpu.map((c) => c['%RUN'])).toFixed(1),
        mean(vm.perVcpu.map((c) => c['%RDY'])).toFixed(1),
        mean(vm.perVcpu.map((c) => c['%CSTP'])).toFixed(1),
        r.energyJoules.toFixed(4),
        (r.averageFrequencyHz / 1e6).toFixed(0),
      ]),
    );
  return table(['host', 'VM', 'progress (op/s)', 'slowdown', '%RUN', '%RDY', '%CSTP', 'energy (J)', 'avg MHz'], body);
};
