/**
 * The version of the results format (experiment.json, results.jsonl and compare's record):
 * raised when a change would make older readers misread newer files or the reverse. Format
 * 1 is everything written before versions were recorded. The README's migration notes say
 * what changed.
 * @category Common
 */

/** The format this ringlab writes and reads. */
export const FORMAT_VERSION = 3;

/** Why a file of format `found` cannot be used here, or null if it can; `what` names the file, `dir` its results directory. */
export const formatVersionProblem = (found: unknown, what: string, dir: string): string | null => {
  const v = found === undefined ? 1 : found;
  if (v === FORMAT_VERSION) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) return `${what}: formatVersion must be an integer, got ${JSON.stringify(found)}`;
  return v < FORMAT_VERSION
    ? `${what} is in results format ${v}${found === undefined ? ' (written before format versions)' : ''}; this ringlab reads format ${FORMAT_VERSION}. Rerun it from its record: ringlab experiment --from ${dir}/experiment.json --out NEW_DIR (see "Migration notes" in the README)`
    : `${what} is in results format ${v}, newer than this ringlab's ${FORMAT_VERSION}; use a newer ringlab`;
};
