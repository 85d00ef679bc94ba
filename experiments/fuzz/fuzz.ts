/**
 * The fuzzer: random guest programs (user mode on the shipped kernel, raw kernels, or
 * paravirtual kernels of random hypercall sequences) run under every strategy, with its
 * default options and with each other value of each choice option (not the full product),
 * on every engine, each compared with native's run of the same program. Runs are bounded by
 * modelled budgets only (never wall time) and classified: equivalent, not equivalent (with
 * the reason; expected only for trap-and-emulate on the default ISA and for paravirt booting
 * a random kernel, which is no paravirtual kernel), a guest-level stop (budget, fault loop,
 * triple fault ...), or a host failure (any host exception, an internal error, an isolation
 * violation, a budget overrun, an engine that changed a modelled number). Host failures
 * keep a reproducer.
 * @category Fuzz
 */
import { isLeft } from 'fp-ts/Either';
import type { IsaVariant } from '../../core/isa/variant';
import { runOne, type RunSpec } from '../run/run-one';
import type { RunResult } from '../run/result';
import type { Engine } from '../../core/cpu/engine';
import { setJitDefaults } from '../../core/cpu/jit';
import { choiceVariants, resolveOptions } from '../../strategies/options';
import { DEFAULT_PROFILE, loadProfile, type CostProfile } from '../../core/cost/profile';
import type { Strategy } from '../../strategies/strategy';
import { randomKernelProgram, randomUserProgram, type FuzzProgram } from './generate';
import { randomHypercallKernel } from './hypercalls';
import { seededRandom } from './random';

/** What to fuzz. */
export interface FuzzSpec {
  readonly programs: number;
  readonly seed: number;
  readonly strategies: readonly Strategy[];
  /** raw kernels instead of user programs */
  readonly kernelMode: boolean;
  /** paravirtual kernels issuing random hypercall sequences (experiments/fuzz/hypercalls.ts) instead of user programs; for paravirt */
  readonly paravirtMode?: boolean;
  /** random instructions per program (default 40) */
  readonly length?: number;
  readonly profile?: string;
  /** engines each configuration runs under (default FUZZ_ENGINES: the interpreter); the first is the reference the others must match */
  readonly engines?: readonly Engine[];
  /** called after each program */
  readonly onProgress?: (done: number) => void;
}

/** How one run ended. */
export type Verdict = 'equivalent' | 'not-equivalent' | 'guest-stop' | 'host-failure';

/** A run that was not simply equivalent. */
export interface Finding {
  readonly verdict: Verdict;
  readonly program: string;
  readonly strategy: string;
  readonly options: Readonly<Record<string, string | number>>;
  readonly isa: IsaVariant;
  /** the engine of the run */
  readonly engine: Engine;
  readonly detail: string;
  /** the program's source, for host failures and unexpected divergences (a reproducer either way) */
  readonly source?: string;
}

/** What a fuzzing session found. */
export interface FuzzReport {
  readonly programs: number;
  readonly runs: number;
  readonly counts: Record<Verdict, number>;
  /** host failures, and non-equivalence where it is not expected */
  readonly failures: Finding[];
  /** not-equivalent runs where divergence is expected: trap-and-emulate on the default ISA (Popek-Goldberg), paravirt booting a raw kernel */
  readonly expectedDivergences: number;
  /** hypercalls the runs made (paravirt), and how many of them the hypervisor refused (validation failures) */
  readonly hypercalls: HypercallCount;
}

/** Hypercalls made and refused. */
export interface HypercallCount {
  readonly issued: number;
  readonly refused: number;
}

/** A run's budgets: retired instructions and modelled cycles. */
export interface FuzzBudget {
  readonly maxInstructions: number;
  readonly maxCycles: number;
}

/**
 * Budgets of a fuzz run by mode: a guest that does not stop is a guest-level stop, not a
 * hang. A user program runs after the shipped kernel's boot, and all of it ends within
 * about 40,000 instructions unless it loops. A random kernel has no boot: of 700 random
 * kernels (seeds 1 and 2), those that ended on their own (halt, shutdown, triple fault)
 * did so within 36,600 instructions, while the third that loop (fault handlers that run
 * a few instructions and fault again) ran to any budget, at most of the mode's CPU time.
 */
