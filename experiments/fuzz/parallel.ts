/**
 * The fuzzer on N worker threads (piscina): the programs are generated here in order (the
 * same seed gives the same programs), each runs in a worker under every configuration, and
 * the outcomes join in program order, so the report is the one `fuzz` gives in one thread.
 * @category Fuzz
 */
import * as path from 'path';
import { Piscina } from 'piscina';
import { fuzz, fuzzPrograms, joinOutcomes, type FuzzReport, type FuzzSpec, type ProgramOutcome } from './fuzz';
import type { FuzzTask } from './worker';
import { workerThread } from '../common/worker-thread';

/** The fuzzer's worker module (without extension; see workerThread). */
const FUZZ_WORKER = path.join(__dirname, 'worker');

/** Fuzz on `workers` threads (1: in this thread). Strategies are looked up by name in the workers. */
export const fuzzOnWorkers = async (spec: FuzzSpec, workers: number): Promise<FuzzReport> => {
  if (workers <= 1) return fuzz(spec);
  const pool = new Piscina<FuzzTask, ProgramOutcome>({ ...workerThread(FUZZ_WORKER, {}), name: 'fuzzInWorker', minThreads: workers, maxThreads: workers });
  const names = spec.strategies.map((s) => s.name);
  let done = 0;
  try {
    const outcomes = await Promise.all(
      [...fuzzPrograms(spec)].map((program) =>
        pool.run({ program, strategies: names, profile: spec.profile, engines: spec.engines }).then((o) => {
          spec.onProgress?.(++done);
          return o;
        }),
      ),
    );
    return joinOutcomes(spec.programs, outcomes);
  } finally {
    await pool.destroy();
  }
};
