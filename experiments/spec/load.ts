/**
 * Reading and checking an experiment spec: JSON syntax, the codec, unknown properties, its
 * name (a safe file name), its axes (no empty sweep, a sweep chart on an axis it has), and
 * the names and values it uses (strategies, options, workloads, parameters, profiles,
 * machine settings), all errors at once in one list, each with its JSON path. The name and
 * value checks look at every part that has the right shape, even when another part does not.
 * @category Experiments
 */
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { loadProfile } from '../../core/cost/profile';
import { readRegular } from '../common/files';
import { lookupStrategy } from '../../strategies/modules';
import { resolveOptions } from '../../strategies/options';
import { machineSettingsErrors } from '../run/machine-settings';
import { resolveParams } from '../run/params';
import { ExperimentSpecCodec, StrategyEntry, WorkloadEntry, type ExperimentSpec } from './codec';
import { axisProblems } from './axes';
import { decodeText } from './decode-text';
import { expandMatrix } from './matrix';
import { experimentNameProblem } from './name';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The values of a value-or-list, each with its path. */
const each = (v: unknown, path: string): [unknown, string][] => (Array.isArray(v) ? v.map((x, i) => [x, `${path}[${i}]`]) : [[v, path]]);

/** Entries of `json[key]` that decode with `codec`, with their paths. */
const entries = <C extends t.Mixed>(json: Json, key: string, codec: C): [t.TypeOf<C>, string][] =>
  Array.isArray(json[key]) ? (json[key] as unknown[]).flatMap((e, i) => (codec.is(e) ? [[e as t.TypeOf<C>, `${key}[${i}]`] as [t.TypeOf<C>, string]] : [])) : [];

const strategyErrors = (json: Json): string[] =>
  entries(json, 'strategies', StrategyEntry).flatMap(([entry, path]) => {
    const s = lookupStrategy(entry.name);
    if (isLeft(s)) return [`${path}.name: ${s.left}`];
    return Object.entries(entry.options ?? {}).flatMap(([k, v]) =>
      each(v, `${path}.options.${k}`).flatMap(([value, where]) => {
        const r = resolveOptions(s.right, { [k]: value as string | number });
        return isLeft(r) ? r.left.map((e) => `${where}: ${e}`) : [];
      }),
    );
  });

const workloadErrors = (json: Json): string[] =>
  entries(json, 'workloads', WorkloadEntry).flatMap(([entry, path]) => {
    const known = resolveParams(entry.name, {});
    if (isLeft(known)) return known.left.map((e) => `${path}.name: ${e}`);
    return Object.entries(entry.params ?? {}).flatMap(([k, v]) =>
      each(v, `${path}.params.${k}`).flatMap(([value, where]) => {
        const r = resolveParams(entry.name, { [k]: value as number });
        return isLeft(r) ? r.left.map((e) => `${where}: ${e}`) : [];
      }),
    );
  });

/** A spec with host specs may leave strategies, workloads and profiles empty (a host-only experiment). */
const hasHosts = (json: Json): boolean => Array.isArray(json.hosts) && json.hosts.length > 0;

const profileErrors = (json: Json): string[] => {
  if (!Array.isArray(json.profiles)) return [];
  if (json.profiles.length === 0 && !hasHosts(json)) return ['profiles: expected at least one profile, got []'];
  return json.profiles.flatMap((p, i) => {
    if (typeof p !== 'string') return [];
    const r = loadProfile(p);
    return isLeft(r) ? [`profiles[${i}]: ${r.left}`] : [];
  });
};

const machineErrors = (json: Json): string[] => {
  if (!isObject(json.machine)) return [];
  return (['tlbEntries', 'tlbWays', 'diskLatencyUs'] as const).flatMap((k) =>
    json.machine && (json.machine as Json)[k] !== undefined
      ? each((json.machine as Json)[k], `machine.${k}`).flatMap(([v, where]) =>
          typeof v === 'number' ? machineSettingsErrors(k === 'tlbWays' ? { tlbEntries: 65536, tlbWays: v } : k === 'diskLatencyUs' ? { diskLatencyUs: v } : { tlbEntries: v }).map((e) => `${where}: ${e.replace(/^machine\.\w+ /, '')}`) : [],
        )
      : [],
  );
};

const countErrors = (json: Json): string[] =>
  (['repetitions', 'maxInstructions', 'maxCycles', 'shards'] as const).flatMap((k) => {
    const v = json[k];
    return typeof v === 'number' && !(Number.isInteger(v) && v >= 1) ? [`${k}: expected an integer >= 1, got ${v}`] : [];
  });

const emptyLists = (json: Json): string[] => [
  ...(hasHosts(json) ? [] : (['strategies', 'workloads'] as const).flatMap((k) => (Array.isArray(json[k]) && (json[k] as unknown[]).length === 0 ? [`${k}: expected at least one ${{ strategies: 'strategy', workloads: 'workload' }[k]}, got []`] : []))),
  ...(Array.isArray(json.hosts) && json.hosts.length === 0 ? ['hosts: expected at least one host spec, got [] (leave `hosts` out for none)'] : []),
  ...(Array.isArray(json.strategies) && Array.isArray(json.workloads) && (json.strategies.length === 0) !== (json.workloads.length === 0)
    ? ['strategies, workloads: give both or neither (runs are strategies x workloads)']
    : []),
];

/** Parse spec text (already read) from `origin`; all problems at once, prefixed by the origin. */
export const parseSpec = (text: string, origin: string): Either<string[], ExperimentSpec> => {
  const d = decodeText(ExperimentSpecCodec, text, origin);
  if (isLeft(d)) return d;
  const { json, decoded, errors } = d.right;
  if (isObject(json)) errors.push(...emptyLists(json), ...strategyErrors(json), ...workloadErrors(json), ...profileErrors(json), ...machineErrors(json), ...countErrors(json));
  if (!isLeft(decoded)) {
    const nameProblem = experimentNameProblem(decoded.right.name);
    if (nameProblem !== null) errors.push(`name: ${nameProblem}`);
    errors.push(...axisProblems(decoded.right));
  }
  if (errors.length === 0 && !isLeft(decoded)) {
    // what only the whole matrix shows (e.g. TLB ways beyond the entries they go with)
    const m = expandMatrix(decoded.right);
    if (isLeft(m)) errors.push(...m.left);
  }
  return errors.length > 0 || isLeft(decoded) ? left([...new Set(errors)].map((e) => `${origin}: ${e}`)) : right(decoded.right);
};

/** Read and check a spec file. */
export const loadSpec = (file: string): Either<string[], { spec: ExperimentSpec; text: string }> => {
  // a regular file of at most 1 MiB: a FIFO or a device is refused rather than read forever
  const bytes = readRegular(file, 1 << 20, '1 MiB');
  if (isLeft(bytes)) return left([`cannot read spec '${file}': ${bytes.left}`]);
  const text = bytes.right.toString('utf8');
  const r = parseSpec(text, file);
  return isLeft(r) ? r : right({ spec: r.right, text });
};
