/**
 * The experiment manifest (DIR/experiment.json), the record of a results directory: what
 * was run and with what - the spec and its hash, the commit, ringlab's and its
 * dependencies' versions, the cost profiles' hashes, the host, the seed, the shard - and
 * the rules that keep an output directory from being overwritten by another experiment.
 * A directory can be rerun from its record alone (`ringlab experiment --from`).
 * @category Runner
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { formatValidationErrors } from '../../core/codec/format-errors';
import { FORMAT_VERSION, formatVersionProblem } from '../common/format-version';
import { ExperimentSpecCodec, type ExperimentSpec } from '../spec/codec';
import { isNonDirectory } from '../common/files';

/** Name of the manifest file in an output directory. */
export const MANIFEST_FILE = 'experiment.json';

/** Name of the results file in an output directory. */
export const RESULTS_FILE = 'results.jsonl';

const Shard = t.union([t.type({ k: t.number, n: t.number }), t.null]);

/** Codec of the manifest (format FORMAT_VERSION). */
export const ManifestCodec = t.intersection([
  t.type({
    kind: t.literal('ringlab-experiment'),
    formatVersion: t.literal(FORMAT_VERSION),
    experiment: t.string,
    specHash: t.string,
    spec: ExperimentSpecCodec,
    specFile: t.union([t.string, t.null]),
    commit: t.string,
    /** tracked files differed from the commit */
    modified: t.boolean,
    ringlabVersion: t.string,
    /** installed versions of the direct dependencies */
    dependencies: t.record(t.string, t.union([t.string, t.null])),
    /** the cost profiles used, by the spec's name for them: file and sha256 */
    profiles: t.record(t.string, t.type({ file: t.string, sha256: t.union([t.string, t.null]) })),
    seed: t.number,
    host: t.type({ hostname: t.string, platform: t.string, cpus: t.string, cores: t.number, node: t.string }),
    started: t.string,
    /** this directory's slice of the matrix, or null for all of it */
    shard: Shard,
    /** where the shard came from: --shard, a scheduler's variable (SLURM_ARRAY_TASK_ID ...), --from; null without a shard */
    shardSource: t.union([t.string, t.null]),
    strategyModules: t.array(t.string),
  }),
  t.partial({
    /** the record this run was rerun from (--from) */
    rerunOf: t.string,
    /** the shard directories a merge joined */
    mergedFrom: t.array(t.string),
  }),
]);

/** Provenance of an experiment's results. */
export type Manifest = t.TypeOf<typeof ManifestCodec>;

/**
 * Identity of the runs a spec asks for: everything but the schema link, the description,
 * the output settings (charts are redrawn from the same results, so changing them keeps
 * `--resume` possible) and the number of shards (how the runs are split, not which).
 */
export const specHash = (spec: ExperimentSpec): string => {
  const { $schema: _schema, description: _description, output: _output, shards: _shards, ...runs } = spec;
  void [_schema, _description, _output, _shards];
  return createHash('sha256').update(JSON.stringify(runs)).digest('hex').slice(0, 16);
};

/** The host description recorded with results. */
export const hostInfo = (): Manifest['host'] => ({
  hostname: os.hostname(),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
});

