/**
 * The default comparison (the README's main job): every registered strategy, with its
 * default options, on every workload, on the machine of Adams & Agesen (netburst-2006),
 * plus hardware-assisted with nested paging on the first profile that has it, and AMD-V on
 * k8-2006 and barcelona-2008. Writes the results (JSON Lines and CSV), charts (SVG and PNG)
 * and a summary table.
 * @category Experiments
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, type Either } from 'fp-ts/Either';
import { loadProfile } from '../../core/cost/profile';
import { loadStrategyModule, lookupStrategy } from '../../strategies/modules';
import { STRATEGIES } from '../../strategies/registry';
import type { Strategy } from '../../strategies/strategy';
import { resolveOptions } from '../../strategies/options';
import { cycleCauses } from '../../strategies/cost-model';
import { WORKLOAD_NAMES, WORKLOADS } from '../../core/guest/workloads';
import type { IsaVariant } from '../../core/isa/variant';
import { writeCharts } from '../charts/write-charts';
import { breakdownChart, slowdownChart } from '../charts/specs';
import { configColours } from '../charts/colours';
import { CAUSE_COLOURS } from '../charts/from-results';
import { CliError } from '../common/errors';
import { makeOutDir } from '../common/files';
import { formatNumber, table } from '../common/format';
import { FORMAT_VERSION } from '../common/format-version';
import { dependencyVersions, profileHashes, runProvenance } from '../common/provenance';
import type { RunResult } from '../run/result';
import { progress, type ProgressStream } from '../experiment/progress';
import type { Engine } from '../../core/cpu/engine';
import { toCsv } from '../run/csv';
import { runOnWorkers } from '../experiment/pool';
import type { CompareWorkerSetup } from './compare-worker';
import { makeComparedRun, type ComparedOutcome, type ComparedRun } from './compared-run';
import { addBaselines } from '../run/run-one';
import { workerThread } from '../common/worker-thread';

/** One strategy configuration in the comparison. */
export interface ComparedConfig {
  readonly label: string;
  readonly strategy: string;
  readonly options: Record<string, string>;
  readonly profile: string;
  readonly isa: IsaVariant;
}

/**
 * The configurations compared: every built-in strategy, then `extra` (the strategies of the
 * modules given with --strategy-module), plus nested paging where it exists, plus AMD-V on
 * the AMD profiles.
 */
export const comparedConfigs = (profile: string, nestedProfile: string, extra: readonly Strategy[] = []): ComparedConfig[] => [
  ...[...Object.values(STRATEGIES), ...extra].map((s) => ({
    label: s.requiresVirtualizableIsa ? `${s.name} (virtualizable ISA)` : s.name,
    strategy: s.name,
    options: {},
    profile,
    isa: (s.requiresVirtualizableIsa ? 'virtualizable' : 'default') as IsaVariant,
  })),
  { label: `hardware-assisted (nested paging, ${nestedProfile})`, strategy: 'hardware-assisted', options: { paging: 'nested' }, profile: nestedProfile, isa: 'default' },
  ...AMD_CONFIGS,
];

/** AMD-V beside VT-x: the first SVM parts (shadow paging) and the first nested page tables. */
const AMD_CONFIGS: readonly ComparedConfig[] = [
  { label: 'hardware-assisted (AMD-V, k8-2006)', strategy: 'hardware-assisted', options: { vendor: 'amd' }, profile: 'k8-2006', isa: 'default' },
  { label: 'hardware-assisted (AMD-V nested paging, barcelona-2008)', strategy: 'hardware-assisted', options: { vendor: 'amd', paging: 'nested' }, profile: 'barcelona-2008', isa: 'default' },
];

/**
 * Why a strategy refuses a configuration (its `check`, e.g. nested paging on a profile
 * without it), or null if it runs. Unknown strategies, options and profiles are bad input.
 */
export const refusal = (c: ComparedConfig): string | null => {
  const s = lookupStrategy(c.strategy);
  if (isLeft(s)) throw new CliError(s.left);
  const options = resolveOptions(s.right, c.options);
  if (isLeft(options)) throw new CliError(options.left.join('\n'));
  const profile = loadProfile(c.profile);
  if (isLeft(profile)) throw new CliError(profile.left);
  return s.right.check(options.right, profile.right);
};

/** A configuration of the comparison its strategy refuses, with the strategy's reason. */
export interface SkippedConfig {
  readonly label: string;
  readonly profile: string;
  readonly reason: string;
}

