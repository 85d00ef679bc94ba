/** The strategy configurations the equivalence suites run. */
import { isLeft } from 'fp-ts/Either';
import { loadProfile, PROFILE_NAMES } from '../../core/cost/profile';
import { choiceVariants, resolveOptions } from '../../strategies/options';
import type { Strategy } from '../../strategies/strategy';
import { WORKLOADS, type WorkloadName } from '../../core/guest/workloads';

/** Default options, then each choice of each choice option (others at default), each on the first profile that accepts it. */
export const configurations = (s: Strategy): { options: Record<string, string | number>; profile: string }[] => {
  const out: { options: Record<string, string | number>; profile: string }[] = [];
  for (const given of choiceVariants(s)) {
    const resolved = resolveOptions(s, given);
    if (isLeft(resolved)) throw new Error(resolved.left.join('; '));
    const profile = PROFILE_NAMES.find((p) => {
      const prof = loadProfile(p);
      return !isLeft(prof) && s.check(resolved.right, prof.right) === null;
    });
    if (profile) out.push({ options: given, profile });
  }
  return out;
};


/** A small n for a workload, so a whole matrix stays quick: its default, at most `cap`, within its range. */
export const smallParam = (w: WorkloadName, cap: number): number => {
  const p = WORKLOADS[w].params.n;
  return Math.max(p.min, Math.min(p.default, cap));
};
