/**
 * The bench's engine measurements: guest MIPS of both engines on the benchmark programs
 * beside the two yardsticks, the JIT's translation cost, and the host-time split of forkwait
 * and compile between guest code and VMM paths. `npm run bench` runs them in a child process
 * (experiments/bench/engine-probe.js) on the code the command runs (dist/ when built from
 * the current sources), so the bench process's own heap (the TypeScript compiler's, under
 * ts-node) is not collected in the middle of a timed run.
 * @category Bench
 */
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../core/asm';
import type { Cpu } from '../../core/cpu/cpu';
import { ENGINE_NAMES, type Engine } from '../../core/cpu/engine';
import * as interpreterModule from '../../core/cpu/interpreter';
import * as jitModule from '../../core/cpu/jit';
import { jitOf, type Jit } from '../../core/cpu/jit';
import { clearRegionCache } from '../../core/cpu/jit-compile';
import { uniprocessor } from '../../core/platform/uniprocessor';
import { runOne } from '../run/run-one';
import type { RunResult } from '../run/result';
import type { WorkloadName } from '../../core/guest/workloads';
import { cpuMs, settle } from './clock';
import { BENCH_PROGRAMS } from './programs';
import { bareSwitchMips, handWrittenComputeMips } from './reference';
import { median } from './median';

/** One benchmark measurement. */
export interface BenchRow {
  readonly program: string;
  readonly engine: Engine;
  readonly description: string;
  /** the program's iteration count in the timed runs (BENCH_N, scaled up for runs of at least 100 ms) */
  readonly iterations: number;
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
  settle();
  const t0 = cpuMs();
  const stop = m.run(1e10);
  const ms = cpuMs() - t0;
  if (stop.kind !== 'shutdown') throw new Error(`benchmark did not finish: ${stop.kind}`);
  return { ms, m };
};

/** The programs' measurements: a row per program and engine, the yardsticks' best runs, the JIT's translation cost. */
export interface ProgramsResult {
  readonly rows: readonly BenchRow[];
  /** the bare switch yardstick's best run, MIPS */
  readonly bareSwitchMips: number;
  /** the hand-written compute loop's best run, guest MIPS */
  readonly handWrittenComputeMips: number;
  /** host microseconds of the JIT's compiling per guest instruction compiled (each program run once more with an empty region cache) */
  readonly jitTranslationUsPerInstruction: number;
}

/** Least CPU milliseconds of a timed program run: a few milliseconds would be mostly the run's fixed costs and the clock's noise. */
const MIN_RUN_MS = 100;

/**
 * Run each benchmark program of `n` iterations under each engine, `warmups` times untimed
 * then `repeats` times (with n scaled up so a run lasts at least {@link MIN_RUN_MS}), each
 * timed run paired with a run of each yardstick right after it.
 */
export const measurePrograms = (n: number, repeats: number, warmups: number): ProgramsResult => {
  /** The JIT's statistics of each program's run with an empty region cache, after the timed runs. */
  const jitStats = new Map<string, Jit['stats']>();
  // each run of a program is paired with a run of each yardstick right after it, so a ratio
  // compares runs made under the same load (the median of the pairs is reported)
  const bares: number[] = [];
  const handWrittens: number[] = [];
  const rows: BenchRow[] = BENCH_PROGRAMS.flatMap((p) => ENGINE_NAMES.map((engine) => ({ p, engine }))).map(({ p, engine }) => {
    let best = Infinity;
    let last: Cpu | null = null;
    const ofBare: number[] = [];
    const ofHandWritten: number[] = [];
    // untimed runs first: V8 optimizes the engine (and the JIT's regions) before the timed runs
    for (let i = 0; i < warmups; i++) runBenchProgram(p.source(n), engine);
    // the timed runs last at least MIN_RUN_MS (the JIT runs the compute loop's n in a few ms):
    // more iterations until an untimed run does
    let iterations = n;
    for (let ms = runBenchProgram(p.source(n), engine).ms; ms < MIN_RUN_MS; ms = runBenchProgram(p.source(iterations), engine).ms)
      iterations *= Math.min(16, Math.ceil((1.2 * MIN_RUN_MS) / Math.max(ms, 1)));
    for (let i = 0; i < repeats; i++) {
      const { ms, m } = runBenchProgram(p.source(iterations), engine);
      best = Math.min(best, ms);
      last = m;
      const mips = m.instructions / ms / 1000;
      settle();
      const bare = bareSwitchMips(n * 3);
      bares.push(bare);
      ofBare.push(mips / bare);
      if (p.name === 'compute') {
        settle();
        const hand = handWrittenComputeMips(n * 40);
        handWrittens.push(hand);
        ofHandWritten.push(mips / hand);
      }
    }
    if (engine === 'jit') {
      // the translation cost once V8 has optimized the compiler: one more run with the
      // process's region cache emptied, so it compiles the program's regions again
      clearRegionCache();
      jitStats.set(p.name, jitOf(runBenchProgram(p.source(n), engine).m).stats);
    }
    const c = last!.snapshot().counts;
    const instructions = last!.instructions;
    return {
      program: p.name,
      engine,
      description: p.description,
      iterations,
      instructions,
      bestMs: Math.round(best * 10) / 10,
      mips: Math.round((instructions / best / 1000) * 10) / 10,
      ofBareSwitch: Math.round(median(ofBare) * 1000) / 1000,
      ofHandWritten: ofHandWritten.length > 0 ? Math.round(median(ofHandWritten) * 1000) / 1000 : null,
      tlbMisses: c['tlb.misses'] as number,
      walkReferences: c['tlb.walkReferences'] as number,
    };
  });
  const compiled = [...jitStats.values()].reduce((a, s) => ({ ms: a.ms + s.compileMs, instructions: a.instructions + s.compiledInstructions }), { ms: 0, instructions: 0 });
  const perInstruction = (ms: number): number => (compiled.instructions > 0 ? Math.round(((1000 * ms) / compiled.instructions) * 100) / 100 : 0);
  return {
    rows,
    bareSwitchMips: Math.max(...bares),
    handWrittenComputeMips: Math.max(...handWrittens),
    jitTranslationUsPerInstruction: perInstruction(compiled.ms),
  };
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
  /**
   * Host microseconds of VMM paths per VMM event beyond a minimal run's (syscall, n = 1, same
   * strategy and engine): the run's fixed costs (building the machine and the VMM, clearing
   * memory, the results) taken out of both. From wall times outside the engines' bursts (the
   * simulation is one thread): ((wallMs - guestMs) - minimal's) / (vmmEvents - minimal's)
   */
  readonly marginalUsPerVmmEvent: number;
}

