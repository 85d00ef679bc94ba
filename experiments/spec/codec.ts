/**
 * Experiment specs: a matrix of strategies (with options) x workloads (with parameters) x
 * profiles x ISA variants x machine settings x repetitions, plus output settings. Decoded
 * with io-ts; every error is reported as `path: expected X, got Y`, all at once.
 * A value written as a list is swept: the matrix takes each element in turn.
 * The descriptions and the enums of registered names feed the JSON Schema editors use
 * (experiments/spec.schema.json, `npm run schema`).
 * @category Experiments
 */
import * as t from 'io-ts';
import { PROFILE_NAMES } from '../../core/cost/profile';
import { WORKLOADS } from '../../core/guest/workloads';
import { BOOT_PARAMS } from '../../core/guest/boot-params';
import { STRATEGIES } from '../../strategies/registry';
import type { StrategyOption } from '../../strategies/options';
import { describe, withSchema, type JsonSchema } from './json-schema';

/** A scalar option or parameter value, or a list of them to sweep. */
const Sweep = <C extends t.Mixed>(c: C) => t.union([c, t.array(c)]);

/** The schema of a value or a list of such values. */
const sweepSchema = (one: JsonSchema): JsonSchema => ({ anyOf: [one, { type: 'array', items: one, minItems: 1 }] });

/** Option value: a string or an integer. */
const OptionValue = t.union([t.string, t.number]);

const optionSchema = (o: StrategyOption): JsonSchema => ({
  description: o.description,
  ...sweepSchema(o.kind === 'choice' ? { enum: [...o.choices], default: o.default } : { type: 'integer', minimum: o.min, maximum: o.max, default: o.default }),
});

/** A strategy name: the built-in ones are offered; others come from --strategy-module files. */
const StrategyName = withSchema(new t.StringType(), () => ({
  anyOf: [{ enum: Object.keys(STRATEGIES) }, { type: 'string', description: 'a strategy from a --strategy-module file' }],
  examples: Object.keys(STRATEGIES),
}));

/** ISA variants. */
const IsaVariant = t.keyof({ default: null, virtualizable: null });

/** One strategy entry. */
export const StrategyEntry = withSchema(
  t.intersection([
    describe(t.type({ name: StrategyName }), { name: 'the strategy (see `ringlab list`)' }),
    describe(
      t.partial({
        options: t.record(t.string, Sweep(OptionValue)),
        label: t.string,
        isa: Sweep(IsaVariant),
      }),
      {
        options: "option name -> value, or a list of values to sweep (see `ringlab list`); options left out take the strategy's defaults",
        label: 'the name of this configuration in charts and tables (default: the strategy name plus the options that differ from the defaults)',
        isa: "ISA variant(s) for this strategy, overriding the spec's `isa`",
      },
    ),
  ]),
  // each built-in strategy's options, with their values, for the entry naming it
  () => ({
    allOf: Object.values(STRATEGIES).map((s) => ({
      if: { properties: { name: { const: s.name } }, required: ['name'] },
      then: { properties: { options: { description: `the options of ${s.name}`, type: 'object', properties: Object.fromEntries(Object.entries(s.options).map(([k, o]) => [k, optionSchema(o)])), additionalProperties: false } } },
    })),
  }),
);

/** A workload name. */
const WorkloadName = withSchema(new t.StringType(), () => ({ enum: Object.keys(WORKLOADS) }));

/** One workload entry. */
export const WorkloadEntry = withSchema(
  t.intersection([
    describe(t.type({ name: WorkloadName }), { name: 'the workload (see `ringlab list`)' }),
    describe(t.partial({ params: t.record(t.string, Sweep(t.number)) }), { params: 'parameter name -> value, or a list of values to sweep; left out: the default (n: operations in the measured region)' }),
  ]),
  () => ({
    allOf: Object.entries(WORKLOADS).map(([name, w]) => ({
      if: { properties: { name: { const: name } }, required: ['name'] },
      then: {
        properties: {
          params: {
            description: `the parameters of ${name}`,
            type: 'object',
            properties: Object.fromEntries(Object.entries(w.params).map(([k, p]) => [k, { description: `${k} of ${name}: ${w.description}`, ...sweepSchema({ type: 'integer', minimum: p.min, maximum: p.max, default: p.default }) }])),
            additionalProperties: false,
          },
        },
      },
    })),
  }),
);

