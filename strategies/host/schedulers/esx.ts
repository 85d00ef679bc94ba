/**
 * `esx`: VMkernel-style proportional share. Each world is entitled to CPU time in proportion
 * to its shares; the world furthest behind its entitlement (smallest charged time per share)
 * runs next, worlds below their reservation first, worlds at their limit not at all (their
 * ready time is %MLMTD). A running world keeps its logical CPU for its time slice (50 ms for
 * the VMkernel by default; "usually 10-20 ms, 50 for VMkernel": vSphere High Performance
 * Cookbook, ch. 1), then competes again. Placement prefers whole idle cores (VMware, "The CPU
 * Scheduler in VMware vSphere 5.1"). A world
 * that wakes (its device model has work, its guest's timer fired) with no idle logical CPU
 * in its affinity preempts the running world furthest behind it in priority, if one is
 * behind it (priority is charged time per share, so a world that mostly waits runs soon
 * after it wakes; the white papers describe priority preemption without figures); else it
 * waits for the next decision. Sources: VMware white papers "The CPU Scheduler in
 * VMware ESX 4.1" and "... vSphere 5.1"; vSphere Resource Management guide.
 *
 * Co-scheduling of a multiprocessor VM's vCPUs (same white papers, "Co-scheduling SMP VMs
 * in VMware ESX Server"): each vCPU's progress is the time it ran or idled (an idle vCPU
 * counts as progressing); its skew is its progress minus that of the VM's slowest vCPU.
 * `relaxed` (ESX 3 onwards, the default): a vCPU whose skew passes the threshold is
 * co-stopped (%CSTP) until the laggards catch up; the others of its VM run on.
 * `strict` (ESX 2.x): once any vCPU's skew passes the threshold the whole VM is co-stopped,
 * and it is co-started only when every vCPU of it that is not idle gets a logical CPU at
 * the same moment (its skew then counts afresh).
 * @category Host
 */
import { msToPs } from '../../../core/host/time';
import { displaced, eligible, fillFree, placeInOrder, type Scheduler, type SchedulerView } from '../scheduler';
import { allowedOn, belowReservation, progressAt, type World } from '../world';

/** How the esx scheduler co-schedules the vCPUs of a multiprocessor VM. */
export type Coscheduling = 'relaxed' | 'strict';

/** Settings of the esx scheduler. */
export interface EsxSettings {
  /** time slice in milliseconds (default 50) */
  readonly quantumMs?: number;
  /** co-scheduling of multiprocessor VMs (default relaxed) */
  readonly coscheduling?: Coscheduling;
  /** the skew past which vCPUs are co-stopped, ms (default ESX_COSTOP_MS) */
  readonly costopMs?: number;
}

/** Default time slice. */
export const ESX_QUANTUM_MS = 50;

/** Default co-stop threshold: "a few milliseconds" (VMware, The CPU Scheduler in VMware ESX 4.1: 3 ms). */
export const ESX_COSTOP_MS = 3;

/** Skew is checked no more often than this (host decisions are at most a step apart anyway). */
const SKEW_CHECK_MS = 0.1;

/** Priority order: below reservation first, then the least charged time per share, then id. */
const before = (now: number) => (a: World, b: World): number =>
  Number(!belowReservation(a, now)) - Number(!belowReservation(b, now)) || a.charged / a.settings.shares - b.charged / b.settings.shares || a.id - b.id;

/** The worlds of each multiprocessor VM that are still on the host, by VM index. */
const smpVms = (v: SchedulerView): World[][] => {
  const byVm = new Map<number, World[]>();
  for (const w of v.worlds) if (w.role === 'vcpu') byVm.get(w.vm)?.push(w) ?? byVm.set(w.vm, [w]);
  return [...byVm.values()].filter((ws) => ws.length > 1).map((ws) => ws.filter((w) => w.state !== 'done'));
};

