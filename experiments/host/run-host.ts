/**
 * Run a host spec: build each VM as `ringlab run` builds one (the workload's boot image under
 * its strategy, started by startVirtualMachine), co-simulate them on the host
 * (strategies/host/cosim.ts), and read esxtop's metrics, energy and each VM's progress. A
 * VM's `progress` is its workload's operations per modelled second of its measured region;
 * a run cut short by `until` counts the operations done as n x the region's work so far
 * over that of the whole region alone, work being the instructions the VM's vCPUs retired
 * outside spin-wait iterations (strategies/host/cosim.ts workInstructions). `slowdown` is the VM's progress alone
 * on the same, otherwise idle, host over its progress here.
 * @category Experiments
 */
import { createHash } from 'crypto';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { describeStop } from '../../core/cpu/stop';
import { loadProfile, type CostProfile } from '../../core/cost/profile';
import { bootImage } from '../../core/guest/boot-image';
import { resolveBootParams } from '../../core/guest/boot-params';
import { GUEST_MEMORY_BYTES } from '../../core/guest/layout';
import { readResult } from '../../core/guest/result';
import { hostHardware, type HostHardware } from '../../core/host/host-model';
import { PS_PER_SECOND } from '../../core/host/time';
import { runHost, workInstructions, type HostOutcome, type HostRun, type HostedVm } from '../../strategies/host/cosim';
import { coreUtil, groupMetrics, pcpuMetrics, vcpuMetrics, type PcpuMetrics, type VcpuMetrics } from '../../strategies/host/metrics';
import { SCHEDULERS } from '../../strategies/host/schedulers/registry';
import { DEFAULT_HOUSEKEEPING } from '../../strategies/host/helper-work';
import { SHARES_PRESETS, type WorldSettings } from '../../strategies/host/world';
import { lookupStrategy } from '../../strategies/modules';
import { resolveOptions } from '../../strategies/options';
import { startVirtualMachine } from '../../strategies/virtual-machine';
import { DEFAULT_BUDGET, DEFAULT_CYCLE_BUDGET } from '../run/run-one';
import { resolveParams } from '../run/params';
import type { HostSpec, VmSpec } from './spec';

/** One VM's result. */
export interface HostVmResult {
  readonly name: string;
  /** workload operations per modelled second */
  readonly progress: number;
  /** progress alone on the idle host / progress here (null when it made no progress) */
  readonly slowdown: number | null;
  readonly perVcpu: readonly (VcpuMetrics & { readonly lateTicks: number; readonly vmSwitches: number; readonly spinYields: number })[];
  /** esxtop's VM line: each percentage summed over its worlds (vCPUs and helper worlds) */
  readonly group: VcpuMetrics;
  /** its VMM's helper worlds (device model, housekeeping): esxtop's percentages */
  readonly helpers: readonly (VcpuMetrics & { readonly name: string; readonly role: string })[];
  readonly strategy: string;
  readonly workload: string;
  readonly params: Readonly<Record<string, number>>;
  readonly stop: string | null;
  readonly exitCode: number | null;
  readonly console: string;
  readonly digest: string;
  readonly instructions: number;
  /** modelled cycles of its vCPUs (run time only: halted time is host time, %WAIT) */
  readonly cycles: number;
  /** the measured region in modelled seconds of host time (null if incomplete) */
  readonly regionSeconds: number | null;
}

/** The result of `ringlab host`. */
export interface HostResult {
  readonly vms: readonly HostVmResult[];
  readonly pcpus: readonly PcpuMetrics[];
  readonly cores: readonly { readonly core: number; readonly 'CORE UTIL': number }[];
  readonly energyJoules: number;
  /** modelled seconds of host time */
  readonly seconds: number;
  readonly averageFrequencyHz: number;
  readonly scheduler: string;
  readonly governor: string;
  readonly profile: string;
  /** host metadata (not part of the modelled result) */
  readonly host: { readonly wallMs: number };
}

/** World settings of a VM's vCPUs from its spec. */
export const worldSettings = (vm: VmSpec, nominalHz: number): WorldSettings => ({
  shares: typeof vm.shares === 'number' ? vm.shares : SHARES_PRESETS[vm.shares ?? 'normal'],
  reservation: vm.reservationMHz === undefined ? 0 : (vm.reservationMHz * 1e6) / nominalHz,
  limit: vm.limitMHz === undefined ? Infinity : (vm.limitMHz * 1e6) / nominalHz,
  affinity: vm.affinity === undefined ? null : [...new Set(vm.affinity)].sort((a, b) => a - b),
});

