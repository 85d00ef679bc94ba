/**
 * Running one planned run or host run: the shared step of the in-process runner and the
 * worker threads. The run's place in the experiment and its provenance are added to what
 * runOne (or runHostSpec, for a host run) returns.
 * @category Runner
 */
import { isLeft } from 'fp-ts/Either';
import { FORMAT_VERSION } from '../common/format-version';
import type { RunProvenance } from '../common/provenance';
import { runOne } from '../run/run-one';
import type { Engine } from '../../core/cpu/engine';
import type { PlannedRun, PlannedTask } from '../spec/matrix';
import type { PlannedHost } from '../spec/host-axis';
import { runHostSpec, type HostRunStretch } from '../host/run-host';
import { mergeStretches } from '../host/timeline';
import { validateRow, type ExperimentRow, type ResultRow } from './result-codec';
import { hostTraceFileOf, traceFileOf } from './trace-file';
import { hostTraceJson } from '../host/perfetto';
import * as fs from 'fs';

/** What every run of one experiment shares. */
export interface RunContext {
  readonly experiment: string;
  readonly seed: number;
  readonly provenance: RunProvenance;
  /** write a Chrome/Perfetto trace of each run into this folder (`experiment --trace`) */
  readonly traceDir?: string;
  /** the simulator engine of every run (host machinery: not part of the spec, no modelled number depends on it) */
  readonly engine?: Engine;
}

/** What executing a task gives: a validated row or an error message. */
export type TaskOutcome = { row: ExperimentRow } | { error: string };

/** Run a planned run; returns a validated results row or an error message. */
const executeRun = (p: PlannedRun, ctx: RunContext): TaskOutcome => {
  try {
    const r = runOne({
      strategy: p.strategy,
      options: p.options,
      workload: p.workload,
      params: p.params,
      profile: p.profile,
      isa: p.isa,
      machine: p.machine,
      maxInstructions: p.maxInstructions,
      maxCycles: p.maxCycles,
      boot: p.boot,
      costOverrides: p.costOverrides,
      trace: ctx.traceDir === undefined ? undefined : traceFileOf(ctx.traceDir, p),
      engine: ctx.engine,
    });
    if (isLeft(r)) return { error: r.left.join('; ') };
    const row: ResultRow = {
      ...r.right,
      kind: 'run',
      ...rowHeader(p, ctx),
    };
    const v = validateRow(row, `run ${p.index}`);
    return isLeft(v) ? { error: v.left } : { row };
  } catch (e) {
    return { error: `internal error in run ${p.index} (${p.label}, ${p.workload}): ${(e as Error).stack ?? String(e)}` };
  }
};

/** The fields every row of an experiment has: the format, the experiment, the run's place in it, its provenance. */
const rowHeader = (p: { readonly key: string; readonly index: number; readonly label: string; readonly repetition: number }, ctx: RunContext) => ({
  formatVersion: FORMAT_VERSION as typeof FORMAT_VERSION,
  experiment: ctx.experiment,
  key: p.key,
  index: p.index,
  label: p.label,
  repetition: p.repetition,
  seed: ctx.seed,
  ...ctx.provenance,
});

/** Run a planned host run (`ringlab host` on its spec); returns a validated host row or an error message. */
const executeHost = (p: PlannedHost, ctx: RunContext): TaskOutcome => {
  try {
    const stretches: HostRunStretch[] = [];
    const r = runHostSpec(p.hostSpec, (s) => stretches.push(s));
    if (isLeft(r)) return { error: r.left.join('; ') };
    if (ctx.traceDir !== undefined) fs.writeFileSync(hostTraceFileOf(ctx.traceDir, p), hostTraceJson(stretches, r.right.pcpus.length));
    const row = {
      ...r.right,
      kind: 'host' as const,
      ...rowHeader(p, ctx),
      hostSpec: p.hostSpec,
      settings: p.settings,
      timeline: mergeStretches(stretches),
    };
    const v = validateRow(row, `host run ${p.index}`);
    return isLeft(v) ? { error: v.left } : { row: v.right };
  } catch (e) {
    return { error: `internal error in host run ${p.index} (${p.label}): ${(e as Error).stack ?? String(e)}` };
  }
};

/** Executors by task kind. */
const EXECUTORS: { readonly [K in PlannedTask['kind']]: (p: Extract<PlannedTask, { kind: K }>, ctx: RunContext) => TaskOutcome } = { run: executeRun, host: executeHost };

/** Execute a planned run or host run; returns a validated results row or an error message. */
export const executePlanned = (p: PlannedTask, ctx: RunContext): TaskOutcome => (EXECUTORS[p.kind] as (p: PlannedTask, ctx: RunContext) => TaskOutcome)(p, ctx);

/** What a task is, for progress lines and errors: its label and workload (`host` for a host run), joined by `sep`. */
export const describeTask = (p: PlannedTask, sep = ', '): string => `${p.label}${sep}${p.kind === 'run' ? p.workload : 'host'}`;
