/**
 * Reading and checking an experiment spec: JSON syntax, the codec, unknown properties, its
 * name (a safe file name), its axes (no empty sweep, a sweep chart on an axis it has), and
 * the names and values it uses (strategies, options, workloads, parameters, profiles,
 * machine settings), all errors at once.
 * @category Experiments
 */
import * as fs from 'fs';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { loadProfile } from '../../core/cost/profile';
import { formatValidationErrors } from '../../core/codec/format-errors';
import { axisProblems } from './axes';
import { ExperimentSpecCodec, type ExperimentSpec } from './codec';
import { unknownKeys } from './json-schema';
import { expandMatrix } from './matrix';
import { experimentNameProblem } from './name';

/** Parse spec text (already read) from `origin`; all problems at once, prefixed by the origin. */
export const parseSpec = (text: string, origin: string): Either<string[], ExperimentSpec> => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return left([`${origin}: not valid JSON: ${(e as Error).message}`]);
  }
  const decoded = ExperimentSpecCodec.decode(json);
  const errors = [...(isLeft(decoded) ? formatValidationErrors(decoded.left) : []), ...unknownKeys(ExperimentSpecCodec, json)];
  if (errors.length > 0 || isLeft(decoded)) return left(errors.map((e) => `${origin}: ${e}`));
  const spec = decoded.right;
  const semantic: string[] = [];
  const nameProblem = experimentNameProblem(spec.name);
  if (nameProblem !== null) semantic.push(`name: ${nameProblem}`);
  semantic.push(...axisProblems(spec));
  if (spec.strategies.length === 0) semantic.push('strategies: expected at least one strategy, got []');
  if (spec.workloads.length === 0) semantic.push('workloads: expected at least one workload, got []');
  if (spec.profiles.length === 0) semantic.push('profiles: expected at least one profile, got []');
  spec.profiles.forEach((p, i) => {
    const r = loadProfile(p);
    if (isLeft(r)) semantic.push(`profiles[${i}]: ${r.left}`);
  });
  if (spec.repetitions !== undefined && !(Number.isInteger(spec.repetitions) && spec.repetitions >= 1))
    semantic.push(`repetitions: expected an integer >= 1, got ${spec.repetitions}`);
  if (spec.maxInstructions !== undefined && !(Number.isInteger(spec.maxInstructions) && spec.maxInstructions >= 1))
    semantic.push(`maxInstructions: expected an integer >= 1, got ${spec.maxInstructions}`);
  if (semantic.length === 0) {
    const m = expandMatrix(spec);
    if (isLeft(m)) semantic.push(...m.left);
  }
  return semantic.length > 0 ? left(semantic.map((e) => `${origin}: ${e}`)) : right(spec);
};

/** Read and check a spec file. */
export const loadSpec = (file: string): Either<string[], { spec: ExperimentSpec; text: string }> => {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return left([`cannot read spec '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`]);
  }
  const r = parseSpec(text, file);
  return isLeft(r) ? r : right({ spec: r.right, text });
};
