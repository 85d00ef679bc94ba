/**
 * What an experiment runs, and how: a spec file, or the record (experiment.json) of an
 * earlier results directory, whose spec, seed, shard and strategy modules are rerun as
 * recorded. Rerunning a record also says where this ringlab differs from the one that wrote
 * it (commit, versions, profiles).
 * @category Runner
 */
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { loadStrategyModule } from '../../strategies/modules';
import { dependencyVersions, gitState, profileHashes } from '../common/provenance';
import { RINGLAB_VERSION } from '../common/version';
import type { ExperimentSpec } from '../spec/codec';
import { loadSpec, parseSpec } from '../spec/load';
import { MANIFEST_FILE, readRecordJson, type Manifest } from './manifest';

/** A spec and how to run it. */
export interface ExperimentSource {
  readonly spec: ExperimentSpec;
  readonly specFile: string | null;
  readonly seed: number;
  /** the shard a record fixes; undefined when not rerunning a record */
  readonly shard?: Manifest['shard'];
  readonly strategyModules: readonly string[];
  /** the record rerun */
  readonly rerunOf?: string;
  /** where this ringlab differs from the one that wrote the record */
  readonly drift: readonly string[];
}

/** A spec file, run with its own seed. */
export const sourceFromSpecFile = (file: string, strategyModules: readonly string[]): Either<string[], ExperimentSource> => {
  const loaded = loadSpec(file);
  if (isLeft(loaded)) return loaded;
  const spec = loaded.right.spec;
  return right({ spec, specFile: path.resolve(file), seed: spec.seed ?? 1, strategyModules: strategyModules.map((m) => path.resolve(m)), drift: [] });
};

const differences = (label: string, was: Readonly<Record<string, unknown>>, now: Readonly<Record<string, unknown>>): string[] =>
  [...new Set([...Object.keys(was), ...Object.keys(now)])]
    .filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]))
    .map((k) => `${label} ${k}: recorded ${JSON.stringify(was[k] ?? null)}, now ${JSON.stringify(now[k] ?? null)}`);

/**
 * A record (DIR/experiment.json, or DIR) to rerun. Records of any results format are
 * accepted: only the spec, seed, shard and strategy modules are read, and those have not
 * changed meaning.
 */
export const sourceFromRecord = (recordPath: string): Either<string[], ExperimentSource> => {
  const file = fs.existsSync(recordPath) && fs.statSync(recordPath).isDirectory() ? path.join(recordPath, MANIFEST_FILE) : recordPath;
  if (!fs.existsSync(file)) return left([`--from: no such file '${file}'`]);
  const json = readRecordJson(file);
  if (json === null) return left([`--from: '${file}' is not the record of a ringlab experiment (an experiment.json written by \`ringlab experiment\`)`]);
  const strategyModules = Array.isArray(json.strategyModules) ? (json.strategyModules as string[]) : [];
  // the spec may name strategies of the recorded modules
  const loaded = strategyModules.map(loadStrategyModule).filter(isLeft);
  if (loaded.length > 0) return left(loaded.map((l) => `--from: ${l.left}`));
  const spec = parseSpec(JSON.stringify(json.spec), `${file}: spec`);
  if (isLeft(spec)) return spec;
  const shard = json.shard as Manifest['shard'] | undefined;
  const now = gitState();
  const drift = [
    ...(json.commit !== undefined && json.commit !== now.commit ? [`commit: recorded ${json.commit}, now ${now.commit}`] : []),
    ...(json.modified === true || now.modified ? [`modified checkout: recorded ${json.modified ?? 'unknown'}, now ${now.modified}`] : []),
    ...(json.ringlabVersion !== undefined && json.ringlabVersion !== RINGLAB_VERSION ? [`ringlab version: recorded ${json.ringlabVersion}, now ${RINGLAB_VERSION}`] : []),
    ...(json.dependencies ? differences('dependency', json.dependencies as Record<string, unknown>, dependencyVersions()) : []),
    ...(json.profiles ? differences('profile', json.profiles as Record<string, unknown>, profileHashes(spec.right.profiles)) : []),
  ];
  return right({
    spec: spec.right,
    specFile: typeof json.specFile === 'string' ? json.specFile : null,
    seed: typeof json.seed === 'number' ? json.seed : (spec.right.seed ?? 1),
    shard: shard ?? null,
    strategyModules,
    rerunOf: path.resolve(file),
    drift,
  });
};
