/**
 * The axes of a spec: the quantities it gives values for (workload parameters, strategy
 * options, ISA variants, machine settings, boot parameters, vCPUs, cost overrides). A list of values sweeps its axis, so it must
 * hold at least one value; the sweep chart's x axis must be one of the spec's axes.
 * @category Experiments
 */
import type { ExperimentSpec } from './codec';

/** Each value or list of values of the spec, by path (`workloads[0].params.n`) and axis (`params.n`). */
const settings = (spec: ExperimentSpec): { path: string; axis: string; value: unknown }[] => [
  ...(spec.isa === undefined ? [] : [{ path: 'isa', axis: 'isa', value: spec.isa }]),
  ...spec.strategies.flatMap((s, i) => [
    ...Object.entries(s.options ?? {}).map(([k, value]) => ({ path: `strategies[${i}].options.${k}`, axis: `options.${k}`, value })),
    ...(s.isa === undefined ? [] : [{ path: `strategies[${i}].isa`, axis: 'isa', value: s.isa }]),
  ]),
  ...spec.workloads.flatMap((w, i) => Object.entries(w.params ?? {}).map(([k, value]) => ({ path: `workloads[${i}].params.${k}`, axis: `params.${k}`, value }))),
  ...Object.entries(spec.machine ?? {}).map(([k, value]) => ({ path: `machine.${k}`, axis: `machine.${k}`, value })),
  ...Object.entries(spec.boot ?? {}).map(([k, value]) => ({ path: `boot.${k}`, axis: `boot.${k}`, value })),
  ...(spec.vcpus === undefined ? [] : [{ path: 'vcpus', axis: 'vcpus', value: spec.vcpus }]),
  ...Object.entries(spec.costOverrides ?? {}).map(([k, value]) => ({ path: `costOverrides.${k}`, axis: `costOverrides.${k}`, value })),
];

/** The axes a sweep chart can put on its x axis: numeric quantities the spec gives values for. */
const chartAxes = (spec: ExperimentSpec): string[] => [...new Set(settings(spec).map((s) => s.axis).filter((a) => a !== 'isa'))];

/** Problems with the spec's axes: empty lists (by path) and an `output.sweep` that is not an axis. */
export const axisProblems = (spec: ExperimentSpec): string[] => {
  const problems = settings(spec)
    .filter((s) => Array.isArray(s.value) && s.value.length === 0)
    .map((s) => `${s.path}: expected at least one value to sweep, got []`);
  const x = spec.output?.sweep;
  const axes = chartAxes(spec);
  if (x !== undefined && !axes.includes(x))
    problems.push(
      `output.sweep: '${x}' is not an axis of this spec (${
        axes.length > 0 ? `expected one of ${axes.join(', ')}` : 'it gives no workload parameters, strategy options or machine settings'
      })`,
    );
  return problems;
};
