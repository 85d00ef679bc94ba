/**
 * How long an experiment will take, roughly, and how big a run needs the user's explicit
 * go-ahead: a typo in a sweep (a list of 1,000 values) must not start days of work unasked.
 * @category Runner
 */
import { formatDuration, formatNumber } from '../common/format';

/**
 * Host seconds per run per worker thread: a rough figure from the shipped experiments on a
 * 2-core machine, run with one worker (0.03 s per run for ablations.json's short workloads,
 * 0.07 s for macro.json, 0.09-0.14 s for nanobench.json's; each includes the process's
 * warm-up shared out over its runs).
 */
export const SECONDS_PER_RUN = 0.1;

/** Most runs `ringlab experiment` starts without `--yes`. */
export const MAX_RUNS_WITHOUT_YES = 20_000;

/** The estimate for `runs` runs on `workers` workers, saying it is one. */
export const estimate = (runs: number, workers: number): string => {
  const seconds = (runs * SECONDS_PER_RUN) / workers;
  return `estimated time ${seconds < 1 ? 'under a second' : `about ${formatDuration(seconds)}`} (a rough figure: ~${SECONDS_PER_RUN} s per run per worker)`;
};

/** Why `runs` runs need `--yes`, or null if they do not. */
export const needsConfirmation = (runs: number, workers: number): string | null =>
  runs <= MAX_RUNS_WITHOUT_YES
    ? null
    : `this would run ${formatNumber(runs)} runs on ${workers} worker${workers === 1 ? '' : 's'}, ${estimate(runs, workers)}; ` +
      `more than ${formatNumber(MAX_RUNS_WITHOUT_YES)} runs need --yes (or run a slice at a time with --shard k/N)`;
