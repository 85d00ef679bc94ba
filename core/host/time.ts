/**
 * Host time: an integer count of picoseconds, and its conversions to and from cycles at a
 * frequency (rounded so that a converted time is never earlier than the exact one).
 * @category Host
 */

/** Picoseconds per second. */
export const PS_PER_SECOND = 1e12;

/** Picoseconds that `cycles` take at `hz` (rounded up). */
export const cyclesToPs = (cycles: number, hz: number): number => Math.ceil((cycles * PS_PER_SECOND) / hz);

/** Whole cycles that fit into `ps` picoseconds at `hz` (rounded down). */
export const psToCycles = (ps: number, hz: number): number => Math.floor((ps * hz) / PS_PER_SECOND);

/** Picoseconds of `ms` milliseconds. */
export const msToPs = (ms: number): number => Math.round(ms * 1e9);

const exact = (a: number, b: number): boolean => Number.isSafeInteger(a) && Number.isSafeInteger(b);

/** Reference cycles at `hz` in `ps` picoseconds of host time (rounded down; exact for integers). */
export const refCyclesAt = (ps: number, hz: number): number =>
  exact(ps, hz) ? Number((BigInt(ps) * BigInt(hz)) / 1_000_000_000_000n) : Math.floor((ps * hz) / PS_PER_SECOND);

/** The first picosecond at which `ref` reference cycles at `hz` have passed (rounded up; exact for integers). */
export const psAtRefCycles = (ref: number, hz: number): number => {
  if (ref === Infinity) return Infinity;
  if (!exact(ref, hz)) return Math.ceil((ref * PS_PER_SECOND) / hz);
  const n = BigInt(ref) * 1_000_000_000_000n;
  const h = BigInt(hz);
  return Number((n + h - 1n) / h);
};