/** Machine settings that may be swept (ablations). */
export const MachineSettings = describe(
  t.partial({
    tlbEntries: Sweep(t.number),
    tlbWays: Sweep(t.number),
    diskLatencyUs: Sweep(t.number),
  }),
  {
    tlbEntries: 'TLB entries, a power of two from 1 to 65536 (default 64), or a list to sweep',
    tlbWays: 'TLB associativity, a power of two up to min(64, tlbEntries) (default: fully associative), or a list to sweep',
    diskLatencyUs: 'block request latency in microseconds, 1 to 1,000,000 (default 75: an SSD of 2008; a 7200-rpm disk is ~11,600), or a list to sweep',
  },
);

/** A value a host setting may take in a sweep: a name, a number, or a list of numbers (an affinity). */
const HostSettingValue = t.union([t.string, t.number, t.array(t.number)]);

/** A host spec written inline: checked as a host spec file is (experiments/host/spec.ts) when the matrix is expanded, its problems by path. */
const InlineHostSpec = withSchema(t.UnknownRecord, () => ({ description: 'a host spec, as in a host spec file (experiments/host/host.schema.json)' }));

/** One entry of the `hosts` axis: a host spec (a file, or inline) with settings to sweep. */
export const HostAxisEntry = t.intersection([
  describe(t.type({ spec: t.union([t.string, InlineHostSpec]) }), {
    spec: 'a host spec: a .json file (relative to the current folder, else to the ringlab folder) or the spec itself (see `ringlab host`)',
  }),
  describe(
    t.partial({
      label: t.string,
      sweep: withSchema(t.record(t.string, t.array(HostSettingValue)), () => ({
        examples: [{ 'host.governor': ['performance', 'powersave'], 'vms.length': [1, 2, 3, 4], 'vms.*.affinity': [[0, 1], [0, 2]] }],
      })),
    }),
    {
      label: 'the name of this host in charts and tables (default: the spec\'s name or file name), the swept settings appended',
      sweep:
        'a dotted path into the host spec -> the values to sweep (host.governor, scheduler.quantumMs, vms.0.shares; `*` for every element: vms.*.affinity; `vms.length`: keep the first k VMs)',
    },
  ),
]);

/** Chart kinds a spec can ask for. */
export const ChartKind = t.keyof({
  slowdown: null,
  breakdown: null,
  exits: null,
  exitsPerOperation: null,
  translation: null,
  sweep: null,
  hypercalls: null,
  generations: null,
  vcpus: null,
  hostTimeline: null,
  hostStates: null,
  hostEnergy: null,
});

/** Output settings. */
export const OutputSettings = describe(
  t.partial({
    charts: t.array(ChartKind),
    sweep: withSchema(new t.StringType(), () => ({ examples: ['params.n', 'machine.tlbEntries', 'options.cache'] })),
    sweepY: t.keyof({ slowdown: null, perOperation: null, regionSeconds: null }),
  }),
  {
    charts: 'charts to draw (default: slowdown and breakdown, and for host rows hostTimeline, hostStates and hostEnergy)',
    sweep: 'for the `sweep` chart: the swept quantity on the x axis, a dotted path into a result row',
    sweepY: 'the y quantity of the sweep chart (default: slowdown)',
  },
);

/** A cost profile: a shipped name, or a path to a profile .json file. */
const ProfileName = withSchema(new t.StringType(), () => ({
  anyOf: [{ enum: [...PROFILE_NAMES] }, { type: 'string', pattern: '\\.json$', description: 'a path to a cost profile file' }],
}));

