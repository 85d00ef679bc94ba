/**
 * A world: what the hypervisor schedules (ESXi's term): each vCPU of each VM, and its VMM's
 * helper worlds (device model, housekeeping). A world has its resource settings (shares,
 * reservation, limit, affinity), a state, and the time it spent in each state, in host picoseconds, as esxtop accounts it: RUN, READY (of which
 * MLMTD is the part held back by a limit), COSTOP, WAIT (of which IDLE is the halted part).
 * @category Host
 */

/** The kinds of world on the host: a VM's vCPU, or one of its VMM's helper worlds (helper-work.ts). */
export const WorldRole = { vcpu: 'vcpu', 'device-model': 'device-model', housekeeping: 'housekeeping' } as const;
/** A world's role. */
export type WorldRole = keyof typeof WorldRole;
/** Scheduling states of a world; `done` once its VM has stopped. */
export const WorldState = { run: 'run', ready: 'ready', costop: 'costop', wait: 'wait', done: 'done' } as const;
/** A world's scheduling state. */
export type WorldState = keyof typeof WorldState;

/** Shares presets per vCPU (vSphere Resource Management: low/normal/high = 500/1000/2000). */
export const SHARES_PRESETS = { low: 500, normal: 1000, high: 2000 } as const;

/** The resource settings of a world. */
export interface WorldSettings {
  /** proportional-share weight */
  readonly shares: number;
  /** guaranteed share of a logical CPU at nominal frequency (reservationMHz / nominal MHz), 0 for none */
  readonly reservation: number;
  /** at most this share of a logical CPU at nominal frequency (limitMHz / nominal MHz); Infinity for none */
  readonly limit: number;
  /** logical CPUs it may run on; null for all */
  readonly affinity: readonly number[] | null;
}

/** Picoseconds spent in each state (esxtop's accounting). */
export interface WorldTimes {
  run: number;
  ready: number;
  costop: number;
  wait: number;
  /** part of `wait`: the guest halted */
  idle: number;
  /** part of `ready`: held back by the limit */
  mlmtd: number;
}

/** A schedulable world. */
export interface World {
  /** index among the host's worlds (ties are broken by it) */
  readonly id: number;
  /** index of its VM, and of its vCPU in the VM (-1 for a helper world) */
  readonly vm: number;
  readonly vcpu: number;
  /** a vCPU, or one of its VMM's helper worlds */
  readonly role: WorldRole;
  readonly name: string;
  readonly settings: WorldSettings;
  state: WorldState;
  /** host time of the last state change */
  since: number;
  readonly times: WorldTimes;
  /** charged time (esxtop %USED): run time scaled by frequency and the hyperthreading charge */
  charged: number;
  /** the logical CPU it ran on last, -1 before it first ran */
  lastLcpu: number;
  /** host time its current stay on a logical CPU (time slice) began */
  placedAt: number;
  /** host time a waiting world wakes (its next device event), Infinity for none */
  wakeAt: number;
  /** ready but held back by its limit */
  limited: boolean;
  /** held back by co-scheduling (set by the scheduler; its state is then `costop`) */
  coStopped: boolean;
  /** pause-loop exits after which it gave its logical CPU to another world */
  spinYields: number;
  /** waiting because its guest halted (as opposed to blocked) */
  halted: boolean;
  /** timer ticks that fell due while it was not running and came late */
  lateTicks: number;
  /** placements on a logical CPU that last ran another VM */
  vmSwitches: number;
}

/** A new world, ready at host time 0. */
export const newWorld = (id: number, vm: number, vcpu: number, name: string, settings: WorldSettings, role: WorldRole = 'vcpu'): World => ({
  id,
  vm,
  vcpu,
  role,
  name,
  settings,
  state: 'ready',
  since: 0,
  times: { run: 0, ready: 0, costop: 0, wait: 0, idle: 0, mlmtd: 0 },
  charged: 0,
  lastLcpu: -1,
  placedAt: 0,
  wakeAt: Infinity,
  limited: false,
  coStopped: false,
  spinYields: 0,
  halted: false,
  lateTicks: 0,
  vmSwitches: 0,
});

/** Charge the time since the last change to the current state (with its MLMTD or IDLE part). */
const ACCRUE: Readonly<Record<WorldState, (w: World, dt: number) => void>> = {
  run: (w, dt) => (w.times.run += dt),
  ready: (w, dt) => {
    w.times.ready += dt;
    if (w.limited) w.times.mlmtd += dt;
  },
  costop: (w, dt) => (w.times.costop += dt),
  wait: (w, dt) => {
    w.times.wait += dt;
    if (w.halted) w.times.idle += dt;
  },
  done: () => undefined,
};

/** Move a world to `state` at host time `t` (never before its last change). */
export const transition = (w: World, state: WorldState, t: number): void => {
  const at = Math.max(t, w.since);
  ACCRUE[w.state](w, at - w.since);
  w.state = state;
  w.since = at;
};

/**
 * A vCPU's progress at host time `now` for co-scheduling: the time it ran or waited (an idle
 * vCPU counts as progressing, ESX 4's relaxed co-scheduling), not the time it was ready or
 * co-stopped.
 */
export const progressAt = (w: World, now: number): number =>
  w.times.run + w.times.wait + (w.state === 'run' || w.state === 'wait' ? Math.max(0, now - w.since) : 0);

/** Whether a world may run on a logical CPU. */
export const allowedOn = (w: World, lcpu: number): boolean => w.settings.affinity === null || w.settings.affinity.includes(lcpu);

/** Whether a world's charged time has reached its limit at host time `now` (it must not run). */
export const atLimit = (w: World, now: number): boolean => w.settings.limit !== Infinity && w.charged >= w.settings.limit * now;

/** Whether a world is behind its reservation at host time `now`. */
export const belowReservation = (w: World, now: number): boolean => w.settings.reservation > 0 && w.charged < w.settings.reservation * now;
