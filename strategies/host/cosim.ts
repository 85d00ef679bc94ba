/**
 * The co-simulation loop: the worlds (vCPUs) of every VM run real guest code, under their
 * VM's strategy, on the host's logical CPUs, by steps of host time (integer picoseconds).
 * At each decision the scheduler places worlds; each placed vCPU runs for the cycles the step
 * gives it (step x frequency of its core's P-state x the hyperthreading fraction when a
 * sibling thread is busy) and its guest-visible time follows host time (Cpu.setWallClock),
 * so a descheduled vCPU's timer ticks come due and are delivered, late, when it runs again.
 * A vCPU whose guest halts leaves its logical CPU (WAIT) until its next device event; the
 * logical CPU takes another ready world for the rest of the step. Accounting, the governor
 * and energy follow each step. Within a step a thread's speed is fixed by whether its
 * sibling had a world at the step's start. Determinism: logical CPUs in id order, ties by
 * world id, no wall clock.
 * @category Host
 */
import type { Cpu } from '../../core/cpu/cpu';
import type { StopReason } from '../../core/cpu/stop';
import { beginRun, continueVcpu, type RunLimits } from '../../core/cpu/vcpu-loop';
import { vendorOf } from '../../core/cost/profile';
import { HOST_COUNTERS } from '../../core/host/counters';
import type { HostHardware } from '../../core/host/host-model';
import { threadCharge, threadSpeed } from '../../core/host/hyperthreading';
import { coreJoules } from '../../core/host/power';
import { cyclesToPs, msToPs, psAtRefCycles, psToCycles, refCyclesAt } from '../../core/host/time';
import type { VirtualMachine } from '../virtual-machine';
import { GOVERNORS, GOVERNOR_SAMPLING_MS, type GovernorName } from './governors';
import type { Scheduler, SchedulerView } from './scheduler';
import { allowedOn, atLimit, newWorld, transition, type World, type WorldSettings } from './world';

/** The granularity at which limits are enforced: 10 us of host time. */
export const LIMIT_GRANULARITY_PS = 10_000_000;

/** A VM on the host. */
export interface HostedVm {
  readonly name: string;
  readonly vm: VirtualMachine;
  /** settings of each of its vCPU worlds */
  readonly settings: WorldSettings;
}

/** What to co-simulate. */
export interface HostRun {
  readonly hardware: HostHardware;
  readonly scheduler: Scheduler;
  readonly governor: GovernorName;
  /** governor sampling period, ms (default GOVERNOR_SAMPLING_MS) */
  readonly samplingMs?: number;
  readonly vms: readonly HostedVm[];
  /** end at this host time (ps) even if VMs still run; default: when every VM has stopped */
  readonly untilPs?: number;
  /** budgets of each vCPU's run (as `ringlab run`'s) */
  readonly budget: RunLimits;
  /** longest step between decisions, ms (default 1) */
  readonly maxStepMs?: number;
  /** called for each stretch a world ran on a logical CPU (host picoseconds), for traces */
  readonly onRun?: (lcpu: number, world: World, startPs: number, endPs: number) => void;
}

/** The measured region of a VM (its workload's markers) in host time and instructions. */
export interface HostRegion {
  startPs: number | null;
  endPs: number | null;
  startInstructions: number;
  endInstructions: number | null;
}

/** Per logical CPU totals. */
export interface LcpuTotals {
  /** picoseconds not idle */
  busyPs: number;
  /** charged picoseconds (esxtop PCPU USED) */
  chargedPs: number;
}

/** The outcome of a host run. */
export interface HostOutcome {
  /** host time at the end, ps */
  readonly endPs: number;
  readonly worlds: readonly World[];
  readonly lcpus: readonly LcpuTotals[];
  /** picoseconds each core had a busy thread */
  readonly coreBusyPs: readonly number[];
  readonly energyJoules: number;
  /** time-weighted mean frequency of the cores, Hz */
  readonly averageHz: number;
  /** each VM's stop (null: still running at the end) */
  readonly stops: readonly (StopReason | null)[];
  /** each VM's measured region */
  readonly regions: readonly HostRegion[];
}

/** A running vCPU's current stretch at one speed. */
interface Segment {
  readonly startPs: number;
  readonly startCycles: number;
  /** effective frequency: P-state x hyperthreading fraction */
  readonly hz: number;
  /** charge per picosecond of run time */
  readonly charge: number;
}

interface LcpuState {
  world: World | null;
  /** host time this logical CPU has been simulated to (a vCPU may overshoot a step by one burst) */
  lt: number;
  seg: Segment | null;
  lastVm: number;
  busyInStep: number;
  readonly totals: LcpuTotals;
}

