/**
 * A worker thread of the experiment runner (run by piscina): loads the strategy modules it
 * is given, then executes each run posted to it.
 * @category Runner
 */
import { isLeft } from 'fp-ts/Either';
import { workerData } from 'worker_threads';
import { loadStrategyModule } from '../../strategies/modules';
import { enableTypeScriptModules } from '../common/typescript-modules';
import type { PlannedTask } from '../spec/matrix';
import { executePlanned, type RunContext } from './execute';

/** What every worker is started with. */
export interface WorkerSetup {
  readonly context: RunContext;
  readonly modules: readonly string[];
}

const setup = workerData as WorkerSetup;
enableTypeScriptModules(setup.modules);
const failed = setup.modules.map(loadStrategyModule).filter(isLeft);

/** Execute one run (a module that did not load fails every run with its reason). */
export const runInWorker = (run: PlannedTask): ReturnType<typeof executePlanned> =>
  failed.length > 0 ? { error: failed.map((f) => f.left).join('; ') } : executePlanned(run, setup.context);
