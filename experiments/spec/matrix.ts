/**
 * Expanding a spec into its runs: the cartesian product of strategies x option sweeps x
 * workloads x parameter sweeps x profiles x ISA variants x machine settings x repetitions,
 * in a fixed order, each with a stable key. Combinations a strategy refuses on a profile
 * (e.g. nested paging before EPT) are skipped and listed, not run. The `hosts` axis's host
 * runs follow the runs (spec/host-axis.ts).
 * @category Experiments
 */
import { createHash } from 'crypto';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { loadProfile, withCostOverrides } from '../../core/cost/profile';
import { resolveBootParams } from '../../core/guest/boot-params';
import type { IsaVariant } from '../../core/isa/variant';
import { lookupStrategy } from '../../strategies/modules';
import { resolveOptions } from '../../strategies/options';
import { machineSettingsErrors, type MachineSettings } from '../run/machine-settings';
import { resolveParams } from '../run/params';
import { vcpusRefusal } from '../run/run-one';
import { formatNumber } from '../common/format';
import type { ExperimentSpec } from './codec';
import { expandHosts, type PlannedHost } from './host-axis';

/** One run of an experiment. */
export interface PlannedRun {
  readonly kind: 'run';
  /** position in the matrix (0-based), the basis of sharding */
  readonly index: number;
  /** stable identity of the run (same spec and values give the same key) */
  readonly key: string;
  readonly label: string;
  readonly strategy: string;
  readonly options: Readonly<Record<string, string | number>>;
  readonly workload: string;
  readonly params: Readonly<Record<string, number>>;
  readonly profile: string;
  readonly isa: IsaVariant;
  readonly machine: MachineSettings;
  readonly repetition: number;
  readonly maxInstructions?: number;
  readonly maxCycles?: number;
  /** boot parameters given (the others take their defaults) */
  readonly boot: Readonly<Record<string, number>>;
  /** per-event costs replacing the profile's */
  readonly costOverrides: Readonly<Record<string, number>>;
}

/** A planned run or host run: what a worker executes. */
export type PlannedTask = PlannedRun | PlannedHost;

/** The matrix and the combinations skipped as inapplicable. */
export interface Matrix {
  readonly runs: readonly PlannedRun[];
  /** the host runs of the `hosts` axis, numbered after the runs */
  readonly hosts: readonly PlannedHost[];
  readonly skipped: readonly string[];
}

const asList = <T>(v: T | readonly T[] | undefined, fallback: readonly T[]): readonly T[] =>
  v === undefined ? fallback : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** Cartesian product of named lists: {a: [1,2], b: [x]} -> [{a:1,b:x},{a:2,b:x}]. */
export const product = <T>(lists: Readonly<Record<string, readonly T[]>>): Record<string, T>[] =>
  Object.entries(lists).reduce<Record<string, T>[]>((acc, [k, vs]) => acc.flatMap((a) => vs.map((v) => ({ ...a, [k]: v }))), [{}]);

const keyOf = (r: Omit<PlannedRun, 'index' | 'key' | 'label' | 'kind'>): string => {
  // settings added later join the key only when given, so earlier keys stay the same
  const later = [
    ...(r.maxCycles !== undefined ? [{ maxCycles: r.maxCycles }] : []),
    ...(Object.keys(r.boot).length ? [{ boot: r.boot }] : []),
    ...(Object.keys(r.costOverrides).length ? [{ costOverrides: r.costOverrides }] : []),
  ];
  return createHash('sha256')
    .update(JSON.stringify([r.strategy, r.options, r.workload, r.params, r.profile, r.isa, r.machine, r.repetition, r.maxInstructions ?? null, ...later]))
    .digest('hex')
    .slice(0, 16);
};

/** Most runs a matrix may have: a bigger one is refused before it is expanded (it would not fit in memory). */
export const MAX_MATRIX_RUNS = 1_000_000;

const count = (lists: Readonly<Record<string, unknown>> | undefined): number =>
  Object.values(lists ?? {}).reduce<number>((n, v) => n * asList(v, []).length, 1);

/** An upper bound of the runs of a spec (combinations a strategy refuses are counted too). */
const maxRuns = (spec: ExperimentSpec): number =>
  spec.strategies.reduce((n, s) => n + count(s.options) * asList(s.isa ?? spec.isa, ['default']).length, 0) *
  spec.workloads.reduce((n, w) => n + count(w.params), 0) *
  spec.profiles.length *
  count(spec.machine) *
  count(spec.boot) *
  count(spec.vcpus === undefined ? undefined : { vcpus: spec.vcpus }) *
  count(spec.costOverrides) *
  (spec.repetitions ?? 1);

