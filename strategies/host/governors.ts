/**
 * cpufreq governors: each picks a core's next P-state from its utilisation over the last
 * sampling period (Linux Documentation/admin-guide/pm/cpufreq.rst): `performance` the
 * fastest, `powersave` the slowest, `ondemand` the fastest above the up threshold (80 %) and
 * otherwise min + load x (max - min), `conservative` steps of 5 % of max up above 80 % and
 * down below 20 %, `schedutil` 1.25 x max x utilisation; the slowest state at least as fast
 * as the target. ESXi's power policies through them: `high-performance` = performance,
 * `balanced` (the default since 5.0) = ondemand, `low-power` = conservative.
 * @category Host
 */
import type { PState } from '../../core/host/pstates';

/** A governor: the next P-state index given the current one and the utilisation (0-1). */
export type Governor = (pstates: readonly PState[], current: number, util: number) => number;

/** The slowest state at least as fast as `hz` (the fastest if none). */
const atLeast = (pstates: readonly PState[], hz: number): number => {
  for (let i = pstates.length - 1; i >= 0; i--) if (pstates[i].frequencyHz >= hz) return i;
  return 0;
};

const max = (p: readonly PState[]) => p[0].frequencyHz;
const min = (p: readonly PState[]) => p[p.length - 1].frequencyHz;

const ondemand: Governor = (p, _c, util) => (util > 0.8 ? 0 : atLeast(p, min(p) + util * (max(p) - min(p))));
const conservative: Governor = (p, c, util) => {
  const f = p[c].frequencyHz;
  const step = 0.05 * max(p);
  if (util > 0.8) return atLeast(p, Math.min(max(p), f + step));
  if (util < 0.2) {
    const lower = f - step;
    for (let i = 0; i < p.length; i++) if (p[i].frequencyHz <= lower) return i;
    return p.length - 1;
  }
  return c;
};

/** The governors by name. */
export const GOVERNORS = {
  performance: (() => 0) as Governor,
  powersave: ((p) => p.length - 1) as Governor,
  ondemand,
  conservative,
  schedutil: ((p, _c, util) => atLeast(p, 1.25 * max(p) * util)) as Governor,
  'high-performance': (() => 0) as Governor,
  balanced: ondemand,
  'low-power': conservative,
} as const satisfies Record<string, Governor>;

/** A governor's name. */
export type GovernorName = keyof typeof GOVERNORS;

/** Default sampling period of the governors, ms (ondemand's order of magnitude on current Linux). */
export const GOVERNOR_SAMPLING_MS = 10;
