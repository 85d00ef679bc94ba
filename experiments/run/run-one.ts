/**
 * Run one workload under one strategy on one profile, and compare it with native: the
 * measured-region cycles give the slowdown, the console output, exit code and result
 * digest give the equivalence verdict (Popek & Goldberg's equivalence property).
 * @category Runner
 */
import { createHash } from 'crypto';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { Machine } from '../../core/cpu/machine';
import { describeStop } from '../../core/cpu/stop';
import { diffSnapshots, type LedgerSnapshot } from '../../core/cost/ledger';
import { loadProfile, pricesOf, type CostProfile } from '../../core/cost/profile';
import { bootImage, readResult, WORKLOADS, GUEST_MEMORY_BYTES } from '../../core/guest/boot';
import type { IsaVariant } from '../../core/isa/variant';
import { resolveOptions } from '../../strategies/options';
import { lookupStrategy } from '../../strategies/modules';
import type { Strategy } from '../../strategies/strategy';
import { eventsView, instructionsByRing } from './events-view';
import { attachTracer } from '../trace/trace';
import type { RunResult } from './result';

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
  /** a strategy object to use instead of looking `strategy` up (extension modules) */
  readonly strategyImpl?: Strategy;
  /** machine settings (ablations) */
  readonly machine?: MachineSettings;
  /** write a Chrome/Perfetto trace of the strategy's run to this file */
  readonly trace?: string;
}

/** Machine settings a run may change. */
export interface MachineSettings {
  readonly tlbEntries?: number;
  readonly tlbWays?: number;
}

/** Default instruction budget of a run. */
export const DEFAULT_BUDGET = 200_000_000;

/** Resolve workload parameters: defaults filled, unknown names and out-of-range values refused. */
export const resolveParams = (workload: string, given: Readonly<Record<string, number>>): Either<string[], Record<string, number>> => {
  const w = (WORKLOADS as Record<string, (typeof WORKLOADS)[keyof typeof WORKLOADS]>)[workload];
  if (!w) return left([`unknown workload '${workload}'; valid workloads: ${Object.keys(WORKLOADS).join(', ')}`]);
  const errors: string[] = [];
  const out: Record<string, number> = {};
  for (const k of Object.keys(given))
    if (!(k in w.params)) errors.push(`workload '${workload}' has no parameter '${k}'; its parameters: ${Object.keys(w.params).join(', ')}`);
  for (const [k, p] of Object.entries(w.params) as [string, { default: number; min: number; max: number }][]) {
    const v = given[k] ?? p.default;
    if (!Number.isInteger(v) || v < p.min || v > p.max)
      errors.push(`parameter ${k}=${v} of workload '${workload}' is out of range: expected an integer from ${p.min} to ${p.max}`);
    else out[k] = v;
  }
  return errors.length > 0 ? left(errors) : right(out);
};

/** What the guest computed: the part of a run that equivalence compares. */
interface Outcome {
  readonly console: string;
  readonly exitCode: number | null;
  readonly digest: string;
  readonly regionCycles: number;
  /** the first divergence the strategy itself observed */
  readonly divergence?: string | null;
}

const baselines = new Map<string, Outcome>();

/** Simulate a run; returns the result without comparing to native. */
const simulate = (
  strategy: Strategy,
  options: Readonly<Record<string, string | number>>,
  workload: string,
  params: Record<string, number>,
  profile: CostProfile,
  isa: IsaVariant,
  budget: number,
  settings: MachineSettings,
  traceFile?: string,
): Either<string, { result: Omit<RunResult, 'slowdown' | 'equivalent' | 'divergence'>; outcome: Outcome }> => {
  const image = bootImage({ workload, n: params.n, build: strategy.kernelBuild, kernel: strategy.kernelOptions?.(options) });
  if (isLeft(image)) return left(image.left);
  const machine = new Machine({ memoryBytes: GUEST_MEMORY_BYTES + strategy.reservedBytes, variant: isa, ...settings, prices: pricesOf(profile) });
  try {
    for (const t of strategy.counters) machine.ledger.declare(t);
  } catch (e) {
    return left(`strategy '${strategy.name}' on profile '${profile.name}': ${(e as Error).message}`);
  }
  image.right.loadInto(machine);
  const vm = strategy.start({ machine, profile, options, guestMemoryBytes: GUEST_MEMORY_BYTES, entry: 0 });
  const snapshot = (): LedgerSnapshot => machine.snapshot();
  const tracer = traceFile ? attachTracer(machine, profile, { strategy: strategy.name, workload }) : null;
  const marks: { start?: LedgerSnapshot; end?: LedgerSnapshot } = {};
  machine.events.listen((e) => {
    if (e.kind === 'region') marks[e.mark] = snapshot();
  });
  const t0 = performance.now();
  const stop = vm.run(budget);
  const wallMs = performance.now() - t0;
  if (tracer && traceFile) {
    try {
      tracer.write(traceFile);
    } catch (e) {
      return left(`cannot write trace '${traceFile}': ${(e as Error).message}`);
    }
  }
  const all = snapshot();
  const region = marks.start ? diffSnapshots(marks.start, marks.end ?? all) : all;
  const result = readResult(machine);
  const exitCode = stop.kind === 'shutdown' ? stop.exitCode : null;
  const digest = createHash('sha256')
    .update(result.bytes)
    .update(String(result.exitCode))
    .digest('hex');
  const byRing = instructionsByRing(all.counts);
  const instructions = byRing.reduce((a, v) => a + v, 0);
  const n = params.n ?? 1;
  return right({
    result: {
      strategy: strategy.name,
      options,
      workload,
      params,
      profile: profile.name,
      isa,
      machine: { tlbEntries: machine.mmu.tlb.size, tlbWays: machine.mmu.tlb.ways },
      stop: { ...stop, message: describeStop(stop) },
      exitCode,
      guest: {
        instructions,
        byRing,
        regionInstructions: instructionsByRing(region.counts).reduce((a, v) => a + v, 0),
      },
      events: eventsView(all.counts),
      cycles: {
        total: all.cycles,
        breakdown: all.byCause,
        region: region.cycles,
        regionBreakdown: region.byCause,
        perOperation: n > 0 ? region.cycles / n : 0,
        byExitReason: Object.fromEntries(
          Object.entries(all.counts['vm.exits'] as Record<string, number>).map(([reason, exits]) => [
            reason,
            { exits, cycles: exits * profile.costs.vmExitRoundTrip.cycles + (vm.exitHandlerCycles?.()[reason] ?? 0) },
          ]),
        ),
      },
      regionSeconds: region.cycles / profile.frequencyHz,
      console: machine.console.text(),
      digest,
      host: { wallMs: Math.round(wallMs * 1000) / 1000, mips: wallMs > 0 ? Math.round((instructions / wallMs / 1000) * 10) / 10 : 0 },
    },
    outcome: {
      console: machine.console.text(),
      exitCode,
      digest,
      // without a complete measured region there is nothing to compare cycles with
      regionCycles: marks.start && marks.end ? region.cycles : NaN,
      divergence: vm.divergence?.() ?? null,
    },
  });
};

