/**
 * Running planned runs on N worker threads (piscina), or in-process for N = 1, handing
 * each finished run to `onResult` as soon as it completes. A worker that dies in a run
 * (exits, runs out of memory) fails that run only: piscina replaces the worker and the
 * other runs go on.
 * @category Runner
 */
import * as path from 'path';
import { Piscina } from 'piscina';
import type { PlannedTask } from '../spec/matrix';
import { executePlanned, type RunContext } from './execute';
import type { ExperimentRow } from './result-codec';
import type { WorkerSetup } from './worker';

/**
 * The worker threads' entry: the compiled worker when this module runs compiled (from
 * dist/), else a shim that registers ts-node in the thread first.
 */
export const WORKER_ENTRY = path.join(__dirname, __filename.endsWith('.ts') ? 'worker-entry.js' : 'worker.js');

/** Outcome of one run. */
export type RunOutcome = { readonly run: PlannedTask; readonly row: ExperimentRow } | { readonly run: PlannedTask; readonly error: string };

/** Run everything (runs and host runs); resolves when all finished. */
export const runPool = async (
  runs: readonly PlannedTask[],
  o: { workers: number; context: RunContext; modules: readonly string[]; onResult: (r: RunOutcome) => void },
): Promise<void> => {
  if (runs.length === 0) return;
  if (o.workers <= 1) {
    for (const run of runs) {
      const out = executePlanned(run, o.context);
      o.onResult('row' in out ? { run, row: out.row } : { run, error: out.error });
      await new Promise((r) => setImmediate(r)); // let output flush, keep Ctrl-C responsive
    }
    return;
  }
  const pool = new Piscina<PlannedTask, ReturnType<typeof executePlanned>>({
    filename: WORKER_ENTRY,
    name: 'runInWorker',
    minThreads: Math.min(o.workers, runs.length),
    maxThreads: Math.min(o.workers, runs.length),
    workerData: { context: o.context, modules: [...o.modules] } satisfies WorkerSetup,
  });
  try {
    await Promise.all(
      runs.map((run) =>
        pool.run(run).then(
          (out) => o.onResult('row' in out ? { run, row: out.row } : { run, error: out.error }),
          (e: Error) => o.onResult({ run, error: `the worker thread failed: ${e.message}` }),
        ),
      ),
    );
  } finally {
    await pool.destroy();
  }
};
