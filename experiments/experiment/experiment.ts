/**
 * `ringlab experiment SPEC`: expand the spec, run its (shard of the) matrix on worker
 * threads, append every finished run to DIR/results.jsonl at once (an interrupted sweep
 * loses nothing; --resume skips what is done), then write the CSV and the charts.
 * `ringlab merge` joins shard directories.
 * @category Runner
 */
import * as fs from 'fs';
import type { Engine } from '../../core/cpu/engine';
import * as os from 'os';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { loadStrategyModule } from '../../strategies/modules';
import { writeCharts } from '../charts/write-charts';
import { experimentCharts, type ChartName } from '../charts/from-results';
import { CliError, ExitCode } from '../common/errors';
import { makeOutDir } from '../common/files';
import { TRACE_DIR } from './trace-file';
import { enableTypeScriptModules } from '../common/typescript-modules';
import { formatNumber, table } from '../common/format';
import { toCsv } from '../run/csv';
import { FORMAT_VERSION } from '../common/format-version';
import { dependencyVersions, profileHashes, runProvenance, type RunProvenance } from '../common/provenance';
import { expandMatrix, type PlannedTask } from '../spec/matrix';
import type { ExperimentSpec } from '../spec/codec';
import { hostInfo, MANIFEST_FILE, planOutDir, readManifest, RESULTS_FILE, shardSetProblem, specHash, type Manifest } from './manifest';
import { parseShard, shardFromEnvironment } from './shard';
import { sourceFromRecord, sourceFromSpecFile, type ExperimentSource } from './source';
import { estimate, needsConfirmation } from './estimate';
import { runPool } from './pool';
import { progress, type ProgressStream } from './progress';
import { hostRowsOf, parseResults, runRowsOf, type ExperimentRow, type ResultRow } from './result-codec';
import { describeTask } from './execute';
import { hostCharts, hostSummary, isHostChart } from '../charts/host-charts';

/** Files the runner writes into an output directory (removed by --force, nothing else is). */
const OUTPUT_FILES = [MANIFEST_FILE, RESULTS_FILE, 'results.csv', 'report.html', 'summary.txt'];

/** Options of `ringlab experiment`. */
export interface ExperimentOptions {
  /** the spec to run; or */
  readonly specFile?: string;
  /** the record of a results directory to rerun as recorded */
  readonly from?: string;
  readonly outDir?: string;
  readonly workers?: number;
  readonly shard?: string;
  /** the number of shards, for a scheduler's 0-based task index */
  readonly shards?: number;
  /** where scheduler variables are read (default: the process environment) */
  readonly env?: NodeJS.ProcessEnv;
  readonly resume: boolean;
  readonly force: boolean;
  /** run even more than MAX_RUNS_WITHOUT_YES runs */
  readonly yes: boolean;
  readonly strategyModules: readonly string[];
  /** write a Chrome/Perfetto trace of each run into DIR/traces/ */
  readonly trace?: boolean;
  /** the simulator engine (host machinery: not part of the spec or its hash) */
  readonly engine?: Engine;
  /** progress output */
  readonly stream?: ProgressStream;
}

/** Load strategy modules or fail with the reason. */
export const loadModules = (files: readonly string[]): void => {
  enableTypeScriptModules(files);
  for (const f of files) {
    const r = loadStrategyModule(f);
    if (isLeft(r)) throw new CliError(r.left);
  }
};

/** Read a directory's results (runs and host runs), validated. */
export const readResults = (dir: string): ExperimentRow[] => {
  const file = path.join(dir, RESULTS_FILE);
  if (!fs.existsSync(file)) return [];
  const r = parseResults(fs.readFileSync(file, 'utf8'), file);
  if (isLeft(r)) throw new CliError(r.left.join('\n'));
  return r.right;
};

/** Drop a torn last line (a write interrupted mid-line) so a resumed run appends cleanly; returns whether one was dropped. */
const repairTail = (file: string): boolean => {
  if (!fs.existsSync(file)) return false;
  const text = fs.readFileSync(file, 'utf8');
  if (text === '' || text.endsWith('\n')) return false;
  fs.writeFileSync(file, text.slice(0, text.lastIndexOf('\n') + 1));
  return true;
};

