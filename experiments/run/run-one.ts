/**
 * Run one workload under one strategy on one profile, and compare it with native: the
 * measured-region cycles give the slowdown, the console output, exit code and result
 * digest give the equivalence verdict (Popek & Goldberg's equivalence property). Native
 * baselines are simulated once per workload, parameters, profile, ISA, budget and settings,
 * and a native run that finds no baseline is its own (runs are deterministic).
 * @category Runner
 */
import type { Program } from '../../core/asm';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { loadProfile, withCostOverrides } from '../../core/cost/profile';
import { resolveBootParams } from '../../core/guest/boot-params';
import { fileDigest, imageDigest, loadUserKernel, loadUserProgram, programWorkloadName } from '../../core/guest/user-images';
import type { IsaVariant } from '../../core/isa/variant';
import type { Engine } from '../../core/cpu/engine';
import { lookupStrategy } from '../../strategies/modules';
import { resolveOptions, type OptionValues } from '../../strategies/options';
import type { Strategy } from '../../strategies/strategy';
import { isWorkloadName, WORKLOADS } from '../../core/guest/workloads';
import { divergence, type Outcome } from './equivalence';
import { machineSettingsErrors, type MachineSettings } from './machine-settings';
import { resolveParams, resolveProgramParams } from './params';
import type { RunResult } from './result';
import { simulate, type Simulated } from './simulate';

/** What to run. */
export interface RunSpec {
  readonly strategy: string;
  readonly options?: Readonly<Record<string, string | number>>;
  readonly workload: string;
  readonly params?: Readonly<Record<string, number>>;
  readonly profile: string;
  readonly isa?: IsaVariant;
  /** instruction budget; a guest that does not stop within it ends the run */
  readonly maxInstructions?: number;
  /** modelled-cycle budget (bounds every kind of guest-driven work: exceptions, exits, traps ...) */
  readonly maxCycles?: number;
  /** the kernel's boot parameters (hz ...); unknown names and bad values are refused */
  readonly boot?: Readonly<Record<string, number | string>>;
  /** virtual CPUs (default: the boot parameter cpus, 1); sets the kernel's cpus */
  readonly vcpus?: number;
  /** replace per-event costs of the profile (cost sensitivity), recorded in the result */
  readonly costOverrides?: Readonly<Record<string, number>>;
  /**
   * a user's program file (`.s` or a flat image) to run instead of a shipped workload; the
   * result's workload is `program:NAME`, and native's run of it is the reference
   */
  readonly program?: string;
  /**
   * a user's kernel file (`.s`, assembled with the strategy's build defines, or a flat image)
   * to boot instead of the shipped kernel, in this run and in its native reference
   */
  readonly kernel?: string;
  /** a program image to run instead of a workload or a program file (the fuzzer's), named `program:NAME` */
  readonly programImage?: { readonly name: string; readonly program: Program };
  /** a flat kernel image to boot instead of the shipped kernel, under every build (the fuzzer's) */
  readonly kernelImage?: Program;
  /** a strategy object to use instead of looking `strategy` up (extension modules) */
  readonly strategyImpl?: Strategy;
  /** machine settings (ablations) */
  readonly machine?: MachineSettings;
  /** write a Chrome/Perfetto trace of the strategy's run to this file */
  readonly trace?: string;
  /** the simulator engine of both runs, this one and native's (host metadata: no modelled number depends on it) */
  readonly engine?: Engine;
  /** called about once a second of host time with the run under way (native's reference or the strategy's) and its instructions so far */
  readonly progress?: (run: 'native' | 'strategy', instructions: number) => void;
}

/** Default instruction budget of a run (at least: a workload's parameter may need more, see defaultBudget). */
export const DEFAULT_BUDGET = 200_000_000;

/** Default cycle budget of a run (at least): about a minute of modelled time at 4 GHz. */
export const DEFAULT_CYCLE_BUDGET = 250_000_000_000;

/** Instructions of a run besides its workload's units (the boot, the report): a generous bound. */
const BOOT_INSTRUCTIONS = 1_000_000;

/**
 * The default budgets of a run of `workload` with parameter `n`: the defaults above, or for a
 * shipped workload whose n needs more, its declared bound (`instructionsPerUnit` x n plus the
 * boot's), with the cycle budget grown in the same ratio. A user's program gets the defaults.
 */
export const defaultBudget = (workload: string, n: number | undefined): { maxInstructions: number; maxCycles: number } => {
  const per = isWorkloadName(workload) ? WORKLOADS[workload].instructionsPerUnit : 0;
  const maxInstructions = Math.max(DEFAULT_BUDGET, BOOT_INSTRUCTIONS + per * (n ?? 0));
  return { maxInstructions, maxCycles: DEFAULT_CYCLE_BUDGET * (maxInstructions / DEFAULT_BUDGET) };
};

const baselines = new Map<string, Outcome>();

/** Baselines simulated in this thread and not yet taken by {@link takeNewBaselines}. */
let fresh: [string, Outcome][] = [];

/** A native baseline by its key: what one thread simulated, for another (see {@link addBaselines}). */
export type Baseline = readonly [key: string, outcome: Outcome];

/** The baselines this thread has simulated since the last call: for threads running other runs of the same specs. */
export const takeNewBaselines = (): Baseline[] => {
  const out = fresh;
  fresh = [];
  return out;
};

/**
 * Baselines another thread simulated (from its {@link takeNewBaselines}): runs are
 * deterministic and the key holds everything a baseline depends on, so this thread need not
 * simulate them again. Keys it has already are kept.
 */
export const addBaselines = (entries: readonly Baseline[]): void => {
  for (const [key, outcome] of entries) if (!baselines.has(key)) baselines.set(key, outcome);
};

