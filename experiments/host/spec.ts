/**
 * Host specs: a host's hardware (topology, numbering, profile, governor, hyperthreading),
 * its scheduler, its VMs (strategy, options, workload, parameters, vCPUs, shares,
 * reservation, limit, affinity) and when to stop. Decoded with io-ts; every problem is
 * reported as `path: message`, all at once, and names and values are checked against the
 * registries (strategies, options, workloads, parameters, profiles).
 * @category Experiments
 */
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import * as t from 'io-ts';
import { ENGINES } from '../../core/cpu/engine';
import { loadProfile } from '../../core/cost/profile';
import { BOOT_PARAMS, resolveBootParams } from '../../core/guest/boot-params';
import { topologyProblems } from '../../core/host/topology';
import { GOVERNORS } from '../../strategies/host/governors';
import { SCHEDULERS } from '../../strategies/host/schedulers/registry';
import { SHARES_PRESETS } from '../../strategies/host/world';
import { lookupStrategy } from '../../strategies/modules';
import { resolveOptions } from '../../strategies/options';
import { readRegular } from '../common/files';
import { resolveParams } from '../run/params';
import { vcpusRefusal } from '../run/run-one';
import { decodeText } from '../spec/decode-text';
import { describe } from '../spec/json-schema';

const keysOf = <K extends string>(o: Readonly<Record<K, unknown>>) => t.keyof(Object.fromEntries(Object.keys(o).map((k) => [k, null])) as Record<K, null>);

/** The host's hardware and power policy. */
export const HostHardwareEntry = t.intersection([
  describe(
    t.type({ sockets: t.number, cores: t.number, threads: t.number, numbering: t.keyof({ esxi: null, linux: null }), profile: t.string, governor: keysOf(GOVERNORS) }),
    {
      sockets: 'processor sockets',
      cores: 'cores per socket',
      threads: 'hardware threads per core (2: hyperthreading)',
      numbering: "logical-CPU numbering: 'esxi' (siblings adjacent: 0 and 1 are core 0) or 'linux' (siblings at + cores)",
      profile: 'cost profile of the host (a shipped name or a .json path); every VM prices its events with it',
      governor: "DVFS governor: performance, powersave, ondemand, conservative, schedutil, or ESXi's high-performance, balanced, low-power",
    },
  ),
  describe(t.partial({ htFraction: t.number, htCharge: t.number, samplingMs: t.number }), {
    htFraction: 'speed of a thread whose sibling is busy, relative to alone (default 0.6: Broadcom KB 326271)',
    htCharge: 'share of run time charged to a thread whose sibling is busy (default 0.5, esxtop)',
    samplingMs: "the governor's sampling period in ms (default 10)",
  }),
]);

/** The scheduler and its settings. */
export const SchedulerEntry = t.intersection([
  describe(t.type({ name: keysOf(SCHEDULERS) }), { name: 'the scheduling policy' }),
  describe(
    t.partial({
      quantumMs: t.number,
      accountingMs: t.number,
      latencyMs: t.number,
      minGranularityMs: t.number,
      wakeupGranularityMs: t.number,
      ratelimitMs: t.number,
      coscheduling: t.keyof({ relaxed: null, strict: null }),
      costopMs: t.number,
    }),
    {
    quantumMs: 'time slice in ms (esx: default 50; credit: default 30)',
    coscheduling: "esx: co-scheduling of multiprocessor VMs, 'relaxed' (default: co-stop only the vCPUs too far ahead) or 'strict' (the whole VM co-stops, and co-starts on enough CPUs for all)",
    costopMs: 'esx: skew (progress ahead of the VM\'s slowest vCPU) past which vCPUs co-stop, ms (default 3)',
    accountingMs: 'credit accounting period in ms (credit: default 30)',
    latencyMs: 'target latency in ms before scaling by logical CPUs (cfs: default 6)',
    minGranularityMs: 'minimum granularity in ms (cfs: default 0.75)',
    wakeupGranularityMs: 'how far ahead in virtual runtime a running world must be for a waking one to preempt it, ms before scaling by logical CPUs (cfs: default 1)',
    ratelimitMs: 'the least a running world runs before a BOOSTed waking one preempts it, ms; 0 for no limit (credit: default 1, Xen\'s sched_ratelimit_us)',
    },
  ),
]);