export const FUZZ_BUDGETS: Readonly<Record<FuzzProgram['mode'], FuzzBudget>> = {
  user: { maxInstructions: 200_000, maxCycles: 200_000_000 },
  kernel: { maxInstructions: 50_000, maxCycles: 50_000_000 },
  paravirt: { maxInstructions: 200_000, maxCycles: 200_000_000 },
};

/** The user mode's budgets (the fuzzer's default mode). */
export const FUZZ_BUDGET: FuzzBudget = FUZZ_BUDGETS.user;

/** The configurations a strategy is fuzzed in on `profile`: defaults, then each other value of each choice option, less those the strategy refuses. */
const configurations = (s: Strategy, profile: CostProfile): { options: Record<string, string | number>; isa: IsaVariant }[] => {
  const isas: IsaVariant[] = s.requiresVirtualizableIsa ? ['virtualizable', 'default'] : ['default'];
  return isas.flatMap((isa) =>
    choiceVariants(s)
      .filter((options) => {
        const resolved = resolveOptions(s, options);
        return !isLeft(resolved) && s.check(resolved.right, profile) === null;
      })
      .map((options) => ({ options, isa })),
  );
};

/** What one program's runs found (its share of a report). */
export interface ProgramOutcome {
  readonly runs: number;
  readonly counts: Record<Verdict, number>;
  readonly failures: Finding[];
  readonly expectedDivergences: number;
  readonly hypercalls: HypercallCount;
}

/** The programs of a fuzzing session, in order: deterministic for a seed. */
export function* fuzzPrograms(spec: Pick<FuzzSpec, 'programs' | 'seed' | 'kernelMode' | 'paravirtMode' | 'length'>): Generator<FuzzProgram> {
  const r = seededRandom(spec.seed);
  for (let k = 0; k < spec.programs; k++) {
    const name = `fuzz-${spec.seed}-${k}`;
    yield spec.paravirtMode === true
      ? randomHypercallKernel(r, name, spec.length ?? 40)
      : spec.kernelMode
        ? randomKernelProgram(r, name, spec.length ?? 40)
        : randomUserProgram(r, name, spec.length ?? 40);
  }
}

/**
 * The engines a fuzzing session runs each configuration under by default: the interpreter, so
 * 10,000 programs fit in half an hour on two cores; `--engines interp,jit` adds the JIT (code
 * compiled from hostile guest code is attack surface too), each of its runs compared with the
 * interpreter's, at about twice the CPU time (the JIT compiles every block at first sight;
 * compiled regions are cached per process by their words, so the kernel's code is compiled
 * once per process and a program's own code once for all its configurations).
 */
export const FUZZ_ENGINES: readonly Engine[] = ['interp'];

/** What one run was found to be, and its modelled results (the results JSON without host metadata) if it produced any. */
interface Classified {
  readonly verdict: Verdict;
  readonly detail?: string;
  readonly modelled?: string;
  readonly expectedDivergence?: boolean;
  readonly hypercalls?: HypercallCount;
}

