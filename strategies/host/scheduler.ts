/**
 * The interface every host scheduler implements (one file per policy in schedulers/). A
 * scheduler sees the worlds' states and accounting, the topology and the time, never the
 * guests; the co-simulation loop (cosim.ts) applies its decisions.
 * @category Host
 */
import type { Topology } from '../../core/host/topology';
import { allowedOn, type World } from './world';

/** What a scheduler sees at a decision. */
export interface SchedulerView {
  /** host time, picoseconds */
  readonly now: number;
  readonly worlds: readonly World[];
  readonly topology: Topology;
  /** the world on each logical CPU now (null: idle), by logical-CPU id */
  readonly running: readonly (World | null)[];
}

/** A scheduling policy. */
export interface Scheduler {
  readonly name: string;
  /**
   * The world for each logical CPU from now on (null: idle), by logical-CPU id. Only worlds
   * running, ready or co-stopped, and neither `limited` nor `coStopped` (which the policy may
   * set), may be placed, each once, within its affinity.
   */
  place(v: SchedulerView): (World | null)[];
  /** The world to run on `lcpu`, which fell idle between decisions (its world halted or stopped), or null. */
  pick(v: SchedulerView, lcpu: number): World | null;
  /** Host time of the next decision the policy needs (a time slice ending), Infinity for none. */
  nextDecision(v: SchedulerView): number;
  /**
   * Wake-up preemption: world `w` woke at `v.now` and no logical CPU it may use is idle; the
   * logical CPU whose world it displaces now, or -1 to let it wait for the next decision.
   * Absent: a woken world always waits.
   */
  preempt?(v: SchedulerView, w: World): number;
}

/**
 * The logical CPU whose running world a waking world `w` displaces (Scheduler.preempt): of
 * the CPUs in `w`'s affinity whose world `mayTake` allows, the one whose world comes last in
 * `order` (the policy's priority order, first to run first); -1 if none.
 */
export const displaced = (v: SchedulerView, w: World, mayTake: (r: World) => boolean, order: (a: World, b: World) => number): number => {
  let out = -1;
  v.running.forEach((r, lcpu) => {
    if (r === null || !allowedOn(w, lcpu) || !mayTake(r)) return;
    if (out < 0 || order(r, v.running[out] as World) > 0) out = lcpu;
  });
  return out;
};

/**
 * Worlds the policy may run now (runnable, not held back by a limit or by co-scheduling), in
 * id order; housekeeping worlds are idle priority: the loop runs them on logical CPUs left idle.
 */
export const eligible = (v: SchedulerView): World[] =>
  v.worlds.filter((w) => (w.state === 'ready' || w.state === 'run' || w.state === 'costop') && !w.limited && !w.coStopped && w.role !== 'housekeeping');

/**
 * Place worlds, in priority order, on free logical CPUs within their affinity: a world that
 * keeps its CPU first, then, for the others, a whole idle core before a half-idle one (both
 * ESXi and Linux prefer an idle core for hyperthreading), its last CPU, the lowest id.
 */
export const placeInOrder = (v: SchedulerView, ordered: readonly World[], keeps: (w: World) => boolean): (World | null)[] => {
  const out: (World | null)[] = v.topology.lcpus.map(() => null);
  const placed = new Set<World>();
  for (const w of ordered) {
    if (!keeps(w) || w.lastLcpu < 0 || v.running[w.lastLcpu] !== w) continue;
    out[w.lastLcpu] = w;
    placed.add(w);
  }
  fillFree(v, out, ordered.filter((w) => !placed.has(w)));
  return out;
};

/** Place each of `ordered` in turn on the best free logical CPU left in `out` (skipping those that find none). */
export const fillFree = (v: SchedulerView, out: (World | null)[], ordered: readonly World[]): void => {
  for (const w of ordered) {
    const best = freeCpuFor(v, out, w);
    if (best >= 0) out[best] = w;
  }
};

/** The best free logical CPU for `w` given the CPUs taken in `out`, or -1. */
export const freeCpuFor = (v: SchedulerView, out: readonly (World | null)[], w: World): number => {
  let best = -1;
  let bestScore = Infinity;
  for (const l of v.topology.lcpus) {
    if (out[l.id] !== null) continue;
    if (w.settings.affinity !== null && !w.settings.affinity.includes(l.id)) continue;
    const halfBusy = v.topology.siblings[l.id].some((s) => out[s] !== null) ? 1 : 0;
    const score = halfBusy * 2 + (l.id === w.lastLcpu ? 0 : 1);
    if (score < bestScore) {
      bestScore = score;
      best = l.id;
    }
  }
  return best;
};