/** The combinations a strategy refuses, counted and named (empty if none). */
export const skippedLines = (skipped: readonly string[]): string[] =>
  skipped.length ? ['', `skipped (not applicable): ${skipped.length} combination(s) a strategy refuses, not run:`, ...skipped.map((s) => `  ${s}`)] : [];

/** Write CSV, charts and the summary (with the skipped combinations) for the rows in `dir`; returns the summary text. */
export const writeOutputs = async (dir: string, spec: ExperimentSpec, all: readonly ExperimentRow[], skipped: readonly string[] = []): Promise<string> => {
  const rows = runRowsOf(all);
  const hosts = hostRowsOf(all);
  fs.writeFileSync(path.join(dir, 'results.csv'), toCsv(rows));
  const asked = spec.output?.charts;
  const names = (asked?.filter((n) => !isHostChart(n)) ?? ['slowdown', 'breakdown']) as ChartName[];
  const charts = [...experimentCharts(rows, names, { x: spec.output?.sweep, y: spec.output?.sweepY }), ...hostCharts(hosts, asked?.filter(isHostChart))];
  const chartDir = path.join(dir, 'charts');
  fs.mkdirSync(chartDir, { recursive: true });
  await writeCharts(chartDir, charts);
  const summary = [...(rows.length || hosts.length === 0 ? [summarize(rows)] : []), ...(hosts.length ? [hostSummary(hosts)] : [])].join('\n\n');
  fs.writeFileSync(path.join(dir, 'summary.txt'), `${[summary, ...skippedLines(skipped)].join('\n')}\n`);
  return `${summary}\n\ncharts: ${charts.map((c) => `charts/${c.name}.svg`).join(', ') || 'none'}`;
};