/** An esx scheduler. */
export const esxScheduler = (s: EsxSettings = {}): Scheduler => {
  const quantum = msToPs(s.quantumMs ?? ESX_QUANTUM_MS);
  const threshold = msToPs(s.costopMs ?? ESX_COSTOP_MS);
  const strict = (s.coscheduling ?? 'relaxed') === 'strict';
  /** progress at the VM's last co-start (strict: skew counts afresh from there) */
  const base = new Map<World, number>();
  /** VMs co-stopped as a whole (strict) */
  const stoppedVms = new Set<number>();
  const progress = (w: World, now: number) => progressAt(w, now) - (base.get(w) ?? 0);
  const skews = (ws: readonly World[], now: number): number[] => {
    const p = ws.map((w) => progress(w, now));
    const slowest = Math.min(...p);
    return p.map((x) => x - slowest);
  };
  const inSlice = (v: SchedulerView) => (w: World) => w.state === 'run' && v.now < w.placedAt + quantum;

  /** Relaxed: co-stop each vCPU too far ahead of its VM's slowest. */
  const coStopRelaxed = (v: SchedulerView) => {
    for (const ws of smpVms(v)) {
      const k = skews(ws, v.now);
      ws.forEach((w, i) => (w.coStopped = k[i] >= threshold));
    }
  };

  /** Strict: a VM whose skew reached the threshold stops whole. */
  const coStopStrict = (v: SchedulerView) => {
    for (const ws of smpVms(v)) if (ws.length > 0 && skews(ws, v.now).some((k) => k >= threshold)) stoppedVms.add(ws[0].vm);
    for (const w of v.worlds) w.coStopped = w.role === 'vcpu' && stoppedVms.has(w.vm);
  };

  /** Strict: co-start stopped VM `vm` if its vCPUs that are not idle all get a logical CPU left in `out` now. */
  const coStart = (v: SchedulerView, out: (World | null)[], vm: number) => {
    const ws = v.worlds.filter((w) => w.vm === vm && w.role === 'vcpu' && w.state !== 'done');
    const busy = ws.filter((w) => w.state !== 'wait' && !w.limited);
    const trial = [...out];
    fillFree(v, trial, busy);
    if (!busy.every((w) => trial.includes(w))) return;
    trial.forEach((w, i) => (out[i] = w));
    stoppedVms.delete(vm);
    for (const w of ws) {
      w.coStopped = false;
      base.set(w, progressAt(w, v.now));
    }
  };

  /**
   * Strict placement: worlds in their slice keep their CPUs unless a stopped VM comes before
   * them in priority order (it preempts them to co-start); then the others in priority
   * order, a stopped VM at the turn of its first vCPU, co-started only if it fits whole.
   */
  const placeStrict = (v: SchedulerView, order: (a: World, b: World) => number, inSlice: (w: World) => boolean): (World | null)[] => {
    const stopped = v.worlds.filter((w) => w.role === 'vcpu' && stoppedVms.has(w.vm) && w.state !== 'done' && w.state !== 'wait' && !w.limited);
    const keeps = (w: World) => inSlice(w) && !stopped.some((x) => order(x, w) < 0);
    const out = placeInOrder(v, eligible(v).filter(keeps).sort(order), keeps);
    const turns = new Set<number>();
    for (const w of [...eligible(v).filter((x) => !out.includes(x)), ...stopped].sort(order)) {
      if (w.role !== 'vcpu' || !stoppedVms.has(w.vm)) fillFree(v, out, [w]);
      else if (!turns.has(w.vm)) {
        turns.add(w.vm);
        coStart(v, out, w.vm);
      }
    }
    return out;
  };

  return {
    name: 'esx',
    place: (v) => {
      const keeps = inSlice(v);
      const order = before(v.now);
      if (strict) coStopStrict(v);
      else coStopRelaxed(v);
      const out = strict ? placeStrict(v, order, keeps) : placeInOrder(v, eligible(v).sort((a, b) => Number(!keeps(a)) - Number(!keeps(b)) || order(a, b)), keeps);
      // a world whose slice ended and that is still the one to run on its CPU starts a new slice
      for (const w of out) if (w !== null && w.state === 'run' && !keeps(w) && v.running[w.lastLcpu] === w && out[w.lastLcpu] === w) w.placedAt = v.now;
      return out;
    },
    pick: (v, lcpu) => eligible(v).filter((w) => w.state === 'ready' && allowedOn(w, lcpu)).sort(before(v.now))[0] ?? null,
    preempt: (v, w) => {
      // the running world furthest behind `w` in priority, on a logical CPU `w` may use (a co-stopped or limited `w` waits)
      if (w.coStopped || w.limited || w.role === 'housekeeping') return -1;
      const order = before(v.now);
      return displaced(v, w, (r) => order(w, r) < 0, order);
    },
    nextDecision: (v) => {
      const sliceEnd = Math.min(...v.running.map((w) => (w === null || w.placedAt + quantum <= v.now ? Infinity : w.placedAt + quantum)));
      // when a skew crosses the threshold, at the rates the vCPUs progress now (1 running or waiting, 0 otherwise)
      let cross = Infinity;
      for (const ws of smpVms(v)) {
        const k = skews(ws, v.now);
        const rate = (w: World) => Number(w.state === 'run' || w.state === 'wait');
        const slowest = ws[k.indexOf(0)];
        if (slowest === undefined) continue;
        ws.forEach((w, i) => {
          const d = rate(w) - rate(slowest);
          if (d !== 0 && (k[i] - threshold) * d < 0) cross = Math.min(cross, v.now + Math.abs(k[i] - threshold));
        });
      }
      return Math.min(sliceEnd, cross === Infinity ? Infinity : Math.max(cross, v.now + msToPs(SKEW_CHECK_MS)));
    },
  };
};
