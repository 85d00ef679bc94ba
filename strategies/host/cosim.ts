/**
 * The co-simulation loop: the worlds of every VM (its vCPUs, which run real guest code under
 * the VM's strategy, and its VMM's helper worlds) run on the host's logical CPUs, by steps of host time (integer picoseconds).
 * At each decision the scheduler places worlds; each placed vCPU runs for the cycles the step
 * gives it (step x frequency of its core's P-state x the hyperthreading fraction when a
 * sibling thread is busy) and its guest-visible time follows host time (Cpu.setWallClock),
 * so a descheduled vCPU's timer ticks come due and are delivered, late, when it runs again.
 * A vCPU whose guest halts leaves its logical CPU (WAIT) until its next device event; the
 * logical CPU takes another ready world for the rest of the step. Accounting, the governor
 * and energy follow each step. Within a step a thread's speed is fixed by whether its
 * sibling had a world at the step's start.
 *
 * Within a step the logical CPUs advance in bursts, always the one furthest behind in host
 * time first (the lowest id on a tie); the vCPUs of a multiprocessor VM run bursts of
 * DEFAULT_QUANTUM_CYCLES, so they stay in step as runVcpus keeps them when the VM runs alone
 * (lowest clock first), and an IPI, a start-up IPI or a device interrupt raised at a waiting
 * vCPU wakes its world at the sender's host time (Cpu.host.kick). A vCPU whose VMM took a
 * pause-loop exit gives its logical CPU to a ready vCPU of its VM (KVM's directed yield,
 * kvm_vcpu_on_spin), else to any ready world. Co-stopped worlds (the scheduler's
 * co-scheduling) are `costop` until a decision co-starts them. Determinism: ties by logical
 * CPU id and world id, no wall clock.
 * @category Host
 */
import type { Cpu } from '../../core/cpu/cpu';
import type { VcpuHandler } from '../../core/cpu/exit';
import type { StopReason } from '../../core/cpu/stop';
import { beginRun, continueVcpu, DEFAULT_QUANTUM_CYCLES, type RunLimits } from '../../core/cpu/vcpu-loop';
import { vendorOf } from '../../core/cost/profile';
import { HOST_COUNTERS } from '../../core/host/counters';
import type { HostHardware } from '../../core/host/host-model';
import { threadCharge, threadSpeed } from '../../core/host/hyperthreading';
import { coreJoules } from '../../core/host/power';
import { cyclesToPs, msToPs, psAtRefCycles, psToCycles, refCyclesAt } from '../../core/host/time';
import type { Platform } from '../../core/platform/platform';
import type { VirtualMachine } from '../virtual-machine';
import { GOVERNORS, GOVERNOR_SAMPLING_MS, type GovernorName } from './governors';
import type { Scheduler, SchedulerView } from './scheduler';
import { DeviceModelWorld, type DeviceModelHost } from './device-model-world';
import { HelperWork, type Housekeeping } from './helper-work';
import { allowedOn, atLimit, newWorld, transition, type World, type WorldSettings } from './world';

/** A housekeeping world (idle priority) runs at most this long before it checks whether another world wants its CPU: 10 us. */
export const HOUSEKEEPING_BURST_PS = 10_000_000;

/** The granularity at which limits are enforced: 10 us of host time. */
export const LIMIT_GRANULARITY_PS = 10_000_000;

/** A VM on the host. */
export interface HostedVm {
  readonly name: string;
  readonly vm: VirtualMachine;
  /** settings of each of its vCPU worlds (its helper worlds share its shares and affinity) */
  readonly settings: WorldSettings;
  /** its VMM's user-level device model runs as a helper world (device-model=user) */
  readonly deviceModelWorld?: boolean;
  /** its VMM's housekeeping world's periodic work (null or absent: none) */
  readonly housekeeping?: Housekeeping | null;
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

/** The measured region of a VM (its workload's markers) in host time and work instructions (workInstructions). */
export interface HostRegion {
  startPs: number | null;
  endPs: number | null;
  startInstructions: number;
  endInstructions: number | null;
}

/**
 * The instructions a VM's vCPUs retired outside spin-wait iterations (Cpu.spinInstructions):
 * the measure of work done by which a run cut short is compared with the VM alone, so that a
 * vCPU spinning on a lock whose holder is descheduled does not count as progressing.
 */
export const workInstructions = (vm: VirtualMachine): number => vm.cpus.reduce((a, c) => a + c.instructions - c.spinInstructions, 0);

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
  /** host time of the current step's start */
  let T = 0;
  // TLB entries tagged by VM: AMD-V's ASIDs from the first part, VT-x's VPID with nested paging (Nehalem)
  const taggedTlb = vendorOf(hw.profile) === 'amd' || hw.profile.features.nestedPaging;