/** A table: one row per configuration and workload (first repetition), with the verdicts. */
export const summarize = (rows: readonly ResultRow[]): string => {
  const profiles = new Set(rows.map((r) => r.profile)).size;
  const body = rows
    .filter((r) => r.repetition === 0)
    .map((r) => [
      profiles > 1 ? `${r.label} @ ${r.profile}` : r.label,
      `${r.workload}${Object.keys(r.params).length ? ` ${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
      r.equivalent ? 'yes' : 'NO',
      r.slowdown === null ? '-' : `${r.slowdown.toFixed(2)}x`,
      Math.round(r.cycles.perOperation),
      r.events.exits.total + r.events.traps.total + r.events.hypercalls.total,
    ]);
  return table(['configuration', 'workload', 'equivalent', 'slowdown', 'cycles/op', 'VMM entries'], body);
};

const startManifest = (src: ExperimentSource, provenance: RunProvenance, shard: Manifest['shard'], shardSource: string | null): Manifest => ({
  kind: 'ringlab-experiment',
  formatVersion: FORMAT_VERSION,
  experiment: src.spec.name,
  specHash: provenance.specHash,
  spec: src.spec,
  specFile: src.specFile,
  ...(src.rerunOf ? { rerunOf: src.rerunOf } : {}),
  commit: provenance.commit,
  modified: provenance.modified,
  ringlabVersion: provenance.ringlabVersion,
  dependencies: dependencyVersions(),
  profiles: profileHashes(src.spec.profiles),
  seed: src.seed,
  host: hostInfo(),
  started: new Date().toISOString(),
  shard,
  shardSource,
  strategyModules: [...src.strategyModules],
});

/** The spec to run and how: from --from's record or the spec file. */
const experimentSource = (o: ExperimentOptions): ExperimentSource => {
  if ((o.from === undefined) === (o.specFile === undefined)) throw new CliError('give either a spec file or --from DIR/experiment.json (a record to rerun), not both or neither');
  if (o.from !== undefined && (o.shard !== undefined || o.shards !== undefined)) throw new CliError('--from reruns the shard the record names; leave out --shard and --shards');
  const src = o.from !== undefined ? sourceFromRecord(o.from) : sourceFromSpecFile(o.specFile!, o.strategyModules);
  if (isLeft(src)) throw new CliError(src.left.join('\n'));
  return src.right;
};

/** The shard to run: the record's (--from), --shard's, the scheduler's variables', or none. */
const chooseShard = (o: ExperimentOptions, src: ExperimentSource): { shard: Manifest['shard']; shardSource: string | null } => {
  if (src.shard !== undefined) return { shard: src.shard, shardSource: src.shard ? '--from' : null };
  if (o.shard !== undefined) {
    if (o.shards !== undefined) throw new CliError("--shards is for a scheduler's 0-based task index; --shard k/N already gives N");
    const s = parseShard(o.shard);
    if (isLeft(s)) throw new CliError(s.left);
    return { shard: s.right, shardSource: '--shard' };
  }
  const e = shardFromEnvironment(o.env ?? process.env, { shards: o.shards, specShards: src.spec.shards });
  if (isLeft(e)) throw new CliError(e.left);
  return e.right ? { shard: e.right.shard, shardSource: e.right.source } : { shard: null, shardSource: null };
};

/** Run an experiment; returns the text to print and the exit code. */
export const runExperiment = async (o: ExperimentOptions): Promise<{ text: string; exitCode: number }> => {
  loadModules(o.strategyModules);
  const src = experimentSource(o);
  const spec = src.spec;
  const matrix = expandMatrix(spec);
  if (isLeft(matrix)) throw new CliError(matrix.left.join('\n'));
  const { shard, shardSource } = chooseShard(o, src);
  const tasks: PlannedTask[] = [...matrix.right.runs, ...matrix.right.hosts];
  const mine = tasks.filter((r) => shard === null || r.index % shard.n === shard.k - 1);
  const dir = o.outDir ?? path.join('out', spec.name + (shard ? `-shard-${shard.k}-of-${shard.n}` : ''));
  const provenance = runProvenance(specHash(spec));
  const plan = planOutDir(dir, provenance.specHash, spec.name, shard, { resume: o.resume, force: o.force });
  if (plan.kind === 'refuse') throw new CliError(plan.why);
  const notes: string[] = src.drift.map((d) => `rerun differs from the record: ${d}`);
  if (plan.kind === 'resume' && repairTail(path.join(dir, RESULTS_FILE)))
    notes.push('dropped a partly written last line of results.jsonl (an interrupted run); that run is done again');
  const done = new Set(plan.kind === 'resume' ? readResults(dir).map((r) => r.key) : []);
  const todo: PlannedTask[] = mine.filter((r) => !done.has(r.key));
  const workers = Math.max(1, Math.min(o.workers ?? os.cpus().length, todo.length || 1));
  const unconfirmed = o.yes ? null : needsConfirmation(todo.length, workers);
  if (unconfirmed !== null) throw new CliError(`${spec.name}: ${unconfirmed}`);
  if (plan.kind === 'fresh') {
    if (fs.existsSync(dir)) {
      for (const f of OUTPUT_FILES) fs.rmSync(path.join(dir, f), { force: true });
      fs.rmSync(path.join(dir, TRACE_DIR), { recursive: true, force: true });
    }
    makeOutDir(dir);
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(startManifest(src, provenance, shard, shardSource), null, 2));
  }
  const stream = o.stream ?? process.stderr;
  stream.write(
    `${spec.name}: ${matrix.right.runs.length} runs in the matrix${matrix.right.hosts.length ? ` and ${matrix.right.hosts.length} host run${matrix.right.hosts.length === 1 ? '' : 's'}` : ''}${shard ? `, ${mine.length} in shard ${shard.k}/${shard.n} (from ${shardSource})` : ''}${done.size ? `, ${mine.length - todo.length} already done` : ''}; running ${todo.length} on ${workers} worker${workers === 1 ? '' : 's'} -> ${dir}; ${estimate(todo.length, workers)}\n`,
  );
  const traceDir = o.trace ? path.join(dir, TRACE_DIR) : null;
  if (traceDir !== null) fs.mkdirSync(traceDir, { recursive: true });
  const bar = progress(todo.length, stream);
  const errors: string[] = [];
  const resultsFile = path.join(dir, RESULTS_FILE);
  const t0 = performance.now();
  await runPool(todo, {
    workers,
    context: { experiment: spec.name, seed: src.seed, provenance, engine: o.engine, ...(traceDir === null ? {} : { traceDir }) },
    modules: src.strategyModules,
    onResult: (out) => {
      if ('row' in out) fs.appendFileSync(resultsFile, `${JSON.stringify(out.row)}\n`);
      else errors.push(`run ${out.run.index} (${describeTask(out.run)}): ${out.error}`);
      bar.tick(describeTask(out.run, ' '));
    },
  });
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const rows = readResults(dir).sort((a, b) => a.index - b.index);
  const summary = await writeOutputs(dir, spec, rows, matrix.right.skipped);
  const notEquivalent = runRowsOf(rows).filter((r) => !r.equivalent);
  return {
    text: [
      summary,
      '',
      `${todo.length - errors.length} run(s) in ${formatNumber(seconds)} s; ${rows.length} result(s) in ${resultsFile}`,
      ...(traceDir !== null ? [`a Chrome/Perfetto trace per run in ${traceDir} (open in ui.perfetto.dev)`] : []),
      ...skippedLines(matrix.right.skipped),
      ...(notEquivalent.length ? ['', `${notEquivalent.length} run(s) not equivalent to native (kept as results):`, ...notEquivalent.slice(0, 10).map((r) => `  ${r.label} ${r.workload}: ${r.divergence}`)] : []),
      ...notes.map((n) => `note: ${n}`),
      ...(errors.length ? ['', 'errors:', ...errors.map((e) => `  ${e}`)] : []),
    ].join('\n'),
    exitCode: errors.length ? ExitCode.failure : ExitCode.ok,
  };
};

