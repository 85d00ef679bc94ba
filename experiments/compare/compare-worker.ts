/**
 * A worker thread of the default comparison (run by piscina): loads the strategy modules it
 * is given, then makes each run posted to it (experiments/compare/compare.ts).
 * @category Experiments
 */
import { isLeft, left } from 'fp-ts/Either';
import { workerData } from 'worker_threads';
import { loadStrategyModule } from '../../strategies/modules';
import { enableTypeScriptModules } from '../common/typescript-modules';
import { makeComparedRun, type ComparedOutcome, type ComparedRun } from './compared-run';

/** What every worker of the comparison is started with: the strategy module files. */
export interface CompareWorkerSetup {
  readonly modules: readonly string[];
}

const setup = workerData as CompareWorkerSetup;
enableTypeScriptModules(setup.modules);
const failed = setup.modules.map(loadStrategyModule).filter(isLeft);

/** Make one run of the comparison (a module that did not load fails every run with its reason). */
export const runCompared = (run: ComparedRun): ComparedOutcome =>
  failed.length > 0 ? { result: left(failed.map((f) => f.left)), baselines: [] } : makeComparedRun(run);
