/**
 * `credit`: Xen's credit scheduler (xen/common/sched/credit.c). Each world has a weight
 * (shares / 1000 x 256, Xen's default weight being 256); every accounting period (30 ms) the
 * host's CPU time for the period is shared out as credit by weight among the active worlds,
 * and a world's run time is debited from its credit. Worlds with credit left are UNDER,
 * the others OVER; a world that wakes with credit is BOOSTed until it is descheduled, so I/O-
 * bound guests answer quickly. The run queue takes BOOST, then UNDER, then OVER, first come
 * first served within a priority; a running world keeps its CPU for the 30 ms time slice
 * unless a BOOSTed world that may run there wakes (Xen tickles that CPU, __runq_tickle) and
 * the running world has run at least the rate limit (sched_ratelimit_us, 1 ms by default
 * since Xen 4.2).
 * Caps are the worlds' limits (applied by the co-simulation as for every policy). Credit is
 * capped at one period's share so an idle world cannot hoard it.
 * @category Host
 */
import { msToPs } from '../../../core/host/time';
import { displaced, eligible, placeInOrder, type Scheduler, type SchedulerView } from '../scheduler';
import { allowedOn, type World } from '../world';

/** Settings of the credit scheduler. */
export interface CreditSettings {
  /** time slice, ms (default 30) */
  readonly quantumMs?: number;
  /** accounting period, ms (default 30) */
  readonly accountingMs?: number;
  /** the least a running world runs before a BOOSTed one preempts it, ms (default 1) */
  readonly ratelimitMs?: number;
}

const Priority = { boost: 0, under: 1, over: 2 } as const;

/** A credit scheduler. */
export const creditScheduler = (s: CreditSettings = {}): Scheduler => {
  const slice = msToPs(s.quantumMs ?? 30);
  const period = msToPs(s.accountingMs ?? 30);
  const ratelimit = msToPs(s.ratelimitMs ?? 1);
  /** whether running world `r` has run long enough on its CPU to be preempted now */
  const preemptible = (r: World, now: number) => !boosted.has(r) && now - r.placedAt >= ratelimit;
  const credit = new Map<World, number>();
  const debited = new Map<World, number>();
  const boosted = new Set<World>();
  const waited = new Set<World>();
  let nextAccounting = 0;
  const weight = (w: World) => (w.settings.shares / 1000) * 256;
  const runPs = (w: World, now: number) => w.times.run + (w.state === 'run' ? now - w.since : 0);

  const account = (v: SchedulerView) => {
    for (const w of v.worlds) {
      // debit the run time since the last look
      const ran = runPs(w, v.now);
      credit.set(w, (credit.get(w) ?? 0) - (ran - (debited.get(w) ?? 0)));
      debited.set(w, ran);
      // boost on wake-up with credit left; a descheduled world loses its boost
      if (w.state === 'wait') waited.add(w);
      else if (waited.has(w)) {
        waited.delete(w);
        if ((credit.get(w) ?? 0) > 0) boosted.add(w);
      }
      if (w.state !== 'run' && w.state !== 'ready') boosted.delete(w);
    }
    while (v.now >= nextAccounting) {
      const active = eligible(v);
      const total = active.reduce((a, w) => a + weight(w), 0);
      const capacity = period * v.topology.lcpus.length;
      for (const w of active) {
        const share = (capacity * weight(w)) / total;
        credit.set(w, Math.min(share, (credit.get(w) ?? 0) + share));
      }
      nextAccounting += period;
    }
  };
  const priority = (w: World) => (boosted.has(w) ? Priority.boost : (credit.get(w) ?? 0) > 0 ? Priority.under : Priority.over);
  // first come first served within a priority: the world waiting longest (smallest `since` while ready)
  const order = (a: World, b: World) => priority(a) - priority(b) || a.since - b.since || a.id - b.id;

  return {
    name: 'credit',
    place: (v) => {
      account(v);
      // a BOOSTed world that woke preempts a running world of lower priority (Xen tickles its CPU)
      const waking = eligible(v).filter((w) => w.state === 'ready' && boosted.has(w));
      const keeps = (w: World) =>
        w.state === 'run' && v.now < w.placedAt + slice && (!preemptible(w, v.now) || !waking.some((b) => allowedOn(b, w.lastLcpu)));
      const ws = eligible(v).sort((a, b) => Number(!keeps(a)) - Number(!keeps(b)) || order(a, b));
      const out = placeInOrder(v, ws, keeps);
      for (const w of v.running) if (w !== null && !out.includes(w)) boosted.delete(w);
      for (const w of out) if (w !== null && w.state === 'run' && !keeps(w) && v.running[w.lastLcpu] === w && out[w.lastLcpu] === w) w.placedAt = v.now;
      return out;
    },
    pick: (v, lcpu) => {
      account(v);
      return eligible(v).filter((w) => w.state === 'ready' && allowedOn(w, lcpu)).sort(order)[0] ?? null;
    },
    nextDecision: (v) => {
      // a BOOSTed world kept waiting by the rate limit gets its CPU when the limit has passed
      const waiting = v.worlds.some((w) => w.state === 'ready' && boosted.has(w));
      const end = (w: World) => Math.min(w.placedAt + slice, waiting && !boosted.has(w) && w.placedAt + ratelimit > v.now ? w.placedAt + ratelimit : Infinity);
      return Math.min(nextAccounting > v.now ? nextAccounting : Infinity, ...v.running.map((w) => (w === null || w.placedAt + slice <= v.now ? Infinity : end(w))));
    },
    preempt: (v, w) => {
      if (w.limited || w.role === 'housekeeping') return -1;
      account(v);
      // it wakes with credit left: BOOSTed, it takes the CPU of the lowest-priority running world past its rate limit
      if ((credit.get(w) ?? 0) <= 0) return -1;
      waited.delete(w);
      boosted.add(w);
      return displaced(v, w, (r) => preemptible(r, v.now), order);
    },
  };
};