/** Expand a spec; unknown names and invalid values are errors (all at once). */
export const expandMatrix = (spec: ExperimentSpec): Either<string[], Matrix> => {
  const bound = maxRuns(spec);
  if (bound > MAX_MATRIX_RUNS)
    return left([`the matrix has up to ${formatNumber(bound)} runs, more than the maximum of ${formatNumber(MAX_MATRIX_RUNS)}: split it into several specs`]);
  const errors: string[] = [];
  const skipped: string[] = [];
  const runs: PlannedRun[] = [];
  const machines = product<number>({
    ...(spec.machine?.tlbEntries !== undefined ? { tlbEntries: asList(spec.machine.tlbEntries, []) } : {}),
    ...(spec.machine?.tlbWays !== undefined ? { tlbWays: asList(spec.machine.tlbWays, []) } : {}),
    ...(spec.machine?.diskLatencyUs !== undefined ? { diskLatencyUs: asList(spec.machine.diskLatencyUs, []) } : {}),
  }) as MachineSettings[];
  // vcpus sweeps the kernel's cpus boot parameter
  if (spec.vcpus !== undefined && spec.boot?.cpus !== undefined) errors.push('vcpus and boot.cpus are the same setting: give one of them');
  const bootLists = { ...spec.boot, ...(spec.vcpus !== undefined ? { cpus: spec.vcpus } : {}) };
  const boots = product<number>(Object.fromEntries(Object.entries(bootLists).map(([k, v]) => [k, asList(v, [])])));
  boots.forEach((b) => {
    const r = resolveBootParams(b);
    if (isLeft(r)) errors.push(...r.left.map((e) => `boot: ${e}`));
  });
  const costSets = product<number>(Object.fromEntries(Object.entries(spec.costOverrides ?? {}).map(([k, v]) => [k, asList(v, [])])));
  machines.forEach((m) => errors.push(...machineSettingsErrors(m).map((e) => `machine: ${e.replace(/^machine\./, '')}`)));
  const repetitions = spec.repetitions ?? 1;
  spec.strategies.forEach((entry, si) => {
    const s = lookupStrategy(entry.name);
    if (isLeft(s)) return errors.push(`strategies[${si}].name: ${s.left}`);
    const optionSets = product<string | number>(Object.fromEntries(Object.entries(entry.options ?? {}).map(([k, v]) => [k, asList(v, [])])));
    const isas = asList(entry.isa ?? spec.isa, ['default'] as const) as readonly IsaVariant[];
    for (const given of optionSets) {
      const resolved = resolveOptions(s.right, given);
      if (isLeft(resolved)) {
        errors.push(...resolved.left.map((e) => `strategies[${si}].options: ${e}`));
        continue;
      }
      const defaults = resolveOptions(s.right, {});
      const differing = Object.entries(resolved.right).filter(([k, v]) => isLeft(defaults) || defaults.right[k] !== v);
      const label = entry.label ?? (differing.length ? `${s.right.name} (${differing.map(([k, v]) => `${k}=${v}`).join(', ')})` : s.right.name);
      spec.workloads.forEach((w, wi) => {
        const paramSets = product<number>(Object.fromEntries(Object.entries(w.params ?? {}).map(([k, v]) => [k, asList(v, [])])));
        for (const ps of paramSets) {
          const params = resolveParams(w.name, ps);
          if (isLeft(params)) {
            errors.push(...params.left.map((e) => `workloads[${wi}]: ${e}`));
            continue;
          }
          for (const profile of spec.profiles) {
            const prof = loadProfile(profile);
            if (isLeft(prof)) continue; // reported by the loader
            const refused = s.right.check(resolved.right, prof.right);
            if (refused !== null) {
              skipped.push(`${label} on ${profile}: ${refused}`);
              continue;
            }
            for (const costOverrides of costSets) {
              const priced = withCostOverrides(prof.right, costOverrides);
              if (isLeft(priced)) {
                errors.push(...priced.left.map((e) => `costOverrides: ${e}`));
                continue;
              }
              for (const isa of isas)
                for (const machine of machines)
                  for (const boot of boots) {
                    const tooMany = boot.cpus === undefined ? null : vcpusRefusal(s.right, resolved.right, boot.cpus);
                    if (tooMany !== null) {
                      skipped.push(`${label} on ${profile}: ${tooMany}`);
                      continue;
                    }
                    for (let repetition = 0; repetition < repetitions; repetition++) {
                      const base = {
                        strategy: s.right.name,
                        options: resolved.right,
                        workload: w.name,
                        params: params.right,
                        profile,
                        isa,
                        machine,
                        repetition,
                        maxInstructions: spec.maxInstructions,
                        maxCycles: spec.maxCycles,
                        boot,
                        costOverrides,
                      };
                      runs.push({ ...base, kind: 'run', index: runs.length, key: keyOf(base), label: isa === 'virtualizable' && !label.includes('virtualizable') ? `${label} [virtualizable ISA]` : label });
                    }
                  }
            }
          }
        }
      });
    }
  });
  const hosts = expandHosts(spec, runs.length);
  if (isLeft(hosts)) errors.push(...hosts.left);
  const unique = [...new Set(errors)];
  return unique.length > 0 || isLeft(hosts) ? left(unique) : right({ runs, hosts: hosts.right, skipped: [...new Set(skipped)] });
};
