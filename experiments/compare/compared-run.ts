/**
 * One run of the default comparison: a configuration on a workload, as the main thread plans
 * it and a worker thread makes it.
 * @category Experiments
 */
import type { Either } from 'fp-ts/Either';
import type { Engine } from '../../core/cpu/engine';
import type { IsaVariant } from '../../core/isa/variant';
import type { RunResult } from '../run/result';
import { runOne, takeNewBaselines, type Baseline } from '../run/run-one';

/** One run of the comparison: its place in the results, its configuration's label and what runOne needs. */
export interface ComparedRun {
  readonly index: number;
  readonly label: string;
  readonly strategy: string;
  readonly options: Record<string, string>;
  readonly workload: string;
  readonly profile: string;
  readonly isa: IsaVariant;
  readonly engine?: Engine;
}

/** A run of the comparison made: its result, and the native baselines its thread simulated for it (for the other threads). */
export interface ComparedOutcome {
  readonly result: Either<string[], RunResult>;
  readonly baselines: readonly Baseline[];
}

/** Make one run of the comparison, in whichever thread it was handed to. */
export const makeComparedRun = (run: ComparedRun): ComparedOutcome => ({
  result: runOne({ strategy: run.strategy, options: run.options, workload: run.workload, profile: run.profile, isa: run.isa, engine: run.engine }),
  baselines: takeNewBaselines(),
});