  const worlds: World[] = [];
  const cpuOf: Cpu[] = [];
  const handlerOf: (VcpuHandler | null)[] = [];
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
  /** the world whose burst is running (a kick comes at its time), null between bursts */
  let current: World | null = null;
  /** host time of the helper work finishing now (its completions act then), null otherwise */
  let helperNow: number | null = null;
  /** Host time of what happens now: in the running vCPU's burst, at a helper's completion, or at the step's start. */
  const nowPs = (): number => (current !== null ? hostTimeOf(current, cpuOf[current.id].time) : (helperNow ?? T));
  /** Something raised at a waiting vCPU (an IPI, a start-up IPI, a device interrupt): its world wakes now. */
  const kick = (w: World) => {
    if (w.state !== 'wait') return;
    const at = nowPs();
    if (at >= w.wakeAt) return;
    w.wakeAt = Math.max(at, w.since);
    wakeRef[w.id] = current === null ? refCyclesAt(at, nominal) : cpuOf[current.id].now();
  };
  /** each helper world's queue of work, by world id */
  const helperWork: (HelperWork | null)[] = [];
  /** each VM's device-model world (device-model=user), and housekeeping world with its next batch's host time */
  const deviceModels: (DeviceModelWorld | null)[] = h.vms.map(() => null);
  const housekeeping: { world: World; next: number; periodPs: number; cycles: number }[] = [];
  const roundTripCycles = hw.profile.costs.userDeviceModelRoundTrip?.cycles ?? 0;
  const deviceModelHost: DeviceModelHost = {
    nowPs,
    release: (w, end) => {
      if (w.state === 'wait' && w.wakeAt > end) ((w.wakeAt = Math.max(end, w.since)), (wakeRef[w.id] = refCyclesAt(end, nominal)));
    },
  };
  const addWorld = (w: World, cpu: Cpu | null, handler: VcpuHandler | null, work: HelperWork | null) => {
    worlds.push(w);
    wakeRef.push(0);
    cpuOf.push(cpu as Cpu); // a helper world has none: never read for it
    handlerOf.push(handler);
    helperWork.push(work);
  };
  h.vms.forEach((hv, vmIndex) => {
    hv.vm.cpus.forEach((cpu, i) => {
      const w = newWorld(worlds.length, vmIndex, i, `${hv.name}.vcpu${i}`, hv.settings);
      addWorld(w, cpu, handlerFor(hv.vm, i), null);
      cpu.host = {
        kick: () => kick(w),
        userDeviceModelRoundTrip: (access) => {
          deviceModels[vmIndex]?.roundTrip(w, access);
          return deviceModels[vmIndex] !== null;
        },
      };
      cpu.ledger.declare(HOST_COUNTERS);
      beginRun(cpu, h.budget);
      cpu.events.listen((e) => {
        if (e.kind !== 'region') return;
        const r = regions[vmIndex];
        if (e.mark === 'start' && r.startPs === null) {
          r.startPs = hostTimeOf(w, e.t);
          r.startInstructions = workInstructions(hv.vm);
        } else if (e.mark === 'end' && r.endPs === null) {
          r.endPs = hostTimeOf(w, e.t);
          r.endInstructions = workInstructions(hv.vm);
        }
      });
    });
    // helper worlds: blocked until they have work; they share the VM's shares and affinity
    const helper = (name: string, role: 'device-model' | 'housekeeping', work = new HelperWork()) => {
      const w = newWorld(worlds.length, vmIndex, -1, `${hv.name}.${name}`, hv.settings, role);
      addWorld(w, null, null, work);
      transition(w, 'wait', 0);
      return w;
    };
    if (hv.deviceModelWorld) {
      const work = new HelperWork();
      deviceModels[vmIndex] = new DeviceModelWorld(helper('devmodel', 'device-model', work), work, hv.vm.platform, roundTripCycles, deviceModelHost);
    }
    if (hv.housekeeping)
      housekeeping.push({ world: helper('housekeeping', 'housekeeping'), next: 0, periodPs: msToPs(hv.housekeeping.periodMs), cycles: (hv.housekeeping.workUs * nominal) / 1e6 });
  });

