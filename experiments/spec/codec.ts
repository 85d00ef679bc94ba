/**
 * Experiment specs: a matrix of strategies (with options) x workloads (with parameters) x
 * profiles x ISA variants x machine settings x repetitions, plus output settings. Decoded
 * with io-ts; every error is reported as `path: expected X, got Y`, all at once.
 * A value written as a list is swept: the matrix takes each element in turn.
 * @category Experiments
 */
import * as t from 'io-ts';

/** A scalar option or parameter value, or a list of them to sweep. */
const Sweep = <C extends t.Mixed>(c: C) => t.union([c, t.array(c)]);

/** Option value: a string or an integer. */
const OptionValue = t.union([t.string, t.number]);

/** One strategy entry. */
export const StrategyEntry = t.intersection([
  t.type({ name: t.string }),
  t.partial({
    /** option name -> value or list of values to sweep */
    options: t.record(t.string, Sweep(OptionValue)),
    /** a label for charts (default: the name plus options that differ from the defaults) */
    label: t.string,
    /** ISA variant(s) for this strategy, overriding the spec's `isa` */
    isa: Sweep(t.keyof({ default: null, virtualizable: null })),
  }),
]);

/** One workload entry. */
export const WorkloadEntry = t.intersection([
  t.type({ name: t.string }),
  t.partial({ params: t.record(t.string, Sweep(t.number)) }),
]);

/** Machine settings that may be swept (ablations). */
export const MachineSettings = t.partial({
  tlbEntries: Sweep(t.number),
  tlbWays: Sweep(t.number),
});

/** Chart kinds a spec can ask for. */
export const ChartKind = t.keyof({ slowdown: null, breakdown: null, exits: null, translation: null, sweep: null, hypercalls: null, generations: null });

/** Output settings. */
export const OutputSettings = t.partial({
  /** charts to draw (default: slowdown and breakdown) */
  charts: t.array(ChartKind),
  /** for the `sweep` chart: the swept quantity on the x axis, e.g. "params.n", "options.cache", "machine.tlbEntries" */
  sweep: t.string,
  /** the y quantity of the sweep chart: "slowdown" (default), "perOperation" or "regionSeconds" */
  sweepY: t.keyof({ slowdown: null, perOperation: null, regionSeconds: null }),
});

/** An experiment spec. */
export const ExperimentSpecCodec = t.intersection([
  t.type({
    name: t.string,
    strategies: t.array(StrategyEntry),
    workloads: t.array(WorkloadEntry),
    profiles: t.array(t.string),
  }),
  t.partial({
    $schema: t.string,
    description: t.string,
    /** ISA variant(s): default 'default' */
    isa: Sweep(t.keyof({ default: null, virtualizable: null })),
    machine: MachineSettings,
    /** repetitions of each run (the simulation is deterministic: only host time varies) */
    repetitions: t.number,
    /** recorded with every result; reserved for stochastic parts of the model */
    seed: t.number,
    /** instruction budget per run */
    maxInstructions: t.number,
    /** number of shards when a scheduler gives only a 0-based task index (JOB_COMPLETION_INDEX ...) */
    shards: t.number,
    output: OutputSettings,
  }),
]);

/** A decoded experiment spec. */
export type ExperimentSpec = t.TypeOf<typeof ExperimentSpecCodec>;
