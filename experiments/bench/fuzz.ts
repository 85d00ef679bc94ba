/**
 * The fuzzer's throughput in the bench: CPU milliseconds per random user program (every
 * configuration of every strategy, each compared with native) on the interpreter alone and on
 * both engines, in this thread after a warm-up (the kernel assembled, the JIT's region cache
 * holding the kernel's code), so the cost of a long `ringlab fuzz` run can be foreseen.
 * @category Bench
 */
import type { Engine } from '../../core/cpu/engine';
import { allStrategies } from '../../strategies/modules';
import { fuzz } from '../fuzz/fuzz';
import { cpuMs } from './clock';

/** One engine set's figure. */
export interface FuzzBenchRow {
  readonly engines: string;
  readonly programs: number;
  readonly runs: number;
  readonly cpuMsPerProgram: number;
}

/** Fuzz `programs` user programs (after `warmup` more) on each engine set; CPU ms per program. */
export const benchFuzz = (programs: number, warmup = 3): FuzzBenchRow[] =>
  ([['interp'], ['interp', 'jit']] as Engine[][]).map((engines) => {
    fuzz({ programs: warmup, seed: 99, strategies: allStrategies(), kernelMode: false, engines });
    const t0 = cpuMs();
    const r = fuzz({ programs, seed: 1, strategies: allStrategies(), kernelMode: false, engines });
    return { engines: engines.join(','), programs, runs: r.runs, cpuMsPerProgram: Math.round((cpuMs() - t0) / programs) };
  });
