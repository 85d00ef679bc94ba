/**
 * A worker thread of the experiment runner: loads the strategy modules it is given, then
 * executes the runs posted to it one at a time.
 * @category Runner
 */
import { isLeft } from 'fp-ts/Either';
import { parentPort, workerData } from 'worker_threads';
import { loadStrategyModule } from '../../strategies/modules';
import { enableTypeScriptModules } from '../common/typescript-modules';
import type { PlannedRun } from '../spec/matrix';
import { executePlanned } from './execute';

/** Message from the pool to a worker. */
export type ToWorker = { readonly kind: 'run'; readonly run: PlannedRun } | { readonly kind: 'stop' };

/** Message from a worker to the pool. */
export type FromWorker = { readonly kind: 'ready' } | { readonly kind: 'result'; readonly index: number; readonly outcome: ReturnType<typeof executePlanned> } | { readonly kind: 'fatal'; readonly error: string };

const data = workerData as { experiment: string; seed: number; modules: string[] };
const port = parentPort!;
enableTypeScriptModules(data.modules);
for (const m of data.modules) {
  const r = loadStrategyModule(m);
  if (isLeft(r)) port.postMessage({ kind: 'fatal', error: r.left } satisfies FromWorker);
}
port.on('message', (msg: ToWorker) => {
  if (msg.kind === 'stop') {
    port.close();
    return;
  }
  port.postMessage({ kind: 'result', index: msg.run.index, outcome: executePlanned(msg.run, data.experiment, data.seed) } satisfies FromWorker);
});
port.postMessage({ kind: 'ready' } satisfies FromWorker);