/** Build a VM of the spec on the host's profile. */
const buildVm = (vm: VmSpec, profile: CostProfile, hw: HostHardware, engine: HostSpec['engine']): Either<string, HostedVm> => {
  const strategy = lookupStrategy(vm.strategy);
  if (isLeft(strategy)) return strategy;
  const options = resolveOptions(strategy.right, vm.options ?? {});
  if (isLeft(options)) return left(options.left.join('; '));
  const params = resolveParams(vm.workload, vm.params ?? {});
  if (isLeft(params)) return left(params.left.join('; '));
  const boot = resolveBootParams(vm.vcpus === undefined ? (vm.boot ?? {}) : { ...vm.boot, cpus: vm.vcpus });
  if (isLeft(boot)) return left(boot.left.join('; '));
  const image = bootImage({ workload: vm.workload, n: params.right.n, threads: params.right.threads, build: strategy.right.kernelBuild, kernel: strategy.right.kernelOptions?.(options.right), boot: boot.right });
  if (isLeft(image)) return image;
  const started = startVirtualMachine({ strategy: strategy.right, options: options.right, profile, guestMemoryBytes: GUEST_MEMORY_BYTES, vcpus: boot.right.cpus, engine, load: (p) => image.right.loadInto(p) });
  if (isLeft(started)) return started;
  return right({
    name: vm.name,
    vm: started.right,
    settings: worldSettings(vm, hw.nominalHz),
    deviceModelWorld: options.right['device-model'] === 'user',
    housekeeping: vm.housekeeping === false ? null : (vm.housekeeping ?? DEFAULT_HOUSEKEEPING),
  });
};

/** Co-simulate `vms` on the spec's host. */
const simulateHost = (spec: HostSpec, vms: readonly VmSpec[], hw: HostHardware, profile: CostProfile, untilPs?: number, onRun?: HostRun['onRun']): Either<string, { outcome: HostOutcome; hosted: HostedVm[] }> => {
  const hosted: HostedVm[] = [];
  for (const vm of vms) {
    const b = buildVm(vm, profile, hw, spec.engine);
    if (isLeft(b)) return left(`${vm.name}: ${b.left}`);
    hosted.push(b.right);
  }
  const outcome = runHost({
    hardware: hw,
    scheduler: SCHEDULERS[spec.scheduler.name](spec.scheduler),
    governor: spec.host.governor,
    samplingMs: spec.host.samplingMs,
    vms: hosted,
    untilPs,
    budget: { maxInstructions: spec.maxInstructions ?? DEFAULT_BUDGET, maxCycles: spec.maxCycles ?? DEFAULT_CYCLE_BUDGET },
    maxStepMs: spec.maxStepMs,
    onRun,
  });
  return right({ outcome, hosted });
};

/** Operations per modelled second of VM `i` (`aloneRegionInstructions` to count a region cut short). */
const progressOf = (o: HostOutcome, i: number, n: number, aloneRegionInstructions: number | null, instructionsNow: number): number => {
  const r = o.regions[i];
  if (r.startPs === null) return 0;
  if (r.endPs !== null) return r.endPs > r.startPs ? (n * PS_PER_SECOND) / (r.endPs - r.startPs) : 0;
  if (aloneRegionInstructions === null || aloneRegionInstructions <= 0 || o.endPs <= r.startPs) return 0;
  const done = Math.min(1, (instructionsNow - r.startInstructions) / aloneRegionInstructions);
  return (n * done * PS_PER_SECOND) / (o.endPs - r.startPs);
};

const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;
const rounded = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])) as T;

/** The baselines of VMs alone on the host, by VM content (name and settings aside). */
type Alone = { progress: number; regionInstructions: number | null };

/** One stretch a vCPU ran on a logical CPU (for traces). */
export interface HostRunStretch {
  readonly lcpu: number;
  readonly world: string;
  readonly startPs: number;
  readonly endPs: number;
}

