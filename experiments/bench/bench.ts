/**
 * `npm run bench`: guest MIPS of both engines (reference interpreter, JIT) on the benchmark
 * programs beside two yardsticks measured in the same process (a bare switch interpreter and
 * the compute loop written by hand), the JIT's translation cost, the host-time split of
 * forkwait and compile between guest code and VMM paths under both engines (those in a
 * child process, experiments/bench/engine-runs.ts), the command line's start-up costs, the
 * fuzzer's throughput and the shipped experiments' run times. Prints tables and writes
 * out/bench/bench.json. Each program runs `warmups` times untimed, then untimed with more
 * iterations until a run lasts 100 ms, then `repeats` times (the best run's MIPS, the
 * median of the ratios to the yardsticks).
 * @category Bench
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Engine } from '../../core/cpu/engine';
import { table } from '../common/format';
import { timeCli } from './cli-process';
import type { ProgramsResult, SplitRow } from './engine-runs';
import { measureStartup, startupRows } from './startup';
import { benchFuzz } from './fuzz';

/** The child process that runs the engine measurements (experiments/bench/engine-probe.js). */
const ENGINE_PROBE = path.join(__dirname, 'engine-probe.js');

/** Run an engine measurement in a child process of its own; its warnings pass through. */
const inChild = <T>(job: Record<string, unknown>): T => {
  const r = spawnSync(process.execPath, [ENGINE_PROBE, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`the engine measurement ${String(job.what)} failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as T;
};

/** Time each shipped experiment spec (experiments/*.json): `ringlab experiment` with all cores into out/bench/NAME. */
const benchExperiments = (): { experiment: string; runs: number; seconds: number }[] => {
  const dir = path.join(__dirname, '..');
  const specs = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'spec.schema.json').sort();
  const out: { experiment: string; runs: number; seconds: number }[] = [];
  for (const f of specs) {
    const target = path.join('out', 'bench', path.basename(f, '.json'));
    const seconds = timeCli(['experiment', path.join(dir, f), '--out', target, '--force', '--yes'], { cpu: false }).wallMs / 1000;
    const runs = fs.readFileSync(path.join(target, 'results.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;
    out.push({ experiment: path.basename(f, '.json'), runs, seconds: Math.round(seconds * 10) / 10 });
  }
  return out;
};

const main = (): void => {
  const n = Number(process.env.BENCH_N ?? 3_000_000);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const warmups = Number(process.env.BENCH_WARMUPS ?? 2);
  const programs = inChild<ProgramsResult>({ what: 'programs', n, repeats, warmups });
  const rows = programs.rows;
  const bare = programs.bareSwitchMips;
  const handWritten = programs.handWrittenComputeMips;
  const mipsOf = (program: string, engine: Engine): number => rows.find((r) => r.program === program && r.engine === engine)?.mips ?? NaN;
  console.log(
    table(
      ['program', 'engine', 'iterations', 'instructions', 'best CPU ms', 'guest MIPS', 'of bare switch', 'of hand-written JS', 'JIT / interp', 'TLB misses', 'walk refs'],
      rows.map((r) => [
        r.program,
        r.engine,
        r.iterations,
        r.instructions,
        r.bestMs,
        r.mips,
        `${Math.round(100 * r.ofBareSwitch)}%`,
        r.ofHandWritten !== null ? `${Math.round(100 * r.ofHandWritten)}%` : '-',
        r.engine === 'jit' ? `${(r.mips / mipsOf(r.program, 'interp')).toFixed(2)}x` : '-',
        r.tlbMisses,
        r.walkReferences,
      ]),
    ),
  );
  console.log(`\nyardsticks in the same process (best runs; the ratios above are medians of each program run against the yardstick run right after it): a bare switch interpreter (no paging, no privilege checks, no counters) ${bare.toFixed(1)} MIPS; the compute loop written by hand in JavaScript ${handWritten.toFixed(1)} guest MIPS; MIPS from the process's CPU time, after ${warmups} untimed runs of each`);
  const translationUsPerInstruction = programs.jitTranslationUsPerInstruction;
  console.log(`JIT translation: ${translationUsPerInstruction} us per guest instruction compiled (its source and new Function, in a run after the timed ones with the region cache emptied; V8's own optimization later is not included)`);
  const split = process.env.BENCH_SPLIT === '0' ? [] : inChild<SplitRow[]>({ what: 'split', repeats: Math.max(3, repeats) });
  if (split.length) {
    const interpCpu = (s: SplitRow) => split.find((x) => x.workload === s.workload && x.strategy === s.strategy && x.engine === 'interp')?.cpuMs ?? NaN;
    console.log('');
    console.log(
      table(
        ['workload (default n)', 'strategy', 'engine', 'instructions', 'wall ms', 'guest code ms', 'guest share', 'CPU ms', 'VMM paths CPU ms', 'VMM events', 'us per VMM event', 'marginal us per event', 'interp / this (CPU)'],
        split.map((s) => [s.workload, s.strategy, s.engine, s.instructions, s.wallMs, s.guestMs, `${Math.round((100 * s.guestMs) / s.wallMs)}%`, s.cpuMs, s.vmmCpuMs, s.vmmEvents, s.usPerVmmEvent, s.marginalUsPerVmmEvent, `${(interpCpu(s) / s.cpuMs).toFixed(2)}x`]),
      ),
    );
  }
  const startup = measureStartup(Number(process.env.BENCH_STARTUP_REPEATS ?? 3));
  console.log('');
  console.log(table(['start-up (median of repeats; experiments: one run each)', 'measured', 'target', 'met'], startupRows(startup)));
  const fuzzRows = process.env.BENCH_FUZZ === '0' ? [] : benchFuzz(Number(process.env.BENCH_FUZZ_PROGRAMS ?? 20));
  if (fuzzRows.length) {
    console.log('');
    console.log(
      table(
        ['fuzz: user programs, every configuration (this thread, warmed up)', 'programs', 'runs', 'CPU ms per program', '10,000 programs, CPU minutes'],
        fuzzRows.map((f) => [f.engines, f.programs, f.runs, f.cpuMsPerProgram, Math.round((f.cpuMsPerProgram * 10_000) / 60_000)]),
      ),
    );
  }
  const experiments = process.env.BENCH_EXPERIMENTS === '0' ? [] : benchExperiments();
  if (experiments.length) {
    console.log('');
    console.log(table(['shipped experiment', 'runs', 'seconds', 'runs/s'], experiments.map((e) => [e.experiment, e.runs, e.seconds, Math.round((e.runs / e.seconds) * 10) / 10])));
  }
  const out = path.join('out', 'bench');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'bench.json');
  fs.writeFileSync(
    file,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, iterations: n, repeats, warmups, bareSwitchMips: bare, handWrittenComputeMips: handWritten, jitTranslationUsPerInstruction: translationUsPerInstruction, rows, split, startup, fuzz: fuzzRows, experiments },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
};

if (require.main === module) main();
