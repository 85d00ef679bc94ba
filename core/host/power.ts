/**
 * The power model: watts of a core idle and busy at a P-state, from the host's power table
 * (core/host/pstates.ts). Idle watts (the server's idle share per core, C-states) do not
 * depend on the P-state; a busy core adds its share of the dynamic power, scaled by
 * V^2 f against P0. A core with both threads busy draws what a core with one does (SMT adds a
 * few per cent, not modelled).
 * @category Host
 */
import type { HostPowerTable } from './pstates';

/** Watts of one core. */
export interface CorePower {
  readonly idle: number;
  /** busy watts by P-state */
  readonly busy: readonly number[];
}

/** Watts of one core of the host at each P-state. */
export const corePower = (t: HostPowerTable): CorePower => {
  const idle = t.idleWatts / t.serverCores;
  const dynamic0 = (t.busyWatts - t.idleWatts) / t.serverCores;
  const p0 = t.pstates[0];
  const scale = (i: number) => (t.pstates[i].volts ** 2 * t.pstates[i].frequencyHz) / (p0.volts ** 2 * p0.frequencyHz);
  return { idle, busy: t.pstates.map((_, i) => idle + dynamic0 * scale(i)) };
};

/** Joules of a core that was busy `busyPs` of `elapsedPs` picoseconds at P-state `state`. */
export const coreJoules = (p: CorePower, state: number, busyPs: number, elapsedPs: number): number =>
  (p.busy[state] * busyPs + p.idle * Math.max(0, elapsedPs - busyPs)) * 1e-12;