/** Run one configuration on one engine and classify it (the JIT compiles every block at first sight, so compiled code meets the guest's). */
const classify = (spec: RunSpec, s: Strategy, isa: IsaVariant, mode: FuzzProgram['mode'], nativeCut: (isa: IsaVariant) => boolean): Classified => {
  const saved = spec.engine === 'jit' ? setJitDefaults({ hot: 0 }) : null;
  try {
    const res = runOne(spec);
    // every configuration here is one the strategy accepts on this profile: a refusal is a bug
    if (isLeft(res)) return { verdict: 'host-failure', detail: `the run was refused: ${res.left.join('; ')}` };
    const r = res.right;
    const { host: _host, ...rest } = r;
    const modelled = JSON.stringify(rest);
    const hypercalls = { issued: r.events.hypercalls.total, refused: r.events.hypercalls.validationFailures };
    const k = classifyResult(r, modelled, s, isa, mode, () => nativeCut(isa));
    return { ...k, hypercalls };
  } catch (e) {
    return { verdict: 'host-failure', detail: `host exception: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  } finally {
    if (saved !== null) setJitDefaults(saved);
  }
};

/**
 * Classify a run's result: host failures first (an internal error, an isolation violation,
 * a budget overrun, and in the paravirtual mode an end that is not the guest's own), then
 * the comparison with native. A hypercall sequence has no native counterpart: its clean end
 * is a guest-level stop. `nativeCut` tells whether native's run of the program was cut off
 * by a budget (asked only of a run that differs from native's).
 */
const classifyResult = (r: RunResult, modelled: string, s: Strategy, isa: IsaVariant, mode: FuzzProgram['mode'], nativeCut: () => boolean): Classified => {
  if (r.stop.kind === 'stopped' && /internal error/.test(r.stop.message)) return { verdict: 'host-failure', detail: r.stop.message, modelled };
  if (r.isolationViolations !== undefined) return { verdict: 'host-failure', detail: `isolation violated: ${r.isolationViolations.slice(0, 3).join('; ')}`, modelled };
  const budget = FUZZ_BUDGETS[mode];
  if (r.cycles.total > budget.maxCycles * 2) return { verdict: 'host-failure', detail: `ran ${r.cycles.total} modelled cycles, past the budget of ${budget.maxCycles}`, modelled };
  if (mode === 'paravirt')
    // a paravirtual hypervisor has no exits to leave unhandled: every end of a hypercall sequence is the guest's own
    return r.stop.kind === 'vm-exit-unhandled' ? { verdict: 'host-failure', detail: `the run ended unclearly: ${r.stop.message}`, modelled } : { verdict: 'guest-stop', modelled };
  // a guest cut off by a budget never reached its outcome: VMMs count retired instructions and
  // spend modelled cycles differently, so the cut falls elsewhere than native's (a kernel that
  // prints in a loop has printed more or less by then), which says nothing about equivalence;
  // so too when native's run was the one cut off (a kernel that loops until its timer fires
  // gets there within the budget only under a VMM, whose instructions take more cycles)
  if (!r.equivalent && (r.stop.kind === 'budget' || nativeCut())) return { verdict: 'guest-stop', modelled };
  if (!r.equivalent) {
    // Popek and Goldberg on the default ISA; a paravirtual hypervisor needs a modified kernel, not a random one
    const expected = (s.requiresVirtualizableIsa === true && isa === 'default') || (mode !== 'user' && s.kernelBuild === 'paravirt');
    return { verdict: 'not-equivalent', detail: r.divergence ?? '', modelled, expectedDivergence: expected };
  }
  return { verdict: r.stop.kind === 'shutdown' ? 'equivalent' : 'guest-stop', modelled };
};

/** The first place two JSON texts differ, as `path: a vs b`. */
export const firstDifference = (a: string, b: string): string => {
  const walk = (x: unknown, y: unknown, at: string): string | null => {
    if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        const d = walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], at === '' ? k : `${at}.${k}`);
        if (d !== null) return d;
      }
      return null;
    }
    return JSON.stringify(x) === JSON.stringify(y) ? null : `${at}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`;
  };
  return walk(JSON.parse(a), JSON.parse(b), '') ?? 'the texts differ';
};

/**
 * Run one program under every configuration of every strategy on each engine, each run
 * compared with native; a run on another engine than the first whose modelled results
 * (counters, clock, console, exit, digest: the results without host metadata) differ from
 * the first engine's is a host failure (the engine never changes a modelled number).
 */
export const fuzzProgram = (program: FuzzProgram, strategies: readonly Strategy[], profile: CostProfile, engines: readonly Engine[] = FUZZ_ENGINES): ProgramOutcome => {
  const counts: Record<Verdict, number> = { equivalent: 0, 'not-equivalent': 0, 'guest-stop': 0, 'host-failure': 0 };
  const failures: Finding[] = [];
  let runs = 0;
  let expectedDivergences = 0;
  let issued = 0;
  let refused = 0;
  const name = program.name;
  const inputs = program.mode !== 'user' ? { workload: 'syscall', params: { n: 1 }, kernelImage: program.image } : { workload: '', programImage: { name, program: program.image }, params: { n: 1 } };
  // whether native's own run of the program on an ISA was cut off by a budget (runOne's cached baseline, run again only here)
  const cut = new Map<IsaVariant, boolean>();
  const nativeCut = (isa: IsaVariant): boolean => {
    let c = cut.get(isa);
    if (c === undefined) {
      const r = runOne({ strategy: 'native', ...inputs, profile: profile.name, isa, ...FUZZ_BUDGETS[program.mode] });
      c = !isLeft(r) && r.right.stop.kind === 'budget';
      cut.set(isa, c);
    }
    return c;
  };
  // under paravirt a raw kernel runs in ring 1 and its VMCALLs are random hypercalls: the hypervisor must survive them
  for (const s of strategies)
    for (const c of configurations(s, profile)) {
      const spec: RunSpec = {
        strategy: s.name,
        strategyImpl: s,
        options: c.options,
        ...inputs,
        profile: profile.name,
        isa: c.isa,
        ...FUZZ_BUDGETS[program.mode],
      };
      let reference: { engine: Engine; modelled: string } | null = null;
      for (const engine of engines) {
        runs++;
        let k = classify({ ...spec, engine }, s, c.isa, program.mode, nativeCut);
        if (k.modelled !== undefined && reference === null) reference = { engine, modelled: k.modelled };
        else if (k.modelled !== undefined && reference !== null && k.modelled !== reference.modelled)
          k = { verdict: 'host-failure', detail: `engine ${engine} changed a modelled number (against ${reference.engine}): ${firstDifference(reference.modelled, k.modelled)}` };
        counts[k.verdict]++;
        issued += k.hypercalls?.issued ?? 0;
        refused += k.hypercalls?.refused ?? 0;
        if (k.verdict === 'not-equivalent' && k.expectedDivergence === true) expectedDivergences++;
        else if (k.verdict === 'host-failure' || k.verdict === 'not-equivalent')
          failures.push({ verdict: k.verdict, program: name, strategy: s.name, options: c.options, isa: c.isa, engine, detail: k.detail ?? '', source: program.source });
      }
    }
  return { runs, counts, failures, expectedDivergences, hypercalls: { issued, refused } };
};

/** Add the programs' outcomes, in program order, into a report. */
export const joinOutcomes = (programs: number, outcomes: readonly ProgramOutcome[]): FuzzReport => {
  const counts: Record<Verdict, number> = { equivalent: 0, 'not-equivalent': 0, 'guest-stop': 0, 'host-failure': 0 };
  for (const o of outcomes) for (const v of Object.keys(counts) as Verdict[]) counts[v] += o.counts[v];
  return {
    programs,
    runs: outcomes.reduce((n, o) => n + o.runs, 0),
    counts,
    failures: outcomes.flatMap((o) => o.failures),
    expectedDivergences: outcomes.reduce((n, o) => n + o.expectedDivergences, 0),
    hypercalls: { issued: outcomes.reduce((n, o) => n + o.hypercalls.issued, 0), refused: outcomes.reduce((n, o) => n + o.hypercalls.refused, 0) },
  };
};

/** The session's cost profile (the default if none is named). */
export const fuzzProfile = (name?: string): CostProfile => {
  const loaded = loadProfile(name ?? DEFAULT_PROFILE);
  if (isLeft(loaded)) throw new Error(loaded.left);
  return loaded.right;
};

/** Run every program under every configuration, in this thread; deterministic for a seed. */
export const fuzz = (spec: FuzzSpec): FuzzReport => {
  const profile = fuzzProfile(spec.profile);
  const outcomes: ProgramOutcome[] = [];
  for (const program of fuzzPrograms(spec)) {
    outcomes.push(fuzzProgram(program, spec.strategies, profile, spec.engines));
    spec.onProgress?.(outcomes.length);
  }
  return joinOutcomes(spec.programs, outcomes);
};
