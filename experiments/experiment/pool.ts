/**
 * Running planned runs on N worker threads (piscina), or in this thread for N = 1, handing
 * each finished run to `onResult` as soon as it completes. The runs of one strategy stay on
 * one worker (experiments/experiment/affinity.ts). A worker that dies in a run (exits, runs
 * out of memory) fails that run only: piscina replaces the worker and the other runs go on.
 * @category Runner
 */
import * as path from 'path';
import { Piscina } from 'piscina';
import { AffinityQueue } from './affinity';
import { workerThread } from '../common/worker-thread';
import type { PlannedTask } from '../spec/matrix';
import { executePlanned, type RunContext } from './execute';
import type { ExperimentRow } from './result-codec';
import type { WorkerSetup } from './worker';

/** The experiment's worker module (without extension; see workerThread). */
export const EXPERIMENT_WORKER = path.join(__dirname, 'worker');

/** Outcome of one run. */
export type RunOutcome = { readonly run: PlannedTask; readonly row: ExperimentRow } | { readonly run: PlannedTask; readonly error: string };

/**
 * Tasks posted ahead to each worker thread while this thread runs tasks too. Handing over
 * the next task waits for this thread's run to end: with two in flight the other thread sat
 * idle 1.1-1.9 s of `compare`'s 5-7 s; with four, 0.2 s (wall 6.6-7.0 s against 6.9-8.2 s in
 * three alternating pairs).
 */
export const QUEUED_AHEAD = 4;

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
  await runOnWorkers<PlannedTask, ReturnType<typeof executePlanned>>(runs, {
    workers: o.workers,
    worker: workerThread(EXPERIMENT_WORKER, { context: o.context, modules: [...o.modules] } satisfies WorkerSetup),
    name: 'runInWorker',
    family: familyOf,
    // every run on a thread of its own: one that dies (out of memory) fails that run only
    onResult: (run, r) =>
      o.onResult('error' in r ? { run, error: `the worker thread failed: ${r.error.message}` } : 'row' in r.value ? { run, row: r.value.row } : { run, error: r.value.error }),
  });
};

/**
 * Run `tasks` on `workers` workers, the tasks of one family on one worker (affinity.ts):
 * worker 0 is this thread when `local` is given (it has loaded and warmed up the code
 * already), the others are threads started on `worker` (see workerThread), whose export
 * `name` runs one task (one single-thread piscina pool each). A thread gets its next task
 * only when this thread's event loop hands it over: with this thread a worker too, busy in a
 * run of its own, each thread has {@link QUEUED_AHEAD} tasks posted to it (a thread that dies
 * fails those); otherwise two in flight, one running and one waiting here (a thread that dies
 * fails its run only). `onResult` gets each task's value, or the error of a thread that died
 * in it (piscina starts another), as soon as it is done.
 */
export const runOnWorkers = async <T, R>(
  tasks: readonly T[],
  o: {
    workers: number;
    worker: { filename: string; workerData: unknown };
    name: string;
    family: (t: T) => string;
    local?: (t: T) => R;
    onResult: (t: T, r: { value: R } | { error: Error }) => void;
  },
): Promise<void> => {
  const workers = Math.max(1, Math.min(o.workers, tasks.length));
  const local = o.local;
  const queue = new AffinityQueue(tasks, workers, o.family);
  const first = local === undefined ? 0 : 1;
  // posted to the thread, and handed to its pool (the rest wait in piscina's queue here)
  const posted = local === undefined ? 1 : QUEUED_AHEAD;
  const ahead = Math.max(2, posted);
  const pools = Array.from(
    { length: workers - first },
    () => new Piscina<T, R>({ ...o.worker, name: o.name, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: posted }),
  );
  const drainThread = async (w: number): Promise<void> => {
    const pool = pools[w - first];
    const inFlight = new Set<Promise<void>>();
    const launch = (): boolean => {
      const t = queue.next(w);
      if (t === undefined) return false;
      const p: Promise<void> = pool.run(t).then(
        (value) => o.onResult(t, { value }),
        (error: Error) => o.onResult(t, { error }),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      return true;
    };
    while (inFlight.size < ahead && launch());
    while (inFlight.size > 0) {
      await Promise.race(inFlight);
      while (inFlight.size < ahead && launch());
    }
  };
  const drainHere = async (run: (t: T) => R): Promise<void> => {
    // the threads' first tasks go out before this thread's first run, which holds the event
    // loop: posted after it, they reached a thread that had been ready for 0.4 s
    await new Promise((r) => setImmediate(r));
    for (let t = queue.next(0); t !== undefined; t = queue.next(0)) {
      o.onResult(t, { value: run(t) });
      // let the threads' results in (and their next tasks out) between runs
      await new Promise((r) => setImmediate(r));
    }
  };
  try {
    await Promise.all([...pools.map((_, i) => drainThread(i + first)), ...(local === undefined ? [] : [drainHere(local)])]);
  } finally {
    await Promise.all(pools.map((p) => p.destroy()));
  }
};

/** The family of a task for the workers' affinity: its strategy (the VMM code it warms up), or the host runs'. */
export const familyOf = (t: PlannedTask): string => (t.kind === 'run' ? `run:${t.strategy}` : 'host');