/**
 * The events of a run that enter a VMM path: traps and exits (each delivered, with the
 * shadow paging, emulation and injection it leads to), hypercalls, binary translation's
 * callouts and translation-cache lookups (translating a miss included).
 */
export const vmmEvents = (e: RunResult['events']): number =>
  e.traps.total + e.exits.total + e.hypercalls.total + e.callouts.total + e.translation.by.cacheLookups;

/** The split's workloads and strategies (each under every engine). */
const WORKLOADS = ['forkwait', 'compile'] as const;
const STRATEGIES = ['binary-translation', 'hardware-assisted'];

/**
 * Time forkwait and compile under strategies whose VMM paths take much of the time, under
 * both engines, splitting host time into the engines' bursts (guest code) and the rest (the
 * VMM's exit and trap handlers, delivery, devices). The bursts are timed by wrapping the
 * engines' entry points, outermost call only (the JIT calls the interpreter inside its bursts).
 * Each strategy and engine also runs syscall with n = 1, whose VMM time is the run's fixed
 * cost, for the marginal cost per event.
 */
export const measureSplit = (repeats: number): SplitRow[] => {
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
  /** The best of `repeats` runs (not the first, which runs the native reference too), all but the marginal cost (which needs the minimal run). */
  const measure = (strategy: string, workload: WorkloadName, engine: Engine, params?: Record<string, number>): Omit<SplitRow, 'marginalUsPerVmmEvent'> => {
    let best: Omit<SplitRow, 'marginalUsPerVmmEvent'> | null = null;
    for (let i = 0; i < repeats; i++) {
      inEngine = 0;
      const t0 = cpuMs();
      const r = runOne({ strategy, workload, profile: 'netburst-2006', engine, params });
      const cpu = cpuMs() - t0;
      if (isLeft(r)) throw new Error(r.left.join('; '));
      const guestMs = Math.round(Math.min(inEngine, r.right.host.wallMs) * 10) / 10;
      // the VMM paths' CPU time: the run's CPU time less the guest code's share of its wall time
      const vmmCpuMs = Math.round(cpu * (1 - guestMs / r.right.host.wallMs) * 10) / 10;
      const events = vmmEvents(r.right.events);
      const usPerVmmEvent = events > 0 ? Math.round(((1000 * vmmCpuMs) / events) * 100) / 100 : 0;
      const row = { workload, strategy, engine, instructions: r.right.guest.instructions, wallMs: r.right.host.wallMs, cpuMs: Math.round(cpu * 10) / 10, guestMs, vmmCpuMs, vmmEvents: events, usPerVmmEvent };
      if (i > 0 && (best === null || row.cpuMs < best.cpuMs)) best = row;
    }
    return best!;
  };
  // VMM time outside the engines' bursts, from wall times (the simulation is one thread): the
  // CPU estimate of a short run is too coarse to subtract
  const vmmWall = (x: Omit<SplitRow, 'marginalUsPerVmmEvent'>): number => x.wallMs - x.guestMs;
  const out: SplitRow[] = [];
  try {
    const minimal = new Map(STRATEGIES.flatMap((strategy) => ENGINE_NAMES.map((engine) => [`${strategy}/${engine}`, measure(strategy, 'syscall', engine, { n: 1 })] as const)));
    // in the order the table reads: by workload, then strategy, then engine
    for (const workload of WORKLOADS)
      for (const strategy of STRATEGIES)
        for (const engine of ENGINE_NAMES) {
          const row = measure(strategy, workload, engine);
          const base = minimal.get(`${strategy}/${engine}`)!;
          const marginal = (1000 * (vmmWall(row) - vmmWall(base))) / (row.vmmEvents - base.vmmEvents);
          out.push({ ...row, marginalUsPerVmmEvent: Math.round(marginal * 100) / 100 });
        }
  } finally {
    targets.forEach((t, k) => (t[names[k]] = originals[k]));
  }
  return out;
};

