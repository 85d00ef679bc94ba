/**
 * Running planned runs on N worker threads (or in-process for N = 1), handing each
 * finished run to `onResult` as soon as it completes.
 * @category Runner
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { PlannedRun } from '../spec/matrix';
import { executePlanned } from './execute';
import type { ResultRow } from './result-codec';
import type { FromWorker, ToWorker } from './worker';

/**
 * The worker threads' entry: the compiled worker when this module runs compiled (from
 * dist/), else a shim that registers ts-node in the thread first.
 */
export const WORKER_ENTRY = path.join(__dirname, __filename.endsWith('.ts') ? 'worker-entry.js' : 'worker.js');

/** Outcome of one run. */
export type RunOutcome = { readonly run: PlannedRun; readonly row: ResultRow } | { readonly run: PlannedRun; readonly error: string };

/** Run everything; resolves when all runs finished. */
export const runPool = async (
  runs: readonly PlannedRun[],
  o: { workers: number; experiment: string; seed: number; modules: readonly string[]; onResult: (r: RunOutcome) => void },
): Promise<void> => {
  if (runs.length === 0) return;
  if (o.workers <= 1) {
    for (const run of runs) {
      const out = executePlanned(run, o.experiment, o.seed);
      o.onResult('row' in out ? { run, row: out.row } : { run, error: out.error });
      await new Promise((r) => setImmediate(r)); // let output flush, keep Ctrl-C responsive
    }
    return;
  }
  const queue = [...runs];
  const byIndex = new Map(runs.map((r) => [r.index, r]));
  await new Promise<void>((resolve, reject) => {
    let active = Math.min(o.workers, runs.length);
    let failed = false;
    const workers: Worker[] = [];
    const next = (w: Worker) => {
      const run = queue.shift();
      if (run) w.postMessage({ kind: 'run', run } satisfies ToWorker);
      else {
        w.postMessage({ kind: 'stop' } satisfies ToWorker);
        void w.terminate();
        if (--active === 0) resolve();
      }
    };
    for (let i = 0; i < active; i++) {
      const w = new Worker(WORKER_ENTRY, { workerData: { experiment: o.experiment, seed: o.seed, modules: [...o.modules] } });
      workers.push(w);
      w.on('message', (msg: FromWorker) => {
        if (failed) return;
        if (msg.kind === 'ready') next(w);
        else if (msg.kind === 'fatal') {
          failed = true;
          workers.forEach((x) => void x.terminate());
          reject(new Error(msg.error));
        } else {
          const run = byIndex.get(msg.index)!;
          o.onResult('row' in msg.outcome ? { run, row: msg.outcome.row } : { run, error: msg.outcome.error });
          next(w);
        }
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        workers.forEach((x) => void x.terminate());
        reject(e);
      });
    }
  });
};
