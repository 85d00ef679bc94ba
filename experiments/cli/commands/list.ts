/**
 * `ringlab list [--json]`: strategies (with options), workloads (with parameters) and profiles.
 * @category CLI
 */
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES, vendorOf } from '../../../core/cost/profile';
import { WORKLOADS } from '../../../core/guest/workloads';
import { describeOptions } from '../../../strategies/options';
import { allStrategies } from '../../../strategies/modules';
import { table } from '../../common/format';

/** The catalogue as data. */
export const catalogue = () => ({
  strategies: allStrategies().map((s) => ({ name: s.name, description: s.description, kernelBuild: s.kernelBuild, options: s.options })),
  workloads: Object.entries(WORKLOADS).map(([name, w]) => ({ name, kind: w.kind, description: w.description, params: w.params })),
  profiles: PROFILE_NAMES.map((name) => {
    const p = loadProfile(name);
    if (isLeft(p)) throw new Error(p.left);
    return { name, description: p.right.description, frequencyHz: p.right.frequencyHz, vendor: vendorOf(p.right), features: p.right.features };
  }),
});

/** Render the catalogue. */
export const listCommand = (json: boolean): string => {
  const c = catalogue();
  if (json) return JSON.stringify(c, null, 2);
  return [
    'strategies',
    ...allStrategies().flatMap((s) => [`  ${s.name.padEnd(20)} ${s.description}`, ...describeOptions(s).map((d) => `  ${''.padEnd(20)}   --option ${d}`)]),
    '',
    'workloads',
    table(
      ['  name', 'kind', 'parameters', 'description'],
      c.workloads.map((w) => [
        `  ${w.name}`,
        w.kind,
        Object.entries(w.params as Record<string, { default: number; min: number; max: number }>)
          .map(([k, p]) => `${k}=${p.default} (${p.min}-${p.max})`)
          .join(' '),
        w.description,
      ]),
    ),
    '',
    'profiles',
    ...c.profiles.map((p) => `  ${p.name.padEnd(14)} ${p.vendor.padEnd(5)} ${(p.frequencyHz / 1e9).toFixed(2)} GHz${p.features.nestedPaging ? ', nested paging' : ''}  ${p.description}`),
  ].join('\n');
};
