/**
 * An experiment run in the calling process, its rows returned instead of written: for
 * notebooks and other programs that use ringlab as a library. The spec is checked as a spec
 * file is (all problems at once), expanded into the same matrix, and each run gives the
 * same result row, provenance included, as `ringlab experiment` writes; nothing goes to disk.
 * @category Runner
 */
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { runProvenance } from '../common/provenance';
import { expandMatrix } from '../spec/matrix';
import { parseSpec } from '../spec/load';
import { describeTask, executePlanned } from './execute';
import { specHash } from './manifest';
import { isHostRow, type HostRow, type ResultRow } from './result-codec';

/** What an in-process experiment gives back. */
export interface InProcessResults {
  /** one row per run that finished, in matrix order */
  readonly rows: readonly ResultRow[];
  /** one row per host run of the `hosts` axis that finished, in order */
  readonly hostRows: readonly HostRow[];
  /** combinations a strategy refused (e.g. nested paging on a profile without it), with why */
  readonly skipped: readonly string[];
  /** runs that ended in an error, each with its label and workload */
  readonly errors: readonly string[];
}

/**
 * Run the experiment `spec` (the object a spec file holds) here, one run after another.
 * Bad specs are a Left with every problem; runs that fail are listed in `errors`.
 */
export const runSpec = (spec: unknown): Either<string[], InProcessResults> => {
  const parsed = parseSpec(JSON.stringify(spec), 'spec');
  if (isLeft(parsed)) return parsed;
  const matrix = expandMatrix(parsed.right);
  if (isLeft(matrix)) return left(matrix.left);
  const context = { experiment: parsed.right.name, seed: parsed.right.seed ?? 1, provenance: runProvenance(specHash(parsed.right)) };
  const rows: ResultRow[] = [];
  const hostRows: HostRow[] = [];
  const errors: string[] = [];
  for (const run of [...matrix.right.runs, ...matrix.right.hosts]) {
    const out = executePlanned(run, context);
    if ('row' in out) {
      if (isHostRow(out.row)) hostRows.push(out.row);
      else rows.push(out.row);
    } else errors.push(`${describeTask(run, ' ')}: ${out.error}`);
  }
  return right({ rows, hostRows, skipped: matrix.right.skipped, errors });
};
