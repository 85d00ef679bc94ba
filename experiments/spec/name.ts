/**
 * Experiment names: a name is the default output directory (out/NAME), so it must be a plain
 * file name that cannot lead outside out/.
 * @category Experiments
 */

/** Longest experiment name. */
export const MAX_NAME_LENGTH = 100;

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `name` cannot name an experiment, or null if it can. */
export const experimentNameProblem = (name: string): string | null =>
  SAFE_NAME.test(name) && name.length <= MAX_NAME_LENGTH
    ? null
    : `expected a file name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters: it names the output directory out/NAME), got ${JSON.stringify(name)}`;
