/**
 * `npm run bench`: guest MIPS of both engines (reference interpreter, JIT) on the benchmark
 * programs beside two yardsticks measured in the same process (a bare switch interpreter and
 * the compute loop written by hand), the JIT's translation cost, the host-time split of
 * forkwait and compile between guest code and VMM paths under both engines, the
 * command line's start-up costs, and the shipped experiments' run times. Prints tables and
 * writes out/bench/bench.json. Each program runs `repeats` times and the best run counts
 * (the first runs include V8's warm-up).
 * @category Bench
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../core/asm';
import type { Cpu } from '../../core/cpu/cpu';
import { uniprocessor } from '../../core/platform/uniprocessor';
import { table } from '../common/format';
import { BENCH_PROGRAMS } from './programs';
import { timeCli } from './cli-process';
import { bareSwitchMips, handWrittenComputeMips } from './reference';
import { cpuMs } from './clock';
import { ENGINE_NAMES, type Engine } from '../../core/cpu/engine';
import * as interpreterModule from '../../core/cpu/interpreter';
import * as jitModule from '../../core/cpu/jit';
import { jitOf, type Jit } from '../../core/cpu/jit';
import { runOne } from '../run/run-one';
import type { RunResult } from '../run/result';

/** The JIT's statistics of each program's last run. */
const jitStats = new Map<string, Jit['stats']>();
import { measureStartup, startupRows } from './startup';
import { benchFuzz } from './fuzz';

/** One benchmark measurement. */
export interface BenchRow {
  readonly program: string;
  readonly engine: Engine;
  readonly description: string;
  readonly instructions: number;
  /** best run's CPU milliseconds (experiments/bench/clock.ts) */
  readonly bestMs: number;
  readonly mips: number;
  /** median over the runs of MIPS / the bare switch's MIPS in the run right after */
  readonly ofBareSwitch: number;
  /** likewise against the hand-written compute loop (compute only) */
  readonly ofHandWritten: number | null;
  readonly tlbMisses: number;
  readonly walkReferences: number;
}

