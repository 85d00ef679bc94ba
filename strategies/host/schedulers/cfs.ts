/**
 * `cfs`: Linux's Completely Fair Scheduler as KVM's vCPU threads see it. Each world's virtual
 * runtime is its run time x 1024 / its weight (shares / 1000 x 1024, the nice-0 weight being
 * 1024); the world with the smallest virtual runtime runs next, for a slice of the target
 * latency (6 ms x (1 + ilog2(logical CPUs))) split by weight among the runnable worlds, at
 * least the minimum granularity (0.75 ms); a world that wakes is placed no further back than
 * half a target latency behind the smallest virtual runtime (kernel/sched/fair.c,
 * place_entity; sysctl_sched_latency, sysctl_sched_min_granularity, Linux before EEVDF).
 * A world that wakes with no idle logical CPU preempts the running world with the largest
 * virtual runtime if that is ahead of its own by more than the wake-up granularity (1 ms x
 * (1 + ilog2(logical CPUs)), in the woken world's virtual time: check_preempt_wakeup,
 * wakeup_gran, sysctl_sched_wakeup_granularity).
 * @category Host
 */
import { msToPs } from '../../../core/host/time';
import { displaced, eligible, placeInOrder, type Scheduler, type SchedulerView } from '../scheduler';
import { allowedOn, type World } from '../world';

/** Settings of the cfs scheduler. */
export interface CfsSettings {
  /** target latency before scaling by CPUs, ms (default 6) */
  readonly latencyMs?: number;
  /** minimum granularity, ms (default 0.75) */
  readonly minGranularityMs?: number;
  /** wake-up granularity before scaling by CPUs, ms (default 1) */
  readonly wakeupGranularityMs?: number;
}

const NICE_0 = 1024;

/** A cfs scheduler. */
export const cfsScheduler = (s: CfsSettings = {}): Scheduler => {
  /** virtual runtime at the last look, and the offset a wake-up gave */
  const offset = new Map<World, number>();
  const seenWaiting = new Set<World>();
  const weight = (w: World) => (w.settings.shares / 1000) * NICE_0;
  const runPs = (w: World, now: number) => w.times.run + (w.state === 'run' ? now - w.since : 0);
  const vruntime = (w: World, now: number) => (runPs(w, now) * NICE_0) / weight(w) + (offset.get(w) ?? 0);
  const latency = (v: SchedulerView) => scaled(v, s.latencyMs ?? 6);
  const minGran = msToPs(s.minGranularityMs ?? 0.75);
  const scaled = (v: SchedulerView, ms: number) => msToPs(ms * (1 + Math.floor(Math.log2(v.topology.lcpus.length))));
  /** World `w` is back from waiting: no more than half a latency of credit over the runnable worlds (smallest virtual runtime `minV`). */
  const settle = (v: SchedulerView, w: World, minV: number) => {
    seenWaiting.delete(w);
    const floor = minV - latency(v) / 2;
    const vr = vruntime(w, v.now);
    if (Number.isFinite(floor) && vr < floor) offset.set(w, (offset.get(w) ?? 0) + (floor - vr));
  };
  const minVruntime = (v: SchedulerView) => Math.min(...eligible(v).map((w) => vruntime(w, v.now)));
  const placeWoken = (v: SchedulerView) => {
    const minV = minVruntime(v);
    for (const w of v.worlds) {
      if (w.state === 'wait') seenWaiting.add(w);
      else if (seenWaiting.has(w) && w.state === 'ready') settle(v, w, minV);
    }
  };
  const slice = (v: SchedulerView, w: World) => {
    const total = eligible(v).reduce((a, x) => a + weight(x), 0);
    return Math.max(minGran, Math.round((latency(v) * weight(w)) / total));
  };
  const order = (now: number) => (a: World, b: World) => vruntime(a, now) - vruntime(b, now) || a.id - b.id;
  return {
    name: 'cfs',
    place: (v) => {
      placeWoken(v);
      const keeps = (w: World) => w.state === 'run' && v.now < w.placedAt + slice(v, w);
      const ws = eligible(v).sort((a, b) => Number(!keeps(a)) - Number(!keeps(b)) || order(v.now)(a, b));
      const out = placeInOrder(v, ws, keeps);
      for (const w of out) if (w !== null && w.state === 'run' && !keeps(w) && v.running[w.lastLcpu] === w && out[w.lastLcpu] === w) w.placedAt = v.now;
      return out;
    },
    pick: (v, lcpu) => {
      placeWoken(v);
      return eligible(v).filter((w) => w.state === 'ready' && allowedOn(w, lcpu)).sort(order(v.now))[0] ?? null;
    },
    nextDecision: (v) => Math.min(...v.running.map((w) => (w === null || w.placedAt + slice(v, w) <= v.now ? Infinity : w.placedAt + slice(v, w)))),
    preempt: (v, w) => {
      if (w.limited || w.role === 'housekeeping') return -1;
      settle(v, w, minVruntime(v));
      const mine = vruntime(w, v.now);
      const gran = (scaled(v, s.wakeupGranularityMs ?? 1) * NICE_0) / weight(w);
      return displaced(v, w, (r) => vruntime(r, v.now) - mine > gran, (a, b) => vruntime(a, v.now) - vruntime(b, v.now));
    },
  };
};