/** Run the host until every VM stops or `untilPs`. */
export const runHost = (h: HostRun): HostOutcome => {
  const hw = h.hardware;
  const topo = hw.topology;
  const nominal = hw.nominalHz;
  const pstates = hw.power.pstates;
  const governor = GOVERNORS[h.governor];
  const sampling = msToPs(h.samplingMs ?? GOVERNOR_SAMPLING_MS);
  const maxStep = msToPs(h.maxStepMs ?? 1);
  const until = h.untilPs ?? Infinity;
  // TLB entries tagged by VM: AMD-V's ASIDs from the first part, VT-x's VPID with nested paging (Nehalem)
  const taggedTlb = vendorOf(hw.profile) === 'amd' || hw.profile.features.nestedPaging;

  const worlds: World[] = [];
  const cpuOf: Cpu[] = [];
  const handlerOf: ReturnType<typeof handlerFor>[] = [];
  const regions: HostRegion[] = h.vms.map(() => ({ startPs: null, endPs: null, startInstructions: 0, endInstructions: null }));
  const stops: (StopReason | null)[] = h.vms.map(() => null);
  const lc: LcpuState[] = topo.lcpus.map(() => ({ world: null, lt: 0, seg: null, lastVm: -1, busyInStep: 0, totals: { busyPs: 0, chargedPs: 0 } }));
  const hostTimeOf = (w: World, cycles: number): number => {
    const l = lc[w.lastLcpu];
    const s = l?.world === w ? l.seg : null;
    return s ? s.startPs + cyclesToPs(cycles - s.startCycles, s.hz) : w.since;
  };

  /** the guest time of the device event each waiting world waits for (0: none) */
  const wakeRef: number[] = [];
  h.vms.forEach((hv, vmIndex) => {
    hv.vm.cpus.forEach((cpu, i) => {
      const w = newWorld(worlds.length, vmIndex, i, `${hv.name}.vcpu${i}`, hv.settings);
      worlds.push(w);
      wakeRef.push(0);
      cpuOf.push(cpu);
      handlerOf.push(handlerFor(hv.vm, i));
      cpu.yieldWhenHalted = true;
      cpu.ledger.declare(HOST_COUNTERS);
      beginRun(cpu, h.budget);
      cpu.events.listen((e) => {
        if (e.kind !== 'region') return;
        const r = regions[vmIndex];
        if (e.mark === 'start' && r.startPs === null) {
          r.startPs = hostTimeOf(w, e.t);
          r.startInstructions = cpu.instructions;
        } else if (e.mark === 'end' && r.endPs === null) {
          r.endPs = hostTimeOf(w, e.t);
          r.endInstructions = cpu.instructions;
        }
      });
    });
  });

  const threadsOf = Array.from({ length: topo.coreCount }, (_, c) => topo.lcpus.filter((x) => x.core === c).map((x) => x.id));
  const coreState = new Array<number>(topo.coreCount).fill(0);
  const coreBusyPs = new Array<number>(topo.coreCount).fill(0);
  const coreWindowBusy = new Array<number>(topo.coreCount).fill(0);
  let hzTime = 0;
  let energy = 0;
  let nextSample = 0;
  let windowStart = 0;
  let T = 0;

  const view = (now: number): SchedulerView => ({ now, worlds, topology: topo, running: lc.map((l) => l.world) });
  const vmDone = (vm: number) => stops[vm] !== null;
  const allDone = () => h.vms.every((_, i) => vmDone(i));

  /** Stop every world of a VM (its platform stopped all its CPUs). */
  const finishVm = (vm: number, stop: StopReason, at: number) => {
    stops[vm] = stop;
    for (const w of worlds)
      if (w.vm === vm && w.state !== 'done') {
        transition(w, 'done', at);
        for (const l of lc) if (l.world === w) ((l.world = null), (l.seg = null));
      }
  };

  /** Start a segment for `w` on logical CPU `id` from `at` (its guest time follows host time). */
  const startSegment = (id: number, w: World, at: number, siblingBusy: boolean) => {
    const l = lc[id];
    const cpu = cpuOf[w.id];
    const f = pstates[coreState[topo.lcpus[id].core]].frequencyHz;
    const hz = f * threadSpeed(hw.hyperthreading, siblingBusy);
    // guest time never goes back, and a woken vCPU sees at least the time of the event that woke it
    const base = Math.max(refCyclesAt(at, nominal), cpu.now(), wakeRef[w.id]);
    wakeRef[w.id] = 0;
    if (w.state !== 'run') {
      const t = cpu.timer;
      if (t.period > 0 && t.deadline < base) w.lateTicks += Math.floor((base - t.deadline) / t.period) + 1;
    }
    cpu.setWallClock(base, nominal / hz);
    l.seg = { startPs: at, startCycles: cpu.time, hz, charge: (f / nominal) * threadCharge(hw.hyperthreading, siblingBusy) };
  };

  /** Put `w` on logical CPU `id` at `at`. */
  const put = (id: number, w: World, from: number, siblingBusy: boolean) => {
    const l = lc[id];
    const at = Math.max(from, w.since);
    if (l.lastVm !== -1 && l.lastVm !== w.vm) {
      w.vmSwitches++;
      const cpu = cpuOf[w.id];
      cpu.ledger.tally('host.vmSwitches', id);
      if (!taggedTlb) {
        // an untagged TLB holds the other VM's translations: flushed, refilled by walks
        cpu.mmu.flush();
        cpu.events.emit({ kind: 'tlb-flush', t: cpu.time, cause: 'vm-transition' });
      }
    }
    l.lastVm = w.vm;
    startSegment(id, w, at, siblingBusy);
    l.world = w;
    transition(w, 'run', at);
    w.placedAt = at;
    w.lastLcpu = id;
  };

  /** A waiting world's device event has come: it is ready from then. */
  const wake = (w: World) => {
    transition(w, 'ready', w.wakeAt);
    w.halted = false;
    w.wakeAt = Infinity;
  };

  const siblingBusyAt = (id: number) => topo.siblings[id].some((s) => lc[s].world !== null);

  /** Run logical CPU `id` to host time `D`, refilling it if its world leaves early. */
  const runLcpu = (id: number, D: number, siblingBusy: boolean) => {
    const l = lc[id];
    for (;;) {
      const w = l.world;
      const seg = l.seg;
      if (!w || !seg || l.lt >= D) return;
      const cpu = cpuOf[w.id];
      const from = Math.max(l.lt, seg.startPs);
      const untilCycles = seg.startCycles + psToCycles(D - seg.startPs, seg.hz);
      const stop = continueVcpu(cpu, handlerOf[w.id], untilCycles);
      const end = Math.max(from, seg.startPs + cyclesToPs(cpu.time - seg.startCycles, seg.hz));
      const ran = end - from;
      l.busyInStep += ran;
      l.totals.busyPs += ran;
      l.totals.chargedPs += ran * seg.charge;
      w.charged += ran * seg.charge;
      l.lt = end;
      if (ran > 0) h.onRun?.(id, w, from, end);
      if (stop !== null) {
        finishVm(w.vm, stop, end);
      } else if (cpu.halted) {
        const next = Math.min(cpu.timer.deadline, cpu.platform.disk.deadline);
        if (next === Infinity && h.vms[w.vm].vm.cpus.length === 1) {
          // nothing can wake a uniprocessor guest halted with no timer or request pending
          finishVm(w.vm, { kind: 'idle', pc: (cpu.pc - 4) | 0 }, end);
        } else {
          if (ran === 0 && next <= cpu.now()) {
            // a vCPU that halts again at once with its event already due would loop without progress
            finishVm(w.vm, { kind: 'stopped', detail: 'internal error: a vCPU woken for a due device event halted again at once' }, end);
            return;
          }
          w.halted = true;
          w.wakeAt = Math.max(end, psAtRefCycles(next, nominal));
          wakeRef[w.id] = next;
          transition(w, 'wait', end);
          l.world = null;
          l.seg = null;
        }
      } else return; // reached D
      if (end >= D) return;
      let next = h.scheduler.pick(view(end), id);
      if (next === null && w.state === 'wait' && w.wakeAt < D) {
        // nothing else wants this CPU: the halted vCPU runs again at its device event
        wake(w);
        next = w;
      }
      if (next === null) return;
      put(id, next, end, siblingBusy);
    }
  };

  while (!allDone() && T < until) {
    // wake worlds whose device event has come
    for (const w of worlds)
      if (w.state === 'wait' && w.wakeAt <= T) wake(w);
    // limits: a world at its limit waits ready (%MLMTD) and leaves its CPU
    for (const w of worlds) {
      if (w.state === 'done') continue;
      const limited = atLimit(w, T);
      if (limited !== w.limited) {
        if (w.state === 'ready') transition(w, 'ready', T);
        w.limited = limited;
      }
    }
    // the governor samples each core's utilisation
    if (T >= nextSample) {
      const window = T - windowStart;
      for (let c = 0; c < topo.coreCount; c++) {
        // at the start (no window yet) a core counts as busy: the guest boots
        coreState[c] = governor(pstates, coreState[c], window > 0 ? Math.min(1, coreWindowBusy[c] / window) : 1);
        coreWindowBusy[c] = 0;
      }
      windowStart = T;
      while (nextSample <= T) nextSample += sampling;
    }
    // the scheduler decides
    const placement = h.scheduler.place(view(T));
    for (let id = 0; id < lc.length; id++) {
      const l = lc[id];
      if (l.world !== null && placement[id] !== l.world) {
        transition(l.world, 'ready', Math.max(T, l.lt));
        l.world = null;
        l.seg = null;
      }
    }
    const busyNext = placement.map((w) => w !== null);
    for (let id = 0; id < lc.length; id++) {
      const w = placement[id];
      const sib = topo.siblings[id].some((s) => busyNext[s]);
      if (w === null) continue;
      const l = lc[id];
      if (l.world === w) {
        // same world: a new segment only if its speed changed (so a lone vCPU's clock is never re-based)
        const f = pstates[coreState[topo.lcpus[id].core]].frequencyHz * threadSpeed(hw.hyperthreading, sib);
        if (l.seg && l.seg.hz !== f) startSegment(id, w, Math.max(T, l.lt), sib);
      } else put(id, w, Math.max(T, l.lt), sib);
    }
    // the step: to the next decision, wake, sample, limit or the end
    let D = Math.min(T + maxStep, h.scheduler.nextDecision(view(T)), nextSample, until);
    for (const w of worlds) {
      if (w.state === 'wait') D = Math.min(D, w.wakeAt);
      if (w.state === 'run' && w.settings.limit !== Infinity) {
        const seg = lc[w.lastLcpu].seg;
        const rate = seg ? seg.charge : 1;
        // when charged + rate (t - T) reaches limit x t
        // (no sooner than LIMIT_GRANULARITY_PS: a limit is enforced at that granularity, not cycle by cycle)
        if (rate > w.settings.limit) D = Math.min(D, Math.max(T + LIMIT_GRANULARITY_PS, Math.ceil((w.charged - w.settings.limit * T) / (w.settings.limit - rate) + T)));
      }
    }
    D = Math.max(D, T + 1);
    const sibAtStart = lc.map((_, id) => siblingBusyAt(id));
    for (const l of lc) l.busyInStep = 0;
    for (let id = 0; id < lc.length; id++) runLcpu(id, D, sibAtStart[id]);
    // a world that woke during the step runs at once on a logical CPU left idle in its affinity
    for (let changed = true; changed; ) {
      changed = false;
      for (let id = 0; id < lc.length; id++) {
        const l = lc[id];
        if (l.world !== null || l.lt >= D) continue;
        const woken = worlds.filter((w) => w.state === 'wait' && w.wakeAt < D && allowedOn(w, id)).sort((a, b) => a.wakeAt - b.wakeAt || a.id - b.id)[0];
        if (woken === undefined) continue;
        wake(woken);
        put(id, woken, Math.max(T, l.lt), sibAtStart[id]);
        runLcpu(id, D, sibAtStart[id]);
        changed = true;
      }
    }
    // energy and the governor's window, per core
    const step = D - T;
    for (let c = 0; c < topo.coreCount; c++) {
      // the threads' busy stretches overlap from the step's start: the core was busy for the longest
      const coreBusy = Math.max(...threadsOf[c].map((id) => lc[id].busyInStep));
      coreBusyPs[c] += coreBusy;
      coreWindowBusy[c] += coreBusy;
      energy += coreJoules(hw.corePower, coreState[c], coreBusy, step);
      hzTime += pstates[coreState[c]].frequencyHz * step;
    }
    T = D;
  }
  // the end: when the last VM stopped, or the run was cut (a vCPU may have overshot by a burst)
  const endPs = allDone() ? Math.max(...worlds.map((w) => w.since)) : Math.max(T, ...lc.map((l) => l.lt));
  for (const w of worlds) if (w.state !== 'done') transition(w, w.state, endPs);
  return {
    endPs,
    worlds,
    lcpus: lc.map((l) => l.totals),
    coreBusyPs,
    energyJoules: energy,
    averageHz: T > 0 ? hzTime / (T * topo.coreCount) : nominal,
    stops,
    regions,
  };
};

/** The VMM's handler of a VM's vCPU (null: bare metal). */
const handlerFor = (vm: VirtualMachine, i: number) => vm.vmm.vcpus[i] ?? null;
