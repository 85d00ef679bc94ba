/**
 * One run of the default comparison: a configuration on a workload, as the main thread plans
 * it and a worker thread makes it.
 * @category Experiments
 */
import type { Either } from 'fp-ts/Either';
import type { Engine } from '../../core/cpu/engine';
import type { IsaVariant } from '../../core/isa/variant';
import type { RunResult } from '../run/result';
import { runOne } from '../run/run-one';

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

/** Make one run of the comparison, in whichever thread it was handed to. */
export const makeComparedRun = (run: ComparedRun): Either<string[], RunResult> =>
  runOne({ strategy: run.strategy, options: run.options, workload: run.workload, profile: run.profile, isa: run.isa, engine: run.engine });
