/**
 * The `hosts` axis of an experiment spec: each entry a host spec (a file, or inline) and
 * host settings to sweep, by dotted path into the host spec (`host.governor`,
 * `scheduler.quantumMs`, `vms.0.shares`, `vms.*.affinity` for every VM, `vms.length` to keep
 * the first k VMs). Every combination is a host spec of its own, checked as `ringlab host`
 * checks one, and one planned host run per repetition, keyed by its content.
 * @category Experiments
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { PROJECT_ROOT } from '../common/root';
import { loadHostSpec, parseHostSpec, type HostSpec } from '../host/spec';
import { HostAxisEntry, type ExperimentSpec } from './codec';
import { unknownKeys } from './json-schema';

/** A value of a swept host setting. */
export type HostSettingValue = string | number | readonly number[];

/** One host run of an experiment. */
export interface PlannedHost {
  readonly kind: 'host';
  /** position in the experiment (after its runs), the basis of sharding */
  readonly index: number;
  /** stable identity: the label, the host spec's content and the repetition */
  readonly key: string;
  readonly label: string;
  readonly repetition: number;
  /** the host spec to run, the swept settings applied */
  readonly hostSpec: HostSpec;
  /** the swept settings of this run, by path */
  readonly settings: Readonly<Record<string, HostSettingValue>>;
}

type Json = unknown;

/** A host spec file: as given if it exists, else under the ringlab folder (so the shipped specs load from anywhere). */
export const resolveHostFile = (file: string): string => (path.isAbsolute(file) || fs.existsSync(file) ? file : fs.existsSync(path.join(PROJECT_ROOT, file)) ? path.join(PROJECT_ROOT, file) : file);

/** `spec` with `value` set at the dotted `at` (`*` for every element of a list; `vms.length` keeps the first k VMs); a Left says why not. */
export const setAt = (spec: Json, at: string, value: HostSettingValue): Either<string, Json> => {
  const parts = at.split('.');
  const go = (node: Json, i: number): Either<string, Json> => {
    const part = parts[i];
    const last = i === parts.length - 1;
    if (Array.isArray(node)) {
      if (part === 'length' && last) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > node.length) return left(`${at}: expected an integer from 1 to ${node.length} (the list's length), got ${JSON.stringify(value)}`);
        return right(node.slice(0, value));
      }
      const indices = part === '*' ? node.map((_, j) => j) : /^\d+$/.test(part) && Number(part) < node.length ? [Number(part)] : null;
      if (indices === null) return left(`${at}: '${part}' is not an index of a list of ${node.length} (0 to ${node.length - 1}, or *)`);
      const out = [...node];
      for (const j of indices) {
        const r = last ? right(value) : go(node[j], i + 1);
        if (isLeft(r)) return r;
        out[j] = r.right;
      }
      return right(out);
    }
    if (node === null || typeof node !== 'object') return left(`${at}: '${parts.slice(0, i).join('.')}' is not an object or a list`);
    const obj = node as Record<string, Json>;
    if (last) return right({ ...obj, [part]: value });
    if (!(part in obj)) return left(`${at}: the host spec has no '${parts.slice(0, i + 1).join('.')}'`);
    const r = go(obj[part], i + 1);
    return isLeft(r) ? r : right({ ...obj, [part]: r.right });
  };
  return at === '' ? left('a sweep path must not be empty') : go(spec, 0);
};

const product = (lists: Readonly<Record<string, readonly HostSettingValue[]>>): Record<string, HostSettingValue>[] =>
  Object.entries(lists).reduce<Record<string, HostSettingValue>[]>((acc, [k, vs]) => acc.flatMap((a) => vs.map((v) => ({ ...a, [k]: v }))), [{}]);

const show = (v: HostSettingValue): string => (Array.isArray(v) ? v.join('+') : String(v));

/** Expand the spec's `hosts` into planned host runs numbered from `firstIndex`; every problem at once, by path. */
export const expandHosts = (spec: ExperimentSpec, firstIndex: number): Either<string[], PlannedHost[]> => {
  const errors: string[] = [];
  const planned: PlannedHost[] = [];
  const repetitions = spec.repetitions ?? 1;
  (spec.hosts ?? []).forEach((raw, i) => {
    const at = `hosts[${i}]`;
    const entry = typeof raw === 'string' ? { spec: raw } : raw;
    // io-ts ignores unknown properties and does not look inside unions: a typo must not pass
    const typos = typeof raw === 'string' ? [] : unknownKeys(HostAxisEntry, { ...raw, spec: null }, at);
    if (typos.length > 0) return errors.push(...typos);
    let base: HostSpec;
    let fallbackName: string;
    if (typeof entry.spec === 'string') {
      const loaded = loadHostSpec(resolveHostFile(entry.spec));
      if (isLeft(loaded)) return errors.push(...loaded.left.map((e) => `${at}.spec: ${e}`));
      base = loaded.right;
      fallbackName = path.basename(entry.spec, '.json');
    } else {
      const parsed = parseHostSpec(JSON.stringify(entry.spec), `${at}.spec`);
      if (isLeft(parsed)) return errors.push(...parsed.left);
      base = parsed.right;
      fallbackName = `host${i}`;
    }
    const sweep = entry.sweep ?? {};
    for (const [k, vs] of Object.entries(sweep)) if (vs.length === 0) errors.push(`${at}.sweep.${k}: expected at least one value to sweep, got []`);
    const name = entry.label ?? base.name ?? fallbackName;
    for (const settings of product(sweep)) {
      let json: Json = base;
      for (const [k, v] of Object.entries(settings)) {
        const r = setAt(json, k, v);
        if (isLeft(r)) {
          errors.push(`${at}.sweep.${r.left}`);
          json = null;
          break;
        }
        json = r.right;
      }
      if (json === null) continue;
      const checked = parseHostSpec(JSON.stringify(json), `${at}${Object.keys(settings).length ? ` (${Object.entries(settings).map(([k, v]) => `${k}=${show(v)}`).join(', ')})` : ''}`);
      if (isLeft(checked)) {
        errors.push(...checked.left);
        continue;
      }
      const label = Object.keys(settings).length ? `${name} (${Object.entries(settings).map(([k, v]) => `${k}=${show(v)}`).join(', ')})` : name;
      for (let repetition = 0; repetition < repetitions; repetition++) {
        const key = `host-${createHash('sha256').update(JSON.stringify(['host', label, checked.right, repetition])).digest('hex').slice(0, 16)}`;
        planned.push({ kind: 'host', index: firstIndex + planned.length, key, label, repetition, hostSpec: checked.right, settings });
      }
    }
  });
  const unique = [...new Set(errors)];
  return unique.length > 0 ? left(unique) : right(planned);
};