/** The first difference between an outcome and native's, or null. */
const divergence = (native: Outcome, o: Outcome): string | null => {
  if (o.divergence) return o.divergence;
  if (o.console !== native.console) {
    let i = 0;
    while (i < o.console.length && o.console[i] === native.console[i]) i++;
    return `console output differs at byte ${i}: native ${JSON.stringify(native.console.slice(i, i + 40))}, got ${JSON.stringify(o.console.slice(i, i + 40))}`;
  }
  if (o.exitCode !== native.exitCode) return `exit code differs: native ${native.exitCode}, got ${o.exitCode}`;
  if (o.digest !== native.digest) return `result digest differs: native ${native.digest.slice(0, 16)}..., got ${o.digest.slice(0, 16)}...`;
  return null;
};

/** Problems with machine settings, as messages. */
export const machineSettingsErrors = (m: MachineSettings): string[] => {
  const out: string[] = [];
  const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  const entries = m.tlbEntries ?? 64;
  if (!pow2(entries) || entries > 65536) out.push(`machine.tlbEntries must be a power of two from 1 to 65536, got ${m.tlbEntries}`);
  if (m.tlbWays !== undefined && (!pow2(m.tlbWays) || m.tlbWays > Math.min(64, entries)))
    out.push(`machine.tlbWays must be a power of two from 1 to min(64, tlbEntries), got ${m.tlbWays}`);
  return out;
};

/** Run one spec; errors are bad input (unknown names, bad values), all reported at once. */
export const runOne = (spec: RunSpec): Either<string[], RunResult> => {
  const errors: string[] = [];
  const strategy = spec.strategyImpl ? right(spec.strategyImpl) : lookupStrategy(spec.strategy);
  if (isLeft(strategy)) errors.push(strategy.left);
  const profile = loadProfile(spec.profile);
  if (isLeft(profile)) errors.push(profile.left);
  const params = resolveParams(spec.workload, spec.params ?? {});
  if (isLeft(params)) errors.push(...params.left);
  const options = isLeft(strategy) ? null : resolveOptions(strategy.right, spec.options ?? {});
  if (options && isLeft(options)) errors.push(...options.left);
  if (errors.length > 0 || isLeft(strategy) || isLeft(profile) || isLeft(params) || !options || isLeft(options)) return left(errors);
  const refused = strategy.right.check(options.right, profile.right);
  if (refused !== null) return left([refused]);
  const isa = spec.isa ?? 'default';
  const budget = spec.maxInstructions ?? DEFAULT_BUDGET;

  const settings = spec.machine ?? {};
  const bad = machineSettingsErrors(settings);
  if (bad.length > 0) return left(bad);
  const key = JSON.stringify([spec.workload, params.right, profile.right.name, isa, budget, settings]);
  let native = baselines.get(key);
  if (!native) {
    const base = lookupStrategy('native');
    if (isLeft(base)) return left([base.left]);
    const r = simulate(base.right, {}, spec.workload, params.right, profile.right, isa, budget, settings);
    if (isLeft(r)) return left([r.left]);
    native = r.right.outcome;
    baselines.set(key, native);
  }
  const run = simulate(strategy.right, options.right, spec.workload, params.right, profile.right, isa, budget, settings, spec.trace);
  if (isLeft(run)) return left([run.left]);
  const why = divergence(native, run.right.outcome);
  return right({
    ...run.right.result,
    slowdown: native.regionCycles > 0 && Number.isFinite(run.right.outcome.regionCycles) ? run.right.outcome.regionCycles / native.regionCycles : null,
    equivalent: why === null,
    divergence: why,
  });
};