/** One VM. */
export const VmEntry = t.intersection([
  describe(t.type({ name: t.string, strategy: t.string, workload: t.string }), {
    name: 'the VM name in the output',
    strategy: 'its strategy (see `ringlab list`)',
    workload: 'its workload (see `ringlab list`)',
  }),
  describe(
    t.partial({
      options: t.record(t.string, t.union([t.string, t.number])),
      params: t.record(t.string, t.number),
      boot: t.record(t.string, t.union([t.string, t.number])),
      vcpus: t.number,
      shares: t.union([keysOf(SHARES_PRESETS), t.number]),
      reservationMHz: t.number,
      limitMHz: t.number,
      affinity: t.array(t.number),
      housekeeping: t.union([t.literal(false), t.type({ periodMs: t.number, workUs: t.number })]),
    }),
    {
      options: 'strategy options (see `ringlab list`)',
      params: 'workload parameters, e.g. {"n": 2000}',
      boot: 'kernel boot parameters, e.g. {"hz": 1000}',
      vcpus: 'virtual CPUs (default 1; sets the boot parameter cpus)',
      shares: 'low, normal, high (500/1000/2000 per vCPU) or a number',
      reservationMHz: 'CPU time guaranteed per vCPU, MHz',
      limitMHz: 'CPU time at most per vCPU, MHz (time held back is %MLMTD)',
      affinity: 'logical CPUs its vCPUs (and its helper worlds) may run on',
      housekeeping: "its VMM's idle-priority housekeeping world: {periodMs, workUs} (default 50 us every 10 ms), or false for none",
    },
  ),
]);

/** A host spec. */
export const HostSpecCodec = t.intersection([
  describe(t.type({ host: HostHardwareEntry, scheduler: SchedulerEntry, vms: t.array(VmEntry) }), {
    host: "the host's hardware and power policy",
    scheduler: 'the hypervisor scheduler',
    vms: 'the VMs on the host',
  }),
  describe(t.partial({ name: t.string, until: t.type({ seconds: t.number }), maxInstructions: t.number, maxCycles: t.number, maxStepMs: t.number, engine: keysOf(ENGINES) }), {
    name: 'a name for the run',
    engine: "the simulator's engine for every vCPU, 'interp' or 'jit' (host metadata: no modelled number depends on it)",
    until: 'end after this many modelled seconds (default: when every VM has stopped)',
    maxInstructions: "each vCPU's instruction budget (as `ringlab run --max-instructions`)",
    maxCycles: "each vCPU's modelled-cycle budget (as `ringlab run --max-cycles`)",
    maxStepMs: 'the longest host-time step between scheduler decisions, ms (default 1)',
  }),
]);

/** A decoded host spec. */
export type HostSpec = t.TypeOf<typeof HostSpecCodec>;
/** One VM of a host spec. */
export type VmSpec = t.TypeOf<typeof VmEntry>;

const positive = (path: string, v: number | undefined, max = Infinity): string[] =>
  v === undefined || (v > 0 && v <= max && Number.isFinite(v)) ? [] : [`${path}: expected a positive number${max < Infinity ? ` up to ${max}` : ''}, got ${v}`];
const whole = (path: string, v: number | undefined, min: number, max: number): string[] =>
  v === undefined || (Number.isInteger(v) && v >= min && v <= max) ? [] : [`${path}: expected an integer from ${min} to ${max}, got ${v}`];