/** An experiment spec. */
export const ExperimentSpecCodec = t.intersection([
  describe(
    t.type({
      name: withSchema(new t.StringType(), () => ({ examples: ['tlb-sweep'] })),
      strategies: t.array(StrategyEntry),
      workloads: t.array(WorkloadEntry),
      profiles: t.array(ProfileName),
    }),
    {
      name: 'the experiment name: results go to out/<name> by default',
      strategies: 'the strategies (with options) to run; include `native` for the baseline rows',
      workloads: 'the workloads (with parameters) to run each strategy on',
      profiles: 'cost profiles (CPU generations); each run is priced with one',
    },
  ),
  describe(
    t.partial({
      $schema: t.string,
      description: t.string,
      isa: Sweep(IsaVariant),
      machine: MachineSettings,
      repetitions: t.number,
      seed: t.number,
      maxInstructions: t.number,
      maxCycles: t.number,
      vcpus: withSchema(Sweep(t.number), () => ({
        description: "virtual CPUs of each run's guest (sets the kernel's cpus boot parameter), or a list to sweep",
        ...sweepSchema({ type: 'integer', minimum: 1, maximum: 8, default: 1 }),
        examples: [[1, 2, 4]],
      })),
      boot: withSchema(t.record(t.string, Sweep(t.number)), () => ({
        type: 'object',
        properties: Object.fromEntries(Object.entries(BOOT_PARAMS).map(([k, p]) => [k, { description: p.description, ...sweepSchema({ type: 'integer', minimum: p.min, maximum: p.max, default: p.default }) }])),
        additionalProperties: false,
      })),
      costOverrides: withSchema(t.record(t.string, Sweep(t.number)), () => ({
        type: 'object',
        description: 'per-event cost key of the profiles -> cycles, or a list of cycles to sweep',
        additionalProperties: sweepSchema({ type: 'integer', minimum: 0 }),
        examples: [{ vmExitRoundTrip: [500, 1500, 2400] }],
      })),
      shards: t.number,
      hosts: withSchema(t.array(t.union([t.string, HostAxisEntry])), () => ({ examples: [['experiments/host/specs/shares-2to1.json', { spec: 'experiments/host/specs/consolidation-4-on-2.json', sweep: { 'vms.length': [1, 2, 3, 4] } }]] })),
      output: OutputSettings,
    }),
    {
      $schema: 'this schema, for editors: "./spec.schema.json"',
      description: 'what the experiment is for (shown in the report)',
      isa: 'ISA variant(s) (default: default); `virtualizable` makes every sensitive instruction trap',
      machine: 'machine settings, each a value or a list to sweep',
      repetitions: 'repetitions of each run, an integer >= 1 (the simulation is deterministic: only host time varies)',
      seed: 'recorded with every result; reserved for stochastic parts of the model (default 1)',
      maxInstructions: "instruction budget per run, an integer >= 1 (default 200,000,000, or more when the workload's n needs it)",
      maxCycles: 'modelled-cycle budget per run, an integer >= 1 (default 250,000,000,000): bounds every kind of guest-driven work',
      vcpus: "virtual CPUs of each run's guest, 1-8, or a list to sweep like profiles (sets the kernel's cpus boot parameter; a strategy that runs fewer is skipped with a note)",
      boot: 'kernel boot parameters (hz ...), each a value or a list to sweep (see `ringlab list`)',
      costOverrides: "replace per-event costs of every profile (cost sensitivity): key -> cycles, or a list to sweep; recorded in each result",
      shards: "number of shards, for a scheduler that gives only a 0-based task index (JOB_COMPLETION_INDEX ...); --shards overrides it",
      hosts:
        'host specs, an axis of their own: each a file name, or {spec, label, sweep} (a file or an inline spec, and host settings to sweep); each gives a `kind: "host"` row (`ringlab host`\'s result); with hosts, `strategies`, `workloads` and `profiles` may be empty',
      output: 'charts and their settings (changing them keeps --resume possible)',
    },
  ),
]);

/** A decoded experiment spec. */
export type ExperimentSpec = t.TypeOf<typeof ExperimentSpecCodec>;