/** Join shard directories of one experiment into `outDir`. */
export const mergeResults = async (dirs: readonly string[], outDir: string, force: boolean): Promise<string> => {
  if (dirs.length === 0) throw new CliError('merge needs at least one results directory');
  const manifests = dirs.map((d) => {
    const m = readManifest(d);
    if (isLeft(m)) throw new CliError(m.left);
    if (!m.right) throw new CliError(`'${d}' holds no ringlab experiment (no ${MANIFEST_FILE})`);
    return m.right;
  });
  const hashes = new Set(manifests.map((m) => m.specHash));
  if (hashes.size > 1)
    throw new CliError(`these directories hold different experiments: ${manifests.map((m, i) => `${dirs[i]} (${m.experiment}, spec ${m.specHash})`).join(', ')}`);
  const shardProblem = shardSetProblem(dirs, manifests);
  if (shardProblem !== null) throw new CliError(`cannot merge: ${shardProblem}`);
  const first = manifests[0];
  const plan = planOutDir(outDir, first.specHash, first.experiment, null, { resume: false, force });
  const existing = fs.existsSync(outDir) ? readManifest(outDir) : null;
  if (plan.kind === 'refuse' && !(existing && !isLeft(existing) && existing.right?.specHash === first.specHash && force))
    throw new CliError(plan.why.replace('pass --resume to continue it, or ', ''));
  const byKey = new Map<string, ExperimentRow>();
  for (const d of dirs) for (const r of readResults(d)) if (!byKey.has(r.key)) byKey.set(r.key, r);
  const rows = [...byKey.values()].sort((a, b) => a.index - b.index);
  const matrix = expandMatrix(first.spec);
  const expected = isLeft(matrix) ? null : matrix.right.runs.length + matrix.right.hosts.length;
  makeOutDir(outDir);
  for (const f of OUTPUT_FILES) fs.rmSync(path.join(outDir, f), { force: true });
  fs.writeFileSync(path.join(outDir, MANIFEST_FILE), JSON.stringify({ ...first, shard: null, shardSource: null, mergedFrom: dirs.map((d) => path.resolve(d)) } satisfies Manifest, null, 2));
  fs.writeFileSync(path.join(outDir, RESULTS_FILE), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  const summary = await writeOutputs(outDir, first.spec, rows, isLeft(matrix) ? [] : matrix.right.skipped);
  const missing = expected === null ? '' : expected > rows.length ? `; ${expected - rows.length} run(s) of the matrix are missing (a shard not run or not finished?)` : '';
  return `${summary}\n\nmerged ${rows.length} result(s) from ${dirs.length} director${dirs.length === 1 ? 'y' : 'ies'} into ${outDir}${missing}`;
};