  const threadsOf = Array.from({ length: topo.coreCount }, (_, c) => topo.lcpus.filter((x) => x.core === c).map((x) => x.id));
  const coreState = new Array<number>(topo.coreCount).fill(0);
  const coreBusyPs = new Array<number>(topo.coreCount).fill(0);
  const coreWindowBusy = new Array<number>(topo.coreCount).fill(0);
  let hzTime = 0;
  let energy = 0;
  let nextSample = 0;
  let windowStart = 0;

  const view = (now: number): SchedulerView => ({ now, worlds, topology: topo, running: lc.map((l) => l.world) });
  const vmDone = (vm: number) => stops[vm] !== null;
  /** The VMs whose block requests complete through a device-model world, with their platforms (fixed once the worlds exist). */
  const modelled = h.vms.flatMap((hv, vm) => (deviceModels[vm] !== null ? [{ vm, platform: hv.vm.platform }] : []));
  /** Host time the block request of a running VM in `modelled` finishes at its device (Infinity: none, or the VM stopped). */
  const finishPs = (x: (typeof modelled)[number]): number => (vmDone(x.vm) ? Infinity : psAtRefCycles(x.platform.disk.deadline, nominal));
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
    const charge = (f / nominal) * threadCharge(hw.hyperthreading, siblingBusy);
    if (w.role !== 'vcpu') {
      // a helper world runs host code: its work is counted in its own queue
      l.seg = { startPs: at, startCycles: helperWork[w.id]?.done ?? 0, hz, charge };
      return;
    }
    // guest time never goes back, and a woken vCPU sees at least the time of the event that woke it
    const base = Math.max(refCyclesAt(at, nominal), cpu.now(), wakeRef[w.id]);
    wakeRef[w.id] = 0;
    if (w.state !== 'run') {
      const t = cpu.timer;
      if (t.period > 0 && t.deadline < base) w.lateTicks += Math.floor((base - t.deadline) / t.period) + 1;
    }
    cpu.setWallClock(base, nominal / hz);
    l.seg = { startPs: at, startCycles: cpu.time, hz, charge };
  };

  /** Put `w` on logical CPU `id` at `at`. */
  const put = (id: number, w: World, from: number, siblingBusy: boolean) => {
    const l = lc[id];
    const at = Math.max(from, w.since);
    if (l.lastVm !== -1 && l.lastVm !== w.vm && w.role === 'vcpu') {
      w.vmSwitches++;
      const cpu = cpuOf[w.id];
      cpu.ledger.tally('host.vmSwitches', id);
      if (!taggedTlb) {
        // an untagged TLB holds the other VM's translations: flushed, refilled by walks
        cpu.mmu.flush();
        cpu.events.emit({ kind: 'tlb-flush', t: cpu.time, cause: 'vm-transition' });
      }
    }
    if (w.role === 'vcpu') l.lastVm = w.vm;
    startSegment(id, w, at, siblingBusy);
    l.world = w;
    transition(w, 'run', at);
    w.placedAt = at;
    w.lastLcpu = id;
    // the device acts now that the round trip is done, at the vCPU's time (as when the VM runs alone)
    if (w.role === 'vcpu') deviceModels[w.vm]?.resume(w);
  };

  /** A waiting world's device event has come: it is ready from then. */
  const wake = (w: World) => {
    transition(w, 'ready', w.wakeAt);
    w.halted = false;
    w.wakeAt = Infinity;
  };

  const siblingBusyAt = (id: number) => topo.siblings[id].some((s) => lc[s].world !== null);

  /** the vCPUs of a multiprocessor VM run in bursts of DEFAULT_QUANTUM_CYCLES (see above) */
  const multiprocessor = h.vms.map((hv) => hv.vm.cpus.length > 1);

  /** The next device event a halted vCPU waits for (guest time; Infinity: only another CPU can wake it). */
  const nextEventOf = (w: World, cpu: Cpu): number => {
    if (cpu.waitingForStartup) return Infinity;
    const p = cpu.platform;
    // a request finishing into a device-model world is the loop's to hand over, not the vCPU's to wake for
    return Math.min(cpu.timer.deadline, p.cpus[p.irqTarget] === cpu && deviceModels[w.vm] === null ? p.disk.deadline : Infinity);
  };

  /** A world gives logical CPU `id` up at `end`; another takes it at once if one is ready (`yielding`: a pause-loop exit's directed yield first). */
  const refill = (id: number, end: number, siblingBusy: boolean, yielding: World | null) => {
    const sameVm = yielding === null ? undefined : worlds.find((x) => x.vm === yielding.vm && x.state === 'ready' && !x.limited && !x.coStopped && allowedOn(x, id));
    const next = sameVm ?? h.scheduler.pick(view(end), id);
    if (yielding !== null) {
      if (next === null || next === yielding) return;
      yielding.spinYields++;
      transition(yielding, 'ready', end);
    }
    if (next !== null) put(id, next, end, siblingBusy);
  };

  /** Charge host time `from`..`end` on logical CPU `id` to its world. */
  const account = (id: number, w: World, seg: Segment, from: number, end: number) => {
    const l = lc[id];
    const ran = end - from;
    l.busyInStep += ran;
    l.totals.busyPs += ran;
    l.totals.chargedPs += ran * seg.charge;
    w.charged += ran * seg.charge;
    if (ran > 0) h.onRun?.(id, w, from, end);
  };

  /** World `w` leaves logical CPU `id` at `end` and waits (halted: its guest's HLT; else blocked) until `wakeAt`, seeing guest time `ref` then. */
  const leave = (id: number, w: World, end: number, halted: boolean, wakeAt: number, ref: number) => {
    w.halted = halted;
    w.wakeAt = wakeAt;
    wakeRef[w.id] = ref;
    transition(w, 'wait', end);
    lc[id].world = null;
    lc[id].seg = null;
  };

  /** One burst of a helper world: its queued work, to host time `D` at most; the vCPUs it served wake when it is done. */
  const helperBurst = (id: number, D: number, siblingBusy: boolean) => {
    const l = lc[id];
    const w = l.world as World;
    const seg = l.seg as Segment;
    const work = helperWork[w.id] as HelperWork;
    const from = Math.max(l.lt, seg.startPs);
    // idle priority: a housekeeping world runs in short bursts, and leaves at the first that another world wants its CPU
    const bound = w.role === 'housekeeping' ? Math.min(D, from + HOUSEKEEPING_BURST_PS) : D;
    const did = Math.min(work.pending, psToCycles(bound - from, seg.hz));
    const finished = did >= work.pending;
    const end = finished ? Math.min(bound, from + cyclesToPs(did, seg.hz)) : bound;
    account(id, w, seg, from, end);
    helperNow = end;
    for (const then of work.run(did)) then(end);
    helperNow = null;
    l.lt = end;
    if (!finished) {
      const wanted = (x: World) =>
        x.role !== 'housekeeping' && allowedOn(x, id) && ((x.state === 'wait' && x.wakeAt <= end) || (x.state === 'ready' && !x.limited && !x.coStopped));
      if (w.role !== 'housekeeping' || end >= D || !worlds.some(wanted)) return;
      transition(w, 'ready', end);
      l.world = null;
      l.seg = null;
    } else leave(id, w, end, false, Infinity, 0);
    if (end < D) refill(id, end, siblingBusy, null);
  };

  /** One burst of a vCPU, to host time `D` (a quantum for a multiprocessor VM's vCPU). */
  const vcpuBurst = (id: number, D: number, siblingBusy: boolean) => {
    const l = lc[id];
    const w = l.world as World;
    const seg = l.seg as Segment;
    const cpu = cpuOf[w.id];
    const from = Math.max(l.lt, seg.startPs);
    const to = multiprocessor[w.vm] ? Math.min(D, from + Math.max(1, cyclesToPs(DEFAULT_QUANTUM_CYCLES, seg.hz))) : D;
    const untilCycles = seg.startCycles + psToCycles(to - seg.startPs, seg.hz);
    current = w;
    const stop = continueVcpu(cpu, handlerOf[w.id], untilCycles);
    current = null;
    const end = Math.max(from, seg.startPs + cyclesToPs(cpu.time - seg.startCycles, seg.hz));
    account(id, w, seg, from, end);
    // a burst that ended before its bound without halting, stopping or yielding still moves the CPU on
    l.lt = stop === null && !cpu.halted && cpu.hostYield === null ? Math.max(end, to) : end;
    const yielded = cpu.hostYield;
    cpu.hostYield = null;
    if (stop !== null) {
      finishVm(w.vm, stop, end);
    } else if (yielded === 'spin') {
      refill(id, end, siblingBusy, w);
      return;
    } else if (yielded === 'helper') {
      // the vCPU waits while its device-model world serves the access
      leave(id, w, end, false, Infinity, 0);
      deviceModels[w.vm]?.wake(end);
    } else if (cpu.halted) {
      const next = nextEventOf(w, cpu);
      if (next === Infinity && !multiprocessor[w.vm]) {
        // nothing can wake a uniprocessor guest halted with no timer or request pending
        finishVm(w.vm, { kind: 'idle', pc: (cpu.pc - 4) | 0 }, end);
      } else {
        if (end === from && next <= cpu.now()) {
          // a vCPU that halts again at once with its event already due would loop without progress
          finishVm(w.vm, { kind: 'stopped', detail: 'internal error: a vCPU woken for a due device event halted again at once' }, end);
          return;
        }
        leave(id, w, end, true, Math.max(end, psAtRefCycles(next, nominal)), next);
        // every vCPU of the VM halted and none has an event coming: nothing can ever wake it
        if (worlds.every((x) => x.vm !== w.vm || x.role !== 'vcpu' || (x.state === 'wait' && x.halted && x.wakeAt === Infinity)))
          finishVm(w.vm, { kind: 'idle', pc: (cpu.pc - 4) | 0 }, end);
      }
    } else return; // reached its bound
    if (end < D && l.world === null) refill(id, end, siblingBusy, null);
  };

  /** One burst of logical CPU `id`'s world, by its role. */
  const runBurst = (id: number, D: number, siblingBusy: boolean) => {
    const w = lc[id].world;
    if (w === null || lc[id].seg === null) return;
    if (w.role === 'vcpu') vcpuBurst(id, D, siblingBusy);
    else helperBurst(id, D, siblingBusy);
  };

  /** An idle logical CPU for waiting world `w` before `D`: its last one if idle, else the lowest id in its affinity (-1: none). */
  const idleCpuFor = (w: World, D: number): number => {
    const free = (id: number) => lc[id].world === null && lc[id].lt < D && allowedOn(w, id);
    if (w.lastLcpu >= 0 && free(w.lastLcpu)) return w.lastLcpu;
    return lc.findIndex((_, id) => free(id));
  };

  /** Waking world `w` takes logical CPU `id` from the world there (wake-up preemption), at `t` or when that CPU got to. */
  const preemptFor = (w: World, id: number, t: number, siblingBusy: boolean) => {
    const l = lc[id];
    const at = Math.max(t, l.lt, l.seg?.startPs ?? 0);
    const x = l.world as World;
    transition(x, x.coStopped ? 'costop' : 'ready', at);
    l.world = null;
    l.seg = null;
    wake(w);
    put(id, w, at, siblingBusy);
  };

  /**
   * Run the step to host time `D`: the earliest thing first, a burst of the logical CPU
   * furthest behind, a block request finishing into a device-model world, or a waiting world
   * waking onto an idle logical CPU (or, if the policy preempts for it, onto a busy one).
   */
  const runStep = (D: number, siblingBusy: readonly boolean[]) => {
    /** worlds that woke this step, found no idle CPU, and that the policy let wait */
    const refused = new Set<World>();
    for (;;) {
      let id = -1;
      let at = Infinity;
      lc.forEach((l, i) => {
        const t = l.seg ? Math.max(l.lt, l.seg.startPs) : Infinity;
        if (l.world !== null && t < D && t < at) ((id = i), (at = t));
      });
      let woken: World | null = null;
      let wokenOn = -1;
      let wokenAt = Infinity;
      let blocked: World | null = null;
      let blockedAt = Infinity;
      for (const w of worlds) {
        // a housekeeping world that is ready runs only on an idle logical CPU (idle priority)
        const from = w.state === 'wait' ? w.wakeAt : w.role === 'housekeeping' && w.state === 'ready' ? w.since : Infinity;
        if (from >= D) continue;
        const on = idleCpuFor(w, D);
        if (on < 0) {
          const t = Math.max(from, T);
          if (w.state === 'wait' && !refused.has(w) && t < blockedAt) ((blocked = w), (blockedAt = t));
          continue;
        }
        const t = Math.max(from, lc[on].lt, T);
        if (t < wokenAt) ((woken = w), (wokenOn = on), (wokenAt = t));
      }
      let due: Platform | null = null;
      let dueAt = Infinity;
      for (const x of modelled) {
        const t = Math.max(finishPs(x), T);
        if (t < dueAt) ((due = x.platform), (dueAt = t));
      }
      const first = Math.min(at, wokenAt, blockedAt, dueAt);
      if (first >= D) return;
      if (due !== null && dueAt === first) {
        helperNow = dueAt;
        due.serviceDevices(due.disk.deadline);
        helperNow = null;
      } else if (woken !== null && wokenAt === first) {
        if (woken.state === 'wait') wake(woken);
        put(wokenOn, woken, wokenAt, siblingBusy[wokenOn]);
      } else if (blocked !== null && blockedAt === first) {
        const on = h.scheduler.preempt?.(view(blockedAt), blocked) ?? -1;
        if (on < 0) refused.add(blocked);
        else preemptFor(blocked, on, blockedAt, siblingBusy[on]);
      } else runBurst(id, D, siblingBusy[id]);
    }
  };

  while (!allDone() && T < until) {
    // housekeeping batches that fell due
    for (const k of housekeeping) {
      if (k.world.state === 'done') continue;
      for (; k.next <= T; k.next += k.periodPs) helperWork[k.world.id]?.add(k.cycles);
      if (k.world.state === 'wait' && (helperWork[k.world.id]?.pending ?? 0) > 0) k.world.wakeAt = Math.min(k.world.wakeAt, T);
    }
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
        transition(l.world, l.world.coStopped ? 'costop' : 'ready', Math.max(T, l.lt));
        l.world = null;
        l.seg = null;
      }
    }
    // runnable worlds left out wait ready, or co-stopped if the scheduler co-stopped them
    const placed = new Set(placement);
    for (const w of worlds)
      if ((w.state === 'ready' || w.state === 'costop') && !placed.has(w)) {
        const state = w.coStopped && !w.limited ? 'costop' : 'ready';
        if (state !== w.state) transition(w, state, T);
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
    for (const k of housekeeping) if (k.world.state !== 'done') D = Math.min(D, k.next);
    // a block request finishing into a device-model world ends the step, so every CPU is there when that world wakes
    for (const x of modelled) D = Math.min(D, finishPs(x));
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
    runStep(D, sibAtStart);
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
const handlerFor = (vm: VirtualMachine, i: number): VcpuHandler | null => vm.vmm.vcpus[i] ?? null;
