/**
 * The fuzzer: random guest programs (user mode on the shipped kernel, or raw kernels) run
 * under every strategy, with its default options and with each other value of each choice
 * option (not the full product), each compared with native's run of the same program. Runs
 * are bounded by modelled budgets only (never wall time) and classified: equivalent, not
 * equivalent (with the reason; expected only for trap-and-emulate on the default ISA and for
 * paravirt booting a random kernel, which is no paravirtual kernel), a
 * guest-level stop (budget, fault loop, triple fault ...), or a host failure (any host
 * exception, an internal error, a budget overrun). Host failures keep a reproducer.
 * @category Fuzz
 */
import { isLeft } from 'fp-ts/Either';
import type { IsaVariant } from '../../core/isa/variant';
import { runOne } from '../run/run-one';
import { choiceVariants, resolveOptions } from '../../strategies/options';
import { DEFAULT_PROFILE, loadProfile, type CostProfile } from '../../core/cost/profile';
import type { Strategy } from '../../strategies/strategy';
import { randomKernelProgram, randomUserProgram, type FuzzProgram } from './generate';
import { seededRandom } from './random';

/** What to fuzz. */
export interface FuzzSpec {
  readonly programs: number;
  readonly seed: number;
  readonly strategies: readonly Strategy[];
  /** raw kernels instead of user programs */
  readonly kernelMode: boolean;
  /** random instructions per program (default 40) */
  readonly length?: number;
  readonly profile?: string;
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
  readonly detail: string;
  /** the program's source, for host failures */
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
}

/** Budgets of a fuzz run: a guest that does not stop is a guest-level stop, not a hang. */
export const FUZZ_BUDGET = { maxInstructions: 200_000, maxCycles: 200_000_000 } as const;

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
}

/** The programs of a fuzzing session, in order: deterministic for a seed. */
export function* fuzzPrograms(spec: Pick<FuzzSpec, 'programs' | 'seed' | 'kernelMode' | 'length'>): Generator<FuzzProgram> {
  const r = seededRandom(spec.seed);
  for (let k = 0; k < spec.programs; k++) {
    const name = `fuzz-${spec.seed}-${k}`;
    yield spec.kernelMode ? randomKernelProgram(r, name, spec.length ?? 40) : randomUserProgram(r, name, spec.length ?? 40);
  }
}

/** Run one program under every configuration of every strategy, each compared with native. */
export const fuzzProgram = (program: FuzzProgram, strategies: readonly Strategy[], profile: CostProfile, kernelMode: boolean): ProgramOutcome => {
  const counts: Record<Verdict, number> = { equivalent: 0, 'not-equivalent': 0, 'guest-stop': 0, 'host-failure': 0 };
  const failures: Finding[] = [];
  let runs = 0;
  let expectedDivergences = 0;
  const name = program.name;
  // under paravirt a raw kernel runs in ring 1 and its VMCALLs are random hypercalls: the hypervisor must survive them
  for (const s of strategies)
    for (const c of configurations(s, profile)) {
      runs++;
      const finding = (verdict: Verdict, detail: string): Finding => ({ verdict, program: name, strategy: s.name, options: c.options, isa: c.isa, detail, ...(verdict === 'host-failure' ? { source: program.source } : {}) });
      let verdict: Verdict;
      try {
        const res = runOne({
          strategy: s.name,
          strategyImpl: s,
          options: c.options,
          workload: '',
          ...(kernelMode ? { workload: 'syscall', params: { n: 1 }, kernelImage: program.image } : { programImage: { name, program: program.image }, params: { n: 1 } }),
          profile: profile.name,
          isa: c.isa,
          ...FUZZ_BUDGET,
        });
        if (isLeft(res)) {
          // every configuration here is one the strategy accepts on this profile: a refusal is a bug
          verdict = 'host-failure';
          failures.push(finding(verdict, `the run was refused: ${res.left.join('; ')}`));
        } else if (res.right.stop.kind === 'stopped' && /internal error/.test(res.right.stop.message)) {
          verdict = 'host-failure';
          failures.push(finding(verdict, res.right.stop.message));
        } else if (res.right.isolationViolations !== undefined) {
          verdict = 'host-failure';
          failures.push(finding(verdict, `isolation violated: ${res.right.isolationViolations.slice(0, 3).join('; ')}`));
        } else if (res.right.cycles.total > FUZZ_BUDGET.maxCycles * 2) {
          verdict = 'host-failure';
          failures.push(finding(verdict, `ran ${res.right.cycles.total} modelled cycles, past the budget of ${FUZZ_BUDGET.maxCycles}`));
        } else if (!res.right.equivalent) {
          verdict = 'not-equivalent';
          // Popek and Goldberg on the default ISA; a paravirtual hypervisor needs a modified kernel, not a random one
          if ((s.requiresVirtualizableIsa && c.isa === 'default') || (kernelMode && s.kernelBuild === 'paravirt')) expectedDivergences++;
          else failures.push(finding(verdict, res.right.divergence ?? ''));
        } else verdict = res.right.stop.kind === 'shutdown' ? 'equivalent' : 'guest-stop';
      } catch (e) {
        verdict = 'host-failure';
        failures.push(finding(verdict, `host exception: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`));
      }
      counts[verdict]++;
    }
  return { runs, counts, failures, expectedDivergences };
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
    outcomes.push(fuzzProgram(program, spec.strategies, profile, spec.kernelMode));
    spec.onProgress?.(outcomes.length);
  }
  return joinOutcomes(spec.programs, outcomes);
};