/** The problems of a decoded spec that only the registries and the topology show. */
const specProblems = (s: HostSpec): string[] => {
  const out: string[] = [];
  out.push(...topologyProblems(s.host).map((p) => `host.${p}`));
  const profile = loadProfile(s.host.profile);
  if (isLeft(profile)) out.push(`host.profile: ${profile.left}`);
  else if (!Object.hasOwn(profile.right.costs, 'vmSwitch'))
    out.push(`host.profile: profile '${profile.right.name}' has no cost 'vmSwitch' (a host prices switching a logical CPU between VMs with it; see core/profiles/README.md)`);
  out.push(...positive('host.htFraction', s.host.htFraction, 1), ...positive('host.htCharge', s.host.htCharge, 1), ...positive('host.samplingMs', s.host.samplingMs, 10_000));
  out.push(...positive('scheduler.accountingMs', s.scheduler.accountingMs, 10_000));
  out.push(...positive('scheduler.costopMs', s.scheduler.costopMs, 10_000));
  out.push(...positive('scheduler.latencyMs', s.scheduler.latencyMs, 10_000), ...positive('scheduler.minGranularityMs', s.scheduler.minGranularityMs, 10_000));
  out.push(...positive('scheduler.wakeupGranularityMs', s.scheduler.wakeupGranularityMs, 10_000));
  if (s.scheduler.ratelimitMs !== undefined && !(s.scheduler.ratelimitMs >= 0 && s.scheduler.ratelimitMs <= 10_000))
    out.push(`scheduler.ratelimitMs: expected a number from 0 to 10000, got ${s.scheduler.ratelimitMs}`);
  out.push(...positive('scheduler.quantumMs', s.scheduler.quantumMs, 10_000), ...positive('until.seconds', s.until?.seconds, 3600), ...positive('maxStepMs', s.maxStepMs, 1000));
  out.push(...whole('maxInstructions', s.maxInstructions, 1, Number.MAX_SAFE_INTEGER), ...whole('maxCycles', s.maxCycles, 1, Number.MAX_SAFE_INTEGER));
  if (s.vms.length === 0) out.push('vms: expected at least one VM, got []');
  const lcpus = s.host.sockets * s.host.cores * s.host.threads;
  const names = new Set<string>();
  s.vms.forEach((vm, i) => {
    const at = `vms[${i}]`;
    if (names.has(vm.name)) out.push(`${at}.name: '${vm.name}' names two VMs`);
    names.add(vm.name);
    const strategy = lookupStrategy(vm.strategy);
    if (isLeft(strategy)) out.push(`${at}.strategy: ${strategy.left}`);
    else {
      const o = resolveOptions(strategy.right, vm.options ?? {});
      if (isLeft(o)) out.push(...o.left.map((e) => `${at}.options: ${e}`));
      else if (!isLeft(profile)) {
        const refused = strategy.right.check(o.right, profile.right);
        if (refused !== null) out.push(`${at}: ${refused}`);
      }
    }
    const p = resolveParams(vm.workload, vm.params ?? {});
    if (isLeft(p)) out.push(...p.left.map((e) => `${at}: ${e}`));
    const b = resolveBootParams(vm.boot ?? {});
    if (isLeft(b)) out.push(...b.left.map((e) => `${at}.boot: ${e}`));
    out.push(...whole(`${at}.vcpus`, vm.vcpus, 1, BOOT_PARAMS.cpus.max));
    if (vm.vcpus !== undefined && vm.boot?.cpus !== undefined && Number(vm.boot.cpus) !== vm.vcpus)
      out.push(`${at}: vcpus=${vm.vcpus} and boot parameter cpus=${vm.boot.cpus} disagree: give one of them (vcpus sets cpus)`);
    const vcpus = vm.vcpus ?? (isLeft(b) ? 1 : b.right.cpus);
    if (!isLeft(strategy) && Number.isInteger(vcpus)) {
      const o = resolveOptions(strategy.right, vm.options ?? {});
      const refused = isLeft(o) ? null : vcpusRefusal(strategy.right, o.right, vcpus);
      if (refused !== null) out.push(`${at}.vcpus: ${refused}`);
    }
    if (s.scheduler.coscheduling === 'strict' && vcpus > (vm.affinity === undefined ? lcpus : new Set(vm.affinity).size))
      out.push(`${at}.vcpus: ${vcpus} vCPUs under strict co-scheduling need as many logical CPUs at once, but it may run on ${vm.affinity === undefined ? lcpus : new Set(vm.affinity).size}`);
    if (typeof vm.shares === 'number') out.push(...positive(`${at}.shares`, vm.shares, 1_000_000));
    out.push(...positive(`${at}.reservationMHz`, vm.reservationMHz), ...positive(`${at}.limitMHz`, vm.limitMHz));
    if (vm.reservationMHz !== undefined && vm.limitMHz !== undefined && vm.reservationMHz > vm.limitMHz) out.push(`${at}: reservationMHz ${vm.reservationMHz} exceeds limitMHz ${vm.limitMHz}`);
    if (vm.housekeeping) out.push(...positive(`${at}.housekeeping.periodMs`, vm.housekeeping.periodMs, 10_000), ...positive(`${at}.housekeeping.workUs`, vm.housekeeping.workUs, 1e6));
    (vm.affinity ?? []).forEach((c, j) => out.push(...whole(`${at}.affinity[${j}]`, c, 0, lcpus - 1)));
    if (vm.affinity !== undefined && vm.affinity.length === 0) out.push(`${at}.affinity: expected at least one logical CPU, got []`);
  });
  return out;
};

/** Parse spec text from `origin`; all problems at once, prefixed by the origin. */
export const parseHostSpec = (text: string, origin: string): Either<string[], HostSpec> => {
  const d = decodeText(HostSpecCodec, text, origin);
  if (isLeft(d)) return d;
  const { decoded, errors } = d.right;
  if (!isLeft(decoded)) errors.push(...specProblems(decoded.right));
  return errors.length > 0 || isLeft(decoded) ? left([...new Set(errors)].map((e) => `${origin}: ${e}`)) : right(decoded.right);
};

/** Read and check a host spec file. */
export const loadHostSpec = (file: string): Either<string[], HostSpec> => {
  const bytes = readRegular(file, 1 << 20, '1 MiB');
  return isLeft(bytes) ? left([`cannot read host spec '${file}': ${bytes.left}`]) : parseHostSpec(bytes.right.toString('utf8'), file);
};