/** Run one program once under an engine; returns its CPU time (experiments/bench/clock.ts) and the machine. */
export const runBenchProgram = (source: string, engine: Engine = 'interp'): { ms: number; m: Cpu } => {
  const r = assemble(source, { file: 'bench.s' });
  if (isLeft(r)) throw new Error(r.left.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  const m = uniprocessor({ memoryBytes: 8 << 20, engine });
  m.load(0, r.right.bytes);
  const t0 = cpuMs();
  const stop = m.run(1e10);
  const ms = cpuMs() - t0;
  if (stop.kind !== 'shutdown') throw new Error(`benchmark did not finish: ${stop.kind}`);
  return { ms, m };
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

/** The host time a run spends in the engines (guest code) against the whole run (guest code and VMM paths in TypeScript). */
export interface SplitRow {
  readonly workload: string;
  readonly strategy: string;
  readonly engine: Engine;
  readonly instructions: number;
  readonly wallMs: number;
  /** the run's CPU milliseconds (experiments/bench/clock.ts) */
  readonly cpuMs: number;
  /** host (wall) milliseconds inside the engine's bursts */
  readonly guestMs: number;
  /** CPU milliseconds of the VMM paths: the run's CPU time less the guest code's share of the wall time */
  readonly vmmCpuMs: number;
  /** the run's VMM events: traps, exits, hypercalls, callouts and translation-cache lookups (see {@link vmmEvents}) */
  readonly vmmEvents: number;
  /** CPU microseconds of VMM paths per VMM event */
  readonly usPerVmmEvent: number;
}

/**
 * The events of a run that enter a VMM path: traps and exits (each delivered, with the
 * shadow paging, emulation and injection it leads to), hypercalls, binary translation's
 * callouts and translation-cache lookups (translating a miss included).
 */
export const vmmEvents = (e: RunResult['events']): number =>
  e.traps.total + e.exits.total + e.hypercalls.total + e.callouts.total + e.translation.by.cacheLookups;

/**
 * Time forkwait and compile under strategies whose VMM paths take much of the time, under
 * both engines, splitting host time into the engines' bursts (guest code) and the rest (the
 * VMM's exit and trap handlers, delivery, devices). The bursts are timed by wrapping the
 * engines' entry points, outermost call only (the JIT calls the interpreter inside its bursts).
 */
const measureSplit = (repeats: number): SplitRow[] => {
  const targets = [interpreterModule, jitModule] as unknown as Record<string, (...a: unknown[]) => unknown>[];
  const names = ['interpretCaught', 'runJit'];
  let depth = 0;
  let inEngine = 0;
  const originals = targets.map((t, k) => t[names[k]]);
  targets.forEach((t, k) => {
    const f = originals[k];
    t[names[k]] = (...a: unknown[]) => {
      if (depth++ > 0) {
        try {
          return f(...a);
        } finally {
          depth--;
        }
      }
      const t0 = performance.now();
      try {
        return f(...a);
      } finally {
        inEngine += performance.now() - t0;
        depth--;
      }
    };
  });
  const out: SplitRow[] = [];
  try {
    for (const workload of ['forkwait', 'compile'] as const)
      for (const strategy of ['binary-translation', 'hardware-assisted'])
        for (const engine of ['interp', 'jit'] as const) {
          let best: SplitRow | null = null;
          for (let i = 0; i < repeats; i++) {
            inEngine = 0;
            const t0 = cpuMs();
            const r = runOne({ strategy, workload, profile: 'netburst-2006', engine });
            const cpu = cpuMs() - t0;
            if (isLeft(r)) throw new Error(r.left.join('; '));
            // the native reference ran first (once per process): count only the strategy's run
            const guestMs = Math.round(Math.min(inEngine, r.right.host.wallMs) * 10) / 10;
            // the VMM paths' CPU time: the run's CPU time less the guest code's share of its wall time
            const vmmCpuMs = Math.round(cpu * (1 - guestMs / r.right.host.wallMs) * 10) / 10;
            const events = vmmEvents(r.right.events);
            const usPerVmmEvent = events > 0 ? Math.round(((1000 * vmmCpuMs) / events) * 100) / 100 : 0;
            const row = { workload, strategy, engine, instructions: r.right.guest.instructions, wallMs: r.right.host.wallMs, cpuMs: Math.round(cpu * 10) / 10, guestMs, vmmCpuMs, vmmEvents: events, usPerVmmEvent };
            if (i > 0 && (best === null || row.cpuMs < best.cpuMs)) best = row;
          }
          out.push(best!);
        }
  } finally {
    targets.forEach((t, k) => (t[names[k]] = originals[k]));
  }
  return out;
};

const main = (): void => {
  const n = Number(process.env.BENCH_N ?? 3_000_000);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  // each run of a program is paired with a run of each yardstick right after it, so a ratio
  // compares runs made under the same load (the median of the pairs is reported)
  const bares: number[] = [];
  const handWrittens: number[] = [];
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const rows: BenchRow[] = BENCH_PROGRAMS.flatMap((p) => ENGINE_NAMES.map((engine) => ({ p, engine }))).map(({ p, engine }) => {
    let best = Infinity;
    let last: Cpu | null = null;
    const ofBare: number[] = [];
    const ofHandWritten: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const { ms, m } = runBenchProgram(p.source(n), engine);
      best = Math.min(best, ms);
      last = m;
      const mips = m.instructions / ms / 1000;
      const bare = bareSwitchMips(n * 3);
      bares.push(bare);
      ofBare.push(mips / bare);
      if (p.name === 'compute') {
        const hand = handWrittenComputeMips(n * 3);
        handWrittens.push(hand);
        ofHandWritten.push(mips / hand);
      }
    }
    const c = last!.snapshot().counts;
    const instructions = last!.instructions;
    if (engine === 'jit') jitStats.set(p.name, jitOf(last!).stats);
    return {
      program: p.name,
      engine,
      description: p.description,
      instructions,
      bestMs: Math.round(best * 10) / 10,
      mips: Math.round((instructions / best / 1000) * 10) / 10,
      ofBareSwitch: Math.round(median(ofBare) * 1000) / 1000,
      ofHandWritten: ofHandWritten.length > 0 ? Math.round(median(ofHandWritten) * 1000) / 1000 : null,
      tlbMisses: c['tlb.misses'] as number,
      walkReferences: c['tlb.walkReferences'] as number,
    };
  });
  const bare = Math.max(...bares);
  const handWritten = Math.max(...handWrittens);
  const mipsOf = (program: string, engine: Engine): number => rows.find((r) => r.program === program && r.engine === engine)?.mips ?? NaN;
  console.log(
    table(
      ['program', 'engine', 'instructions', 'best CPU ms', 'guest MIPS', 'of bare switch', 'of hand-written JS', 'JIT / interp', 'TLB misses', 'walk refs'],
      rows.map((r) => [
        r.program,
        r.engine,
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
  console.log(`\nyardsticks in this process (best runs; the ratios above are medians of each program run against the yardstick run right after it): a bare switch interpreter (no paging, no privilege checks, no counters) ${bare.toFixed(1)} MIPS; the compute loop written by hand in JavaScript ${handWritten.toFixed(1)} guest MIPS; MIPS from this process's CPU time`);
  const compiled = [...jitStats.values()].reduce((a, s) => ({ ms: a.ms + s.compileMs, instructions: a.instructions + s.compiledInstructions }), { ms: 0, instructions: 0 });
  const translationUsPerInstruction = compiled.instructions > 0 ? Math.round((1000 * compiled.ms) / compiled.instructions * 100) / 100 : 0;
  console.log(`JIT translation: ${compiled.instructions} guest instructions compiled in ${compiled.ms.toFixed(1)} ms, ${translationUsPerInstruction} us per guest instruction (new Function; V8's own optimization later is not included)`);
  const split = process.env.BENCH_SPLIT === '0' ? [] : measureSplit(Math.max(3, repeats));
  if (split.length) {
    const interpCpu = (s: SplitRow) => split.find((x) => x.workload === s.workload && x.strategy === s.strategy && x.engine === 'interp')?.cpuMs ?? NaN;
    console.log('');
    console.log(
      table(
        ['workload (default n)', 'strategy', 'engine', 'instructions', 'wall ms', 'guest code ms', 'guest share', 'CPU ms', 'VMM paths CPU ms', 'VMM events', 'us per VMM event', 'interp / this (CPU)'],
        split.map((s) => [s.workload, s.strategy, s.engine, s.instructions, s.wallMs, s.guestMs, `${Math.round((100 * s.guestMs) / s.wallMs)}%`, s.cpuMs, s.vmmCpuMs, s.vmmEvents, s.usPerVmmEvent, `${(interpCpu(s) / s.cpuMs).toFixed(2)}x`]),
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
      { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, iterations: n, repeats, bareSwitchMips: bare, handWrittenComputeMips: handWritten, jitTranslationUsPerInstruction: translationUsPerInstruction, rows, split, startup, fuzz: fuzzRows, experiments },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
};

if (require.main === module) main();