/** The raw JSON of a directory's record if it is a ringlab experiment's, else null. */
export const readRecordJson = (file: string): Record<string, unknown> | null => {
  if (!fs.existsSync(file)) return null;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return json !== null && typeof json === 'object' && (json as { kind?: unknown }).kind === 'ringlab-experiment' ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/**
 * Read a directory's manifest: null if it holds no ringlab experiment, an error if it holds
 * one this ringlab cannot use (another results format, or a damaged record).
 */
export const readManifest = (dir: string): Either<string, Manifest | null> => {
  const file = path.join(dir, MANIFEST_FILE);
  const json = readRecordJson(file);
  if (json === null) return right(null);
  const version = formatVersionProblem(json.formatVersion, `'${dir}'`, dir);
  if (version !== null) return left(version);
  const m = ManifestCodec.decode(json);
  return isLeft(m) ? left(`${file}: not a valid experiment record\n  ${formatValidationErrors(m.left).join('\n  ')}`) : right(m.right);
};

/** What to do with an output directory. */
export type OutDirPlan = { readonly kind: 'fresh' } | { readonly kind: 'resume' } | { readonly kind: 'refuse'; readonly why: string };

/**
 * Decide whether an experiment may write into `dir`: a new or empty directory is fine; the
 * same experiment's directory needs --resume (continue) or --force (start over); anything
 * else needs --force.
 */
export const planOutDir = (dir: string, hash: string, name: string, shard: Manifest['shard'], o: { resume: boolean; force: boolean }): OutDirPlan => {
  if (isNonDirectory(dir)) return { kind: 'refuse', why: `'${dir}' exists and is not a directory; choose another --out` };
  if (!fs.existsSync(dir) || fs.readdirSync(dir).length === 0) return { kind: 'fresh' };
  const read = readManifest(dir);
  if (isLeft(read)) return o.force ? { kind: 'fresh' } : { kind: 'refuse', why: `${read.left}; or pass --force to replace them` };
  const m = read.right;
  if (m === null)
    return o.force ? { kind: 'fresh' } : { kind: 'refuse', why: `'${dir}' is not empty and holds no ringlab experiment; choose another --out, or pass --force to write into it` };
  const same = m.specHash === hash && JSON.stringify(m.shard) === JSON.stringify(shard);
  if (!same) {
    const what = m.specHash !== hash ? `results of experiment '${m.experiment}' (spec ${m.specHash})` : `shard ${m.shard ? `${m.shard.k}/${m.shard.n}` : 'all'} of this experiment`;
    if (o.force) return { kind: 'fresh' };
    return { kind: 'refuse', why: `'${dir}' holds ${what}, not ${name} (spec ${hash}${shard ? `, shard ${shard.k}/${shard.n}` : ''}); choose another --out, or pass --force to replace them${o.resume ? ' (--resume continues only the same experiment)' : ''}` };
  }
  if (o.resume) return { kind: 'resume' };
  if (o.force) return { kind: 'fresh' };
  const done = fs.existsSync(path.join(dir, RESULTS_FILE)) ? fs.readFileSync(path.join(dir, RESULTS_FILE), 'utf8').split('\n').filter((l) => l.trim()).length : 0;
  return { kind: 'refuse', why: `'${dir}' already holds ${done} result(s) of ${name}; pass --resume to continue it, or --force to start over` };
};

/**
 * Why directories holding `manifests` are not distinct shards of one split of an experiment,
 * or null: a directory given twice, a whole run among others, shards of different counts, or
 * the same shard twice. A single directory is fine (a partial merge).
 */
export const shardSetProblem = (dirs: readonly string[], manifests: readonly Manifest[]): string | null => {
  const real = dirs.map((d) => fs.realpathSync(d));
  const twice = real.findIndex((r, i) => real.indexOf(r) !== i);
  if (twice >= 0) return `'${dirs[twice]}' is given twice${dirs[real.indexOf(real[twice])] === dirs[twice] ? '' : ` (also as '${dirs[real.indexOf(real[twice])]}')`}`;
  if (dirs.length < 2) return null;
  const what = (i: number): string => {
    const s = manifests[i].shard;
    return `${dirs[i]} (${s === null ? 'the whole experiment' : `shard ${s.k}/${s.n}`})`;
  };
  const all = dirs.map((_, i) => what(i)).join(', ');
  const whole = manifests.findIndex((m) => m.shard === null);
  if (whole >= 0) return `${what(whole)} is not a shard; merge joins the shards of one split of an experiment: ${all}`;
  const shards = manifests.map((m) => m.shard!);
  if (new Set(shards.map((s) => s.n)).size > 1) return `these are shards of different splits (different N in k/N): ${all}`;
  const again = shards.findIndex((s, i) => shards.findIndex((t) => t.k === s.k) !== i);
  if (again >= 0) {
    const first = shards.findIndex((t) => t.k === shards[again].k);
    return `'${dirs[first]}' and '${dirs[again]}' both hold shard ${shards[again].k}/${shards[again].n}`;
  }
  return null;
};