/** Run a host spec; `onRun` sees every stretch a vCPU ran on a logical CPU. */
export const runHostSpec = (spec: HostSpec, onRun?: (s: HostRunStretch) => void): Either<string[], HostResult> => {
  const t0 = performance.now();
  const profile = loadProfile(spec.host.profile);
  if (isLeft(profile)) return left([profile.left]);
  const built = hostHardware({ ...spec.host, profile: profile.right, hyperthreading: { fraction: spec.host.htFraction ?? 0.6, charge: spec.host.htCharge ?? 0.5 } });
  if (!built.ok) return left(built.problems);
  const hw = built.host;
  const untilPs = spec.until === undefined ? undefined : Math.round(spec.until.seconds * PS_PER_SECOND);
  const run = simulateHost(spec, spec.vms, hw, profile.right, untilPs, onRun ? (lcpu, w, startPs, endPs) => onRun({ lcpu, world: w.name, startPs, endPs }) : undefined);
  if (isLeft(run)) return left([run.left]);
  const { outcome, hosted } = run.right;
  const nOf = (vm: VmSpec): number => {
    const p = resolveParams(vm.workload, vm.params ?? {});
    return isLeft(p) ? 1 : (p.right.n ?? 1);
  };
  const instructionsOf = (i: number) => hosted[i].vm.cpus.reduce((a, c) => a + c.instructions, 0);
  const workOf = (i: number) => workInstructions(hosted[i].vm);
  // each VM alone on the same host, once per distinct VM
  const aloneCache = new Map<string, Alone>();
  const alone = (i: number): Either<string, Alone> => {
    const vm = spec.vms[i];
    if (spec.vms.length === 1 && outcome.regions[0].endPs !== null && vm.limitMHz === undefined)
      return right({ progress: progressOf(outcome, 0, nOf(vm), null, workOf(0)), regionInstructions: (outcome.regions[0].endInstructions ?? 0) - outcome.regions[0].startInstructions });
    // alone and unconstrained: shares, reservation and limit are the host's settings, not the VM's work
    const bare: VmSpec = { ...vm, name: vm.name, shares: undefined, reservationMHz: undefined, limitMHz: undefined };
    const key = JSON.stringify({ ...bare, name: '' });
    const cached = aloneCache.get(key);
    if (cached) return right(cached);
    const r = simulateHost(spec, [bare], hw, profile.right);
    if (isLeft(r)) return r;
    const reg = r.right.outcome.regions[0];
    const a = { progress: progressOf(r.right.outcome, 0, nOf(vm), null, 0), regionInstructions: reg.endInstructions === null ? null : reg.endInstructions - reg.startInstructions };
    aloneCache.set(key, a);
    return right(a);
  };
  const vms: HostVmResult[] = [];
  for (let i = 0; i < spec.vms.length; i++) {
    const a = alone(i);
    if (isLeft(a)) return left([a.left]);
    const vm = spec.vms[i];
    const h = hosted[i];
    const progress = progressOf(outcome, i, nOf(vm), a.right.regionInstructions, workOf(i));
    const guest = readResult(h.vm.platform);
    const stop = outcome.stops[i];
    const reg = outcome.regions[i];
    vms.push({
      name: vm.name,
      progress: round(progress),
      slowdown: progress > 0 ? round(a.right.progress / progress, 4) : null,
      perVcpu: outcome.worlds
        .filter((w) => w.vm === i && w.role === 'vcpu')
        .map((w) => ({ ...rounded(vcpuMetrics(w)), lateTicks: w.lateTicks, vmSwitches: w.vmSwitches, spinYields: w.spinYields })),
      group: rounded(groupMetrics(outcome.worlds.filter((w) => w.vm === i))),
      helpers: outcome.worlds.filter((w) => w.vm === i && w.role !== 'vcpu').map((w) => ({ name: w.name, role: w.role, ...rounded(vcpuMetrics(w)) })),
      strategy: vm.strategy,
      workload: vm.workload,
      params: vm.params ?? {},
      stop: stop === null ? null : describeStop(stop),
      exitCode: stop?.kind === 'shutdown' ? stop.exitCode : null,
      console: h.vm.platform.console.text(),
      digest: createHash('sha256').update(guest.bytes).update(String(guest.exitCode)).digest('hex'),
      instructions: instructionsOf(i),
      cycles: h.vm.cpus.reduce((s, c) => s + c.time, 0),
      regionSeconds: reg.startPs !== null && reg.endPs !== null ? (reg.endPs - reg.startPs) / PS_PER_SECOND : null,
    });
  }
  return right({
    vms,
    pcpus: pcpuMetrics(outcome, hw.topology).map(rounded),
    cores: coreUtil(outcome).map((u, core) => ({ core, 'CORE UTIL': round(u) })),
    energyJoules: round(outcome.energyJoules, 6),
    seconds: outcome.endPs / PS_PER_SECOND,
    averageFrequencyHz: Math.round(outcome.averageHz),
    scheduler: spec.scheduler.name,
    governor: spec.host.governor,
    profile: profile.right.name,
    host: { wallMs: round(performance.now() - t0) },
  });
};
