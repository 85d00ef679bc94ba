/**
 * `ringlab check --strategy-module FILE`: a strategy module as the equivalence suite sees a
 * built-in strategy. The module is loaded (its API version checked), each strategy it
 * exports is validated (the Strategy shape, its options' codecs, its counter tables), then
 * run against native on every workload (small n) in every configuration of its choice
 * options, each on the first profile that accepts it; a configuration refused on every
 * profile is skipped with a note. Prints a pass/fail table; fails unless every run passed
 * and at least one ran.
 * @category CLI
 */
import { isLeft, type Either } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES, type CostProfile } from '../../../core/cost/profile';
import { isWorkloadName, WORKLOADS, WORKLOAD_NAMES, type WorkloadName } from '../../../core/guest/workloads';
import { readStrategyModule, STRATEGY_API_VERSION } from '../../../strategies/modules';
import { choiceVariants, resolveOptions } from '../../../strategies/options';
import type { Strategy } from '../../../strategies/strategy';
import { CliError, ExitCode } from '../../common/errors';
import { enableTypeScriptModules } from '../../common/typescript-modules';
import { table } from '../../common/format';
import { runOne } from '../../run/run-one';

/** What `ringlab check` is given. */
export interface CheckOptions {
  readonly strategyModules: readonly string[];
  /** workloads to run (default: every workload) */
  readonly workloads?: readonly string[];
  /** progress lines (one per run), if wanted */
  readonly progress?: (line: string) => void;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Problems of one option declaration (a `choice` or `integer` codec); empty if sound. */
const optionProblems = (name: string, o: unknown): string[] => {
  if (!isObject(o)) return [`option '${name}' is not a declaration (use choice(...) or integer(...) from strategies/options.ts)`];
  const problems: string[] = [];
  if (typeof o.description !== 'string') problems.push(`option '${name}' has no description`);
  const codec = o.codec as { decode?: unknown } | undefined;
  if (!isObject(codec) || typeof codec.decode !== 'function') problems.push(`option '${name}' has no codec (use choice(...) or integer(...) from strategies/options.ts)`);
  const decodes = (v: unknown): boolean => {
    try {
      return !isLeft((codec as { decode: (u: unknown) => Either<unknown, unknown> }).decode(v));
    } catch {
      return false;
    }
  };
  if (o.kind === 'choice') {
    const choices = o.choices;
    if (!Array.isArray(choices) || choices.length === 0 || !choices.every((c) => typeof c === 'string')) return [...problems, `option '${name}' has no list of choices`];
    if (!(choices as unknown[]).includes(o.default)) problems.push(`option '${name}': its default ${JSON.stringify(o.default)} is not one of its choices (${choices.join(' | ')})`);
    if (problems.length === 0)
      for (const c of choices) if (!decodes(c)) problems.push(`option '${name}': its codec refuses its own choice '${c}'`);
  } else if (o.kind === 'integer') {
    const { min, max } = o;
    if (!Number.isInteger(min) || !Number.isInteger(max) || (min as number) > (max as number)) return [...problems, `option '${name}': min and max must be integers with min <= max`];
    if (!Number.isInteger(o.default) || (o.default as number) < (min as number) || (o.default as number) > (max as number))
      problems.push(`option '${name}': its default ${JSON.stringify(o.default)} is not an integer from ${min} to ${max}`);
    if (problems.length === 0 && (!decodes(min) || !decodes(max))) problems.push(`option '${name}': its codec refuses its own range ${min} to ${max}`);
  } else problems.push(`option '${name}' has kind ${JSON.stringify(o.kind)}; expected 'choice' or 'integer'`);
  return problems;
};

/** Problems of one counter table: each entry a `tally` or `count` with a pricing (`priced` or `free`). */
const counterProblems = (counters: unknown, i: number): string[] => {
  if (!isObject(counters)) return [`counters[${i}] is not a counter table`];
  return Object.entries(counters).flatMap(([name, spec]) => {
    if (!isObject(spec) || (spec.shape !== 'tally' && spec.shape !== 'count')) return [`counter '${name}' is not declared with tally(...) or count(...) (core/cost/counters.ts)`];
    const p = spec.pricing;
    const priced = isObject(p) && typeof p.cost === 'string' && typeof p.cause === 'string';
    const free = isObject(p) && typeof p.free === 'string';
    return priced || free ? [] : [`counter '${name}' has no pricing (priced(cost, cause) or free(why))`];
  });
};

/**
 * What is wrong with a strategy's declaration beyond the shape the loader accepts: its
 * description, options (codecs consistent with their choices, ranges and defaults) and
 * counters (declared tables with pricing); empty if nothing.
 */
export const strategyProblems = (s: Strategy): string[] => {
  const problems: string[] = [];
  if (typeof s.description !== 'string' || s.description.trim() === '') problems.push('no description');
  if (!Number.isInteger(s.reservedBytes) || s.reservedBytes < 0) problems.push(`reservedBytes must be a non-negative integer, got ${String(s.reservedBytes)}`);
  if (!isObject(s.options)) problems.push('options must be an object of declarations');
  else for (const [k, o] of Object.entries(s.options)) problems.push(...optionProblems(k, o));
  if (!Array.isArray(s.counters)) problems.push('counters must be a list of counter tables (e.g. [VMM_COUNTERS]), even an empty one');
  else s.counters.forEach((t, i) => problems.push(...counterProblems(t, i)));
  if (s.kernelOptions !== undefined && typeof s.kernelOptions !== 'function') problems.push('kernelOptions must be a function');
  if (s.checkGuest !== undefined && typeof s.checkGuest !== 'function') problems.push('checkGuest must be a function');
  return problems;
};

/** A small n for a workload, so the whole check stays quick (as the equivalence suite's). */
const smallN = (w: WorkloadName): number => {
  const p = WORKLOADS[w].params.n;
  return Math.max(p.min, Math.min(p.default, 40));
};

/** The shipped profiles, loaded when a check first needs them (not at every command's start). */
const shippedProfiles = (): CostProfile[] =>
  PROFILE_NAMES.map((p) => {
    const r = loadProfile(p);
    if (isLeft(r)) throw new Error(r.left);
    return r.right;
  });

/** The first shipped profile that accepts the options, or the reason the first refused them. */
const profileFor = (s: Strategy, options: Readonly<Record<string, string | number>>): { profile: string } | { refused: string } => {
  let first: string | null = null;
  for (const p of shippedProfiles()) {
    let why: string | null;
    try {
      why = s.check(options as never, p);
    } catch (e) {
      return { refused: `check threw: ${errorText(e)}` };
    }
    if (why === null) return { profile: p.name };
    first ??= `${p.name}: ${why}`;
  }
  return { refused: first ?? 'no profile' };
};

/** One row of the table. */
interface Row {
  readonly strategy: string;
  readonly options: string;
  readonly profile: string;
  readonly workload: string;
  readonly verdict: 'pass' | 'FAIL' | 'ERROR';
  readonly detail: string;
}

/** Run the check; the text to print and the exit code. Bad input (no module, unknown workload, a module that does not load) is a CliError. */
export const checkCommand = (o: CheckOptions): { text: string; exitCode: number } => {
  if (o.strategyModules.length === 0) throw new CliError('check needs a strategy module: ringlab check --strategy-module FILE');
  const unknown = (o.workloads ?? []).filter((w) => !isWorkloadName(w));
  if (unknown.length > 0) throw new CliError(`unknown workload${unknown.length > 1 ? 's' : ''} ${unknown.map((w) => `'${w}'`).join(', ')}; valid workloads: ${WORKLOAD_NAMES.join(', ')}`);
  const workloads = (o.workloads?.length ? [...new Set(o.workloads)] : WORKLOAD_NAMES) as WorkloadName[];
  enableTypeScriptModules(o.strategyModules);
  const lines: string[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  const rows: Row[] = [];
  for (const file of o.strategyModules) {
    const m = readStrategyModule(file);
    if (isLeft(m)) throw new CliError(m.left);
    lines.push(
      `${file}: strategy API version ${m.right.apiVersion}${m.right.declaresApiVersion ? '' : ` (not declared; the current ${STRATEGY_API_VERSION} assumed)`}; strategies: ${m.right.strategies.map((s) => s.name).join(', ')}`,
    );
    for (const s of m.right.strategies) {
      const wrong = strategyProblems(s);
      if (wrong.length > 0) {
        problems.push(...wrong.map((p) => `${s.name}: ${p}`));
        continue;
      }
      const isa = s.requiresVirtualizableIsa ? 'virtualizable' : 'default';
      for (const given of choiceVariants(s)) {
        const optionsText = Object.entries(given).map(([k, v]) => `${k}=${v}`).join(' ') || '(defaults)';
        const resolved = resolveOptions(s, given);
        if (isLeft(resolved)) {
          problems.push(`${s.name}: options ${optionsText}: ${resolved.left.join('; ')}`);
          continue;
        }
        const where = profileFor(s, resolved.right);
        if ('refused' in where) {
          notes.push(`${s.name} ${optionsText}: refused on every shipped profile (${where.refused}); skipped`);
          continue;
        }
        for (const w of workloads) {
          let row: Row;
          const base = { strategy: s.name, options: optionsText, profile: where.profile, workload: w };
          try {
            const r = runOne({ strategy: s.name, strategyImpl: s, options: given, workload: w, params: { n: smallN(w) }, profile: where.profile, isa });
            row = isLeft(r)
              ? { ...base, verdict: 'ERROR', detail: r.left.join('; ') }
              : r.right.equivalent
                ? { ...base, verdict: 'pass', detail: `${r.right.slowdown === null ? '-' : `${r.right.slowdown.toFixed(2)}x`}` }
                : { ...base, verdict: 'FAIL', detail: `not equivalent: ${r.right.divergence}` };
          } catch (e) {
            row = { ...base, verdict: 'ERROR', detail: `the strategy threw: ${errorText(e)}` };
          }
          rows.push(row);
          o.progress?.(`${row.strategy} ${row.options} ${row.workload}: ${row.verdict}`);
        }
      }
    }
  }
  const failed = rows.filter((r) => r.verdict !== 'pass');
  const verdict =
    problems.length > 0
      ? `FAILED: ${problems.length} problem(s) in the declaration${failed.length ? `, ${failed.length} of ${rows.length} run(s) not equivalent or in error` : ''}`
      : rows.length === 0
        ? 'FAILED: nothing was checked (every configuration was refused or skipped)'
        : failed.length > 0
          ? `FAILED: ${failed.length} of ${rows.length} run(s) not equivalent to native or in error`
          : `passed: ${rows.length} run(s) equivalent to native`;
  const text = [
    ...lines,
    ...(problems.length ? ['', 'problems:', ...problems.map((p) => `  ${p}`)] : []),
    ...(rows.length
      ? ['', table(['strategy', 'options', 'profile', 'workload', 'result', 'slowdown / why'], rows.map((r) => [r.strategy, r.options, r.profile, r.workload, r.verdict, r.detail]))]
      : []),
    ...(notes.length ? ['', ...notes.map((n) => `note: ${n}`)] : []),
    '',
    verdict,
  ].join('\n');
  return { text, exitCode: verdict.startsWith('passed') ? ExitCode.ok : ExitCode.failure };
};
