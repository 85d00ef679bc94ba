/**
 * `esx`: VMkernel-style proportional share. Each world is entitled to CPU time in proportion
 * to its shares; the world furthest behind its entitlement (smallest charged time per share)
 * runs next, worlds below their reservation first, worlds at their limit not at all (their
 * ready time is %MLMTD). A running world keeps its logical CPU for its time slice (50 ms for
 * the VMkernel by default; "usually 10-20 ms, 50 for VMkernel": vSphere High Performance
 * Cookbook, ch. 1), then competes again. Placement prefers whole idle cores (VMware, "The CPU
 * Scheduler in VMware vSphere 5.1"). Sources: VMware white papers "The CPU Scheduler in
 * VMware ESX 4.1" and "... vSphere 5.1"; vSphere Resource Management guide. Co-scheduling
 * of SMP VMs (skew, co-stop) comes with multiprocessor VMs.
 * @category Host
 */
import { msToPs } from '../../../core/host/time';
import { eligible, placeInOrder, type Scheduler, type SchedulerView } from '../scheduler';
import { allowedOn, belowReservation, type World } from '../world';

/** Settings of the esx scheduler. */
export interface EsxSettings {
  /** time slice in milliseconds (default 50) */
  readonly quantumMs?: number;
}

/** Default time slice. */
export const ESX_QUANTUM_MS = 50;

/** Priority order: below reservation first, then the least charged time per share, then id. */
const before = (now: number) => (a: World, b: World): number =>
  Number(!belowReservation(a, now)) - Number(!belowReservation(b, now)) || a.charged / a.settings.shares - b.charged / b.settings.shares || a.id - b.id;

/** An esx scheduler. */
export const esxScheduler = (s: EsxSettings = {}): Scheduler => {
  const quantum = msToPs(s.quantumMs ?? ESX_QUANTUM_MS);
  const inSlice = (v: SchedulerView) => (w: World) => w.state === 'run' && v.now < w.placedAt + quantum;
  return {
    name: 'esx',
    place: (v) => {
      const keeps = inSlice(v);
      const order = before(v.now);
      const ws = eligible(v).sort((a, b) => Number(!keeps(a)) - Number(!keeps(b)) || order(a, b));
      const out = placeInOrder(v, ws, keeps);
      // a world whose slice ended and that is still the one to run on its CPU starts a new slice
      for (const w of out) if (w !== null && w.state === 'run' && !keeps(w) && v.running[w.lastLcpu] === w && out[w.lastLcpu] === w) w.placedAt = v.now;
      return out;
    },
    pick: (v, lcpu) => eligible(v).filter((w) => w.state === 'ready' && allowedOn(w, lcpu)).sort(before(v.now))[0] ?? null,
    nextDecision: (v) => Math.min(...v.running.map((w) => (w === null || w.placedAt + quantum <= v.now ? Infinity : w.placedAt + quantum))),
  };
};