/** Split the configurations into those that run and those their strategy refuses (skipped, never an abort). */
export const planComparison = (configs: readonly ComparedConfig[]): { run: ComparedConfig[]; skipped: SkippedConfig[] } => {
  const run: ComparedConfig[] = [];
  const skipped: SkippedConfig[] = [];
  for (const c of configs) {
    const why = refusal(c);
    if (why === null) run.push(c);
    else skipped.push({ label: c.label, profile: c.profile, reason: why });
  }
  return { run, skipped };
};

/**
 * The order the runs are handed out in on several threads: the runs whose native baselines
 * are the native configuration's own runs (the same profile and ISA) after the others, each
 * group in plan order. The threads pass on the baselines they simulate with each result
 * (run-one.ts), so a thread that reaches such a run late has usually received them from the
 * thread that ran native, instead of simulating them again: 12 of `compare`'s 168
 * simulations were such repeats (hardware-assisted on netburst-2006, on the thread that runs
 * its other configurations first).
 */
export const handOutOrder = (runs: readonly ComparedRun[]): ComparedRun[] => {
  const native = new Set(runs.filter((r) => r.strategy === 'native').map((r) => `${r.profile}/${r.isa}`));
  const waits = (r: ComparedRun): boolean => r.strategy !== 'native' && native.has(`${r.profile}/${r.isa}`);
  return [...runs.filter((r) => !waits(r)), ...runs.filter(waits)];
};

const MANIFEST = 'ringlab-compare.json';

/** Refuse to write into a directory that holds something other than an earlier comparison. */
const prepareOutDir = (dir: string, force: boolean): void => {
  makeOutDir(dir);
  const entries = fs.readdirSync(dir);
  if (entries.length > 0 && !entries.includes(MANIFEST) && !force)
    throw new CliError(`'${dir}' is not empty and holds no earlier comparison; choose another --out or pass --force to write into it`);
};

