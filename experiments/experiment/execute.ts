/**
 * Running one planned run: the shared step of the in-process runner and the worker threads.
 * The run's place in the experiment and its provenance are added to what runOne returns.
 * @category Runner
 */
import { isLeft } from 'fp-ts/Either';
import { FORMAT_VERSION } from '../common/format-version';
import type { RunProvenance } from '../common/provenance';
import { runOne } from '../run/run-one';
import type { Engine } from '../../core/cpu/engine';
import type { PlannedRun } from '../spec/matrix';
import { validateRow, type ResultRow } from './result-codec';
import { traceFileOf } from './trace-file';

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

/** Run a planned run; returns a validated results row or an error message. */
export const executePlanned = (p: PlannedRun, ctx: RunContext): { row: ResultRow } | { error: string } => {
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
      formatVersion: FORMAT_VERSION,
      experiment: ctx.experiment,
      key: p.key,
      index: p.index,
      label: p.label,
      repetition: p.repetition,
      seed: ctx.seed,
      ...ctx.provenance,
    };
    const v = validateRow(row, `run ${p.index}`);
    return isLeft(v) ? { error: v.left } : { row };
  } catch (e) {
    return { error: `internal error in run ${p.index} (${p.label}, ${p.workload}): ${(e as Error).stack ?? String(e)}` };
  }
};
