/**
 * Running one planned run: the shared step of the in-process runner and the worker threads.
 * @category Runner
 */
import { isLeft } from 'fp-ts/Either';
import { runOne } from '../run/run-one';
import type { PlannedRun } from '../spec/matrix';
import { validateRow, type ResultRow } from './result-codec';

/** Run a planned run; returns a validated results row or an error message. */
export const executePlanned = (p: PlannedRun, experiment: string, seed: number): { row: ResultRow } | { error: string } => {
  try {
    const r = runOne({
      strategy: p.strategy,
      options: p.options,
      workload: p.workload,
      params: p.params,
      profile: p.profile,
      isa: p.isa,
      machine: p.machine,
      maxInstructions: p.maxInstructions,
    });
    if (isLeft(r)) return { error: r.left.join('; ') };
    const row: ResultRow = { ...r.right, experiment, key: p.key, index: p.index, label: p.label, repetition: p.repetition, seed };
    const v = validateRow(row, `run ${p.index}`);
    return isLeft(v) ? { error: v.left } : { row };
  } catch (e) {
    return { error: `internal error in run ${p.index} (${p.label}, ${p.workload}): ${(e as Error).stack ?? String(e)}` };
  }
};
