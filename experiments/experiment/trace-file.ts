/**
 * Where `ringlab experiment --trace` writes a run's trace: one Chrome/Perfetto trace per run
 * in DIR/traces/, named by the run's matrix index, configuration label, workload and
 * profile, so files sort in matrix order and say what they hold.
 * @category Runner
 */
import * as path from 'path';
import type { PlannedRun } from '../spec/matrix';
import type { PlannedHost } from '../spec/host-axis';

/** The folder of an experiment's traces. */
export const TRACE_DIR = 'traces';

/** A file-name-safe form of a label: `hardware-assisted (paging=nested)` -> `hardware-assisted-paging=nested`. */
const slug = (s: string): string => s.replace(/[^A-Za-z0-9.=_-]+/g, '-').replace(/^-+|-+$/g, '');

/** The trace file of a run in `dir` (the experiment's traces folder). */
export const traceFileOf = (dir: string, run: PlannedRun): string =>
  path.join(dir, `${String(run.index).padStart(6, '0')}-${slug(run.label)}-${slug(run.workload)}-${slug(run.profile)}${run.repetition > 0 ? `-rep${run.repetition}` : ''}.json`);

/** The trace file of a host run in `dir`: its index, label and `host` (one track per logical CPU). */
export const hostTraceFileOf = (dir: string, run: PlannedHost): string =>
  path.join(dir, `${String(run.index).padStart(6, '0')}-${slug(run.label)}-host${run.repetition > 0 ? `-rep${run.repetition}` : ''}.json`);
