/**
 * A worker thread of the parallel fuzzer (run by piscina): runs one program under every
 * configuration of the named strategies (experiments/fuzz/fuzz.ts fuzzProgram).
 * @category Fuzz
 */
import { isLeft } from 'fp-ts/Either';
import { lookupStrategy } from '../../strategies/modules';
import type { Engine } from '../../core/cpu/engine';
import type { FuzzProgram } from './generate';
import { fuzzProfile, fuzzProgram, type ProgramOutcome } from './fuzz';

/** One program to run in a worker. */
export interface FuzzTask {
  readonly program: FuzzProgram;
  readonly strategies: readonly string[];
  readonly profile?: string;
  readonly engines?: readonly Engine[];
}

/** Piscina's entry: the program's outcome. */
export const fuzzInWorker = (task: FuzzTask): ProgramOutcome => {
  const strategies = task.strategies.map((n) => {
    const s = lookupStrategy(n);
    if (isLeft(s)) throw new Error(s.left);
    return s.right;
  });
  return fuzzProgram(task.program, strategies, fuzzProfile(task.profile), task.engines);
};
