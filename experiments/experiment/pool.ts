/**
 * Running planned runs on N worker threads (piscina), or in-process for N = 1, handing
 * each finished run to `onResult` as soon as it completes. The runs of one strategy stay on
 * one worker (experiments/experiment/affinity.ts). A worker that dies in a run (exits, runs
 * out of memory) fails that run only: piscina replaces the worker and the other runs go on.
 * @category Runner
 */
import * as path from 'path';
import { Piscina } from 'piscina';
import { AffinityQueue } from './affinity';
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
  // one single-thread pool per worker, so that a task goes to the worker of its family (affinity.ts)
  const threads = Math.min(o.workers, runs.length);
  const pools = Array.from(
    { length: threads },
    () =>
      new Piscina<PlannedTask, ReturnType<typeof executePlanned>>({
        filename: WORKER_ENTRY,
        name: 'runInWorker',
        minThreads: 1,
        maxThreads: 1,
        workerData: { context: o.context, modules: [...o.modules] } satisfies WorkerSetup,
      }),
  );
  const queue = new AffinityQueue(runs, threads, familyOf);
  const drain = async (w: number): Promise<void> => {
    for (let run = queue.next(w); run !== undefined; run = queue.next(w)) {
      try {
        const out = await pools[w].run(run);
        o.onResult('row' in out ? { run, row: out.row } : { run, error: out.error });
      } catch (e) {
        o.onResult({ run, error: `the worker thread failed: ${(e as Error).message}` });
      }
    }
  };
  try {
    await Promise.all(pools.map((_, w) => drain(w)));
  } finally {
    await Promise.all(pools.map((p) => p.destroy()));
  }
};

/** The family of a task for the workers' affinity: its strategy (the VMM code it warms up), or the host runs'. */
export const familyOf = (t: PlannedTask): string => (t.kind === 'run' ? `run:${t.strategy}` : 'host');