/** Run the comparison; returns the summary text. */
export const compare = async (o: {
  outDir: string;
  profile: string;
  nestedProfile: string;
  force: boolean;
  stream: ProgressStream;
  /** the workloads to compare on (default: all but the parallel ones; a subset is for tests) */
  workloads?: readonly (typeof WORKLOAD_NAMES)[number][];
  /** strategy module files whose strategies are compared too (recorded in the comparison's record) */
  strategyModules?: readonly string[];
  /** the simulator engine (host machinery: no modelled number depends on it) */
  engine?: Engine;
  /** worker threads (default 1: this thread); the results do not depend on them */
  workers?: number;
}): Promise<string> => {
  const extra = (o.strategyModules ?? []).flatMap((f) => {
    const r = loadStrategyModule(f);
    if (isLeft(r)) throw new CliError(r.left);
    return r.right;
  });
  const allConfigs = comparedConfigs(o.profile, o.nestedProfile, extra);
  const { run: configs, skipped } = planComparison(allConfigs);
  prepareOutDir(o.outDir, o.force);
  // the uniprocessor workloads: the parallel ones have their own experiment (experiments/multiprocessor.json)
  const workloads = o.workloads ?? WORKLOAD_NAMES.filter((w) => WORKLOADS[w].kind !== 'parallel');
  const provenance = runProvenance(createHash('sha256').update(JSON.stringify({ configs: allConfigs, workloads })).digest('hex').slice(0, 16));
  const runs: ComparedRun[] = configs.flatMap((c, k) =>
    workloads.map((w, j) => ({ index: k * workloads.length + j, label: c.label, strategy: c.strategy, options: c.options, workload: w, profile: c.profile, isa: c.isa, engine: o.engine })),
  );
  const slots: (RunResult | undefined)[] = new Array(runs.length);
  const failures: string[] = [];
  const t0 = performance.now();
  const total = runs.length;
  const bar = progress(total, o.stream);
  const done = (run: ComparedRun, r: Either<string[], RunResult>): void => {
    if (isLeft(r)) failures.push(r.left.join('\n'));
    else slots[run.index] = r.right;
    bar.tick(`${run.label} ${run.workload}: ${isLeft(r) ? 'FAILED' : r.right.equivalent ? `${formatNumber(r.right.slowdown ?? NaN)}x` : 'NOT EQUIVALENT'}`);
  };
  const workers = Math.max(1, Math.min(o.workers ?? 1, runs.length));
  if (workers === 1)
    for (const run of runs) {
      done(run, makeComparedRun(run).result);
      if (failures.length > 0) break;
    }
  else
    await runOnWorkers<ComparedRun, ComparedOutcome>(handOutOrder(runs), {
      workers,
      worker: workerThread(path.join(__dirname, 'compare-worker'), { modules: o.strategyModules ?? [] } satisfies CompareWorkerSetup),
      name: 'runCompared',
      // one strategy's runs on one worker: each worker thread warms up on the VMM code it runs
      family: (run) => run.strategy,
      // this thread is one of the workers: it has loaded and warmed up the code already
      local: makeComparedRun,
      onResult: (run, r) => {
        if ('error' in r) failures.push(`the worker thread failed in ${run.label} ${run.workload}: ${r.error.message}`);
        else {
          // the native baselines the run's thread simulated: this thread need not simulate them too
          addBaselines(r.value.baselines);
          done(run, r.value.result);
        }
      },
    });
  if (failures.length > 0) throw new CliError(failures[0]);
  const results = slots as RunResult[];
  const labels = new Map<RunResult, string>(results.map((r, i) => [r, runs[i].label]));
  bar.done();
  const wallSeconds = (performance.now() - t0) / 1000;

  const rows = results.map((r) => ({ ...r, label: labels.get(r)!, formatVersion: FORMAT_VERSION, ...provenance }));
  fs.writeFileSync(path.join(o.outDir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(path.join(o.outDir, 'results.csv'), toCsv(rows));
  const slowRows = results.filter((r) => r.slowdown !== null && r.strategy !== 'native').map((r) => ({ workload: r.workload, config: labels.get(r)!, slowdown: r.slowdown! }));
  const breakRows = results.flatMap((r) =>
    cycleCauses().filter((c) => (r.cycles.regionBreakdown[c] ?? 0) > 0).map((cause) => ({
      workload: r.workload,
      config: labels.get(r)!,
      cause,
      cycles: (r.cycles.regionBreakdown[cause] ?? 0) / (r.params.n || 1),
    })),
  );
  const colours = configColours(configs.map((c) => ({ config: c.label, strategy: c.strategy })));
  const charts = {
    slowdown: slowdownChart(slowRows, { title: `Slowdown against native (${o.profile}; measured regions)`, colours }),
    breakdown: breakdownChart(breakRows, { title: 'Where the cycles go: cycles per operation by cause', causes: CAUSE_COLOURS, configs: colours.domain }),
  };
  await writeCharts(o.outDir, Object.entries(charts).map(([name, spec]) => ({ name, spec })));
  const record = {
    kind: 'ringlab-compare',
    formatVersion: FORMAT_VERSION,
    date: new Date().toISOString(),
    ...provenance,
    dependencies: dependencyVersions(),
    profiles: profileHashes(configs.map((c) => c.profile)),
    configs,
    skipped,
    workloads,
    strategyModules: o.strategyModules ?? [],
  };
  fs.writeFileSync(path.join(o.outDir, MANIFEST), JSON.stringify(record, null, 2));

  const configLabels = allConfigs.map((c) => c.label);
  const skippedLabels = new Set(skipped.map((k) => k.label));
  const summary = table(
    ['workload', ...configLabels],
    workloads.map((w) => [
      w,
      ...configLabels.map((l) => {
        if (skippedLabels.has(l)) return 'skipped';
        const r = results.find((x) => x.workload === w && labels.get(x) === l);
        return r === undefined ? '-' : !r.equivalent ? 'NOT EQUIV' : r.slowdown === null ? 'n/a' : `${r.slowdown.toFixed(2)}x`;
      }),
    ]),
  );
  return [
    `Slowdown against native, measured regions (${results.length} runs in ${wallSeconds.toFixed(1)} s${skipped.length ? `, ${skipped.length * workloads.length} skipped` : ''}):`,
    '',
    summary,
    '',
    ...(skipped.length
      ? [`skipped ${skipped.length} configuration(s) the strategy refuses (not applicable; ${skipped.length * workloads.length} run(s) not made):`, ...skipped.map((k) => `  ${k.label} on ${k.profile}: ${k.reason}`), '']
      : []),
    `wrote ${path.join(o.outDir, 'results.jsonl')}, results.csv, slowdown.svg/.png, breakdown.svg/.png`,
  ].join('\n');
};
