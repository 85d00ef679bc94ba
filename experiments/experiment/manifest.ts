/**
 * The experiment manifest (DIR/experiment.json): what was run and where - the spec, its
 * hash, the commit, the host, the seed, the shard - and the rules that keep an output
 * directory from being overwritten by another experiment.
 * @category Runner
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isNonDirectory } from '../common/files';
import type { ExperimentSpec } from '../spec/codec';

/** Name of the manifest file in an output directory. */
export const MANIFEST_FILE = 'experiment.json';

/** Name of the results file in an output directory. */
export const RESULTS_FILE = 'results.jsonl';

/** Provenance of an experiment's results. */
export interface Manifest {
  readonly kind: 'ringlab-experiment';
  readonly experiment: string;
  readonly specHash: string;
  readonly spec: ExperimentSpec;
  readonly specFile: string | null;
  readonly commit: string;
  readonly seed: number;
  readonly host: { readonly hostname: string; readonly platform: string; readonly cpus: string; readonly cores: number; readonly node: string };
  readonly started: string;
  /** this directory's slice of the matrix, or null for all of it */
  readonly shard: { readonly k: number; readonly n: number } | null;
  readonly strategyModules: readonly string[];
}

/**
 * Identity of the runs a spec asks for: everything but the schema link, the description and
 * the output settings (charts are redrawn from the same results, so changing them keeps
 * `--resume` possible).
 */
export const specHash = (spec: ExperimentSpec): string => {
  const { $schema: _schema, description: _description, output: _output, ...runs } = spec;
  void [_schema, _description, _output];
  return createHash('sha256').update(JSON.stringify(runs)).digest('hex').slice(0, 16);
};

/** The current commit of the ringlab checkout, or 'unknown'. */
export const currentCommit = (): string => {
  try {
    const root = path.join(__dirname, '..', '..');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+modified` : head;
  } catch {
    return 'unknown';
  }
};

/** The host description recorded with results. */
export const hostInfo = (): Manifest['host'] => ({
  hostname: os.hostname(),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
});

/** Read a directory's manifest, or null. */
export const readManifest = (dir: string): Manifest | null => {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    return m.kind === 'ringlab-experiment' ? m : null;
  } catch {
    return null;
  }
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
  const m = readManifest(dir);
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

/** Parse `k/N` (1 <= k <= N). */
export const parseShard = (s: string): { k: number; n: number } | string => {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) return `--shard expects k/N with 1 <= k <= N (e.g. 2/8), got '${s}'`;
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n) return `--shard ${s}: k must be between 1 and N (e.g. 1/${Math.max(n, 1)} to ${Math.max(n, 1)}/${Math.max(n, 1)})`;
  return { k, n };
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