/** Run one spec; errors are bad input (unknown names, bad values), all reported at once. */
/** Why a strategy cannot run a guest on `vcpus` vCPUs with these options, or null. */
export const vcpusRefusal = (strategy: Strategy, options: OptionValues, vcpus: number): string | null => {
  const most = strategy.maxVcpus?.(options) ?? 1;
  if (vcpus <= most) return null;
  const shown = Object.entries(options).map(([k, v]) => `${k}=${v}`).join(', ');
  return `strategy '${strategy.name}'${shown ? ` with ${shown}` : ''} runs guests on at most ${most} vCPU${most === 1 ? '' : 's'}, not ${vcpus}`;
};

export const runOne = (spec: RunSpec): Either<string[], RunResult> => {
  const errors: string[] = [];
  const strategy = spec.strategyImpl ? right(spec.strategyImpl) : lookupStrategy(spec.strategy);
  if (isLeft(strategy)) errors.push(strategy.left);
  const loaded = loadProfile(spec.profile);
  const profile = isLeft(loaded) ? left([loaded.left]) : withCostOverrides(loaded.right, spec.costOverrides ?? {});
  if (isLeft(profile)) errors.push(...profile.left);
  const given = spec.boot ?? {};
  if (spec.vcpus !== undefined && given.cpus !== undefined && Number(given.cpus) !== spec.vcpus)
    errors.push(`vcpus=${spec.vcpus} and boot parameter cpus=${given.cpus} disagree: give one of them (vcpus sets cpus)`);
  const boot = resolveBootParams(spec.vcpus === undefined ? given : { ...given, cpus: spec.vcpus });
  if (isLeft(boot)) errors.push(...boot.left);
  const program = spec.programImage ? right(spec.programImage.program) : spec.program === undefined ? null : loadUserProgram(spec.program);
  if (program && isLeft(program)) errors.push(program.left);
  const params = program ? resolveProgramParams(spec.params ?? {}) : resolveParams(spec.workload, spec.params ?? {});
  if (isLeft(params)) errors.push(...params.left);
  const options = isLeft(strategy) ? null : resolveOptions(strategy.right, spec.options ?? {});
  if (options && isLeft(options)) errors.push(...options.left);
  if (errors.length > 0 || isLeft(strategy) || isLeft(profile) || isLeft(params) || !options || isLeft(options) || isLeft(boot) || (program && isLeft(program))) return left(errors);
  const refused = strategy.right.check(options.right, profile.right) ?? vcpusRefusal(strategy.right, options.right, boot.right.cpus);
  if (refused !== null) return left([refused]);
  const settings = spec.machine ?? {};
  const bad = machineSettingsErrors(settings);
  if (bad.length > 0) return left(bad);
  const byDefault = defaultBudget(program ? 'program' : spec.workload, params.right.n);
  const budget = { maxInstructions: spec.maxInstructions ?? byDefault.maxInstructions, maxCycles: spec.maxCycles ?? byDefault.maxCycles };
  const costOverrides = spec.costOverrides ?? {};
  const userProgram = program && !isLeft(program) ? program.right : undefined;
  const workload = spec.programImage ? `program:${spec.programImage.name}` : spec.program !== undefined ? programWorkloadName(spec.program) : spec.workload;
  const common = { workload, program: userProgram, params: params.right, profile: profile.right, isa: spec.isa ?? 'default', budget, settings, boot: boot.right, costOverrides, engine: spec.engine };
  const programDigest = userProgram ? imageDigest(userProgram.bytes) : null;
  const kernelFile = spec.kernel;
  const kernelImage = spec.kernelImage;
  const kernelDigest = kernelImage ? imageDigest(kernelImage.bytes) : kernelFile === undefined ? null : fileDigest(kernelFile);
  if (kernelFile !== undefined && !kernelImage && kernelDigest === null) {
    const unreadable = loadUserKernel(kernelFile, 'native');
    return left([isLeft(unreadable) ? unreadable.left : `cannot read kernel '${kernelFile}'`]);
  }
  const key = JSON.stringify([workload, programDigest, kernelDigest, params.right, profile.right.name, common.isa, budget, settings, boot.right, costOverrides]);
  let native = baselines.get(key);
  // native's run of this spec when it was just simulated as the baseline: the same simulation
  let nativeRun: Simulated | undefined;
  if (!native) {
    const base = lookupStrategy('native');
    if (isLeft(base)) return left([base.left]);
    const r = simulate({ ...common, kernelFile, kernelImage, strategy: base.right, options: {}, onProgress: spec.progress && ((i) => spec.progress?.('native', i)) });
    if (isLeft(r)) return left([r.left]);
    native = r.right.outcome;
    baselines.set(key, native);
    fresh.push([key, native]);
    if (strategy.right === base.right && Object.keys(options.right).length === 0 && spec.trace === undefined) nativeRun = r.right;
  }
  // a native run is its own baseline (runs are deterministic): simulated once, not twice
  const run = nativeRun
    ? right(nativeRun)
    : simulate({ ...common, kernelFile, kernelImage, strategy: strategy.right, options: options.right, traceFile: spec.trace, onProgress: spec.progress && ((i) => spec.progress?.('strategy', i)) });
  if (isLeft(run)) return left([run.left]);
  const why = divergence(native, run.right.outcome);
  return right({
    ...run.right.result,
    slowdown: native.regionCycles > 0 && Number.isFinite(run.right.outcome.regionCycles) ? run.right.outcome.regionCycles / native.regionCycles : null,
    equivalent: why === null,
    divergence: why,
  });
};
