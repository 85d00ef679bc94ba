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
