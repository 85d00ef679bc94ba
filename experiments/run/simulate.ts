/**
 * Simulate one run: a virtual machine of the strategy holding the workload's boot image,
 * run to the end under the budget, with the counts and modelled cycles of the whole run and
 * of the measured region (between the workload's markers), and what equivalence compares.
 * @category Runner
 */
import { createHash } from 'crypto';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { describeStop } from '../../core/cpu/stop';
import { diffSnapshots, sumSnapshots, type LedgerSnapshot } from '../../core/cost/ledger';
import type { CostProfile } from '../../core/cost/profile';
import { bootImage, bootProgram } from '../../core/guest/boot-image';
import type { Program } from '../../core/asm';
import { imageDigest, loadUserKernel } from '../../core/guest/user-images';
import { GUEST_MEMORY_BYTES } from '../../core/guest/layout';
import { readResult } from '../../core/guest/result';
import type { IsaVariant } from '../../core/isa/variant';
import type { RunLimits } from '../../core/cpu/vcpu-loop';
import type { Engine } from '../../core/cpu/engine';
import type { BootParams } from '../../core/guest/boot-params';
import type { OptionValues } from '../../strategies/options';
import type { Strategy } from '../../strategies/strategy';
import { startVirtualMachine } from '../../strategies/virtual-machine';
import { releaseMemory } from '../../core/mmu/memory';
import { attachTracers } from '../trace/trace';
import type { Outcome } from './equivalence';
import { eventsView, instructionsByRing } from './events-view';
import type { MachineSettings } from './machine-settings';
import type { RunResult } from './result';

/** A simulated run: its result (without the comparison with native) and its outcome. */
export interface Simulated {
  readonly result: Omit<RunResult, 'slowdown' | 'equivalent' | 'divergence'>;
  readonly outcome: Outcome;
}

/** What to simulate. */
export interface Simulation {
  readonly strategy: Strategy;
  readonly options: OptionValues;
  readonly workload: string;
  /** a user's program to run instead of the workload (its name is `workload`) */
  readonly program?: Program;
  /** a user's kernel file to boot instead of the shipped kernel (built for the strategy's kernel build) */
  readonly kernelFile?: string;
  /** a flat kernel image to boot instead of the shipped kernel (wins over kernelFile) */
  readonly kernelImage?: Program;
  readonly params: Record<string, number>;
  readonly profile: CostProfile;
  readonly isa: IsaVariant;
  /** the kernel's boot parameters */
  readonly boot: BootParams;
  /** per-event costs that replaced the profile's (already applied to `profile`), for the result */
  readonly costOverrides: Readonly<Record<string, number>>;
  readonly budget: RunLimits;
  readonly settings: MachineSettings;
  /** write a Chrome/Perfetto trace of the run to this file */
  readonly traceFile?: string;
  /** the simulator engine (host metadata: no modelled number depends on it) */
  readonly engine?: Engine;
  /** called about once a second of host time with the instructions retired so far (a progress display) */
  readonly onProgress?: (instructions: number) => void;
}

/**
 * Call `report` about once a second of host time while the CPU runs. It looks at the clock
 * on events the CPU emits (interrupts, system calls, I/O ...): on every 1024th, or on the
 * first after 5 M more instructions (compute-bound guests emit few), so a run pays almost
 * nothing for it; a guest that emits no events at all reports nothing.
 */
const watchProgress = (cpu: { readonly instructions: number; readonly events: { listen(l: () => void): unknown } }, report: (instructions: number) => void): void => {
  let k = 0;
  let seen = 0;
  let last = performance.now();
  cpu.events.listen(() => {
    const i = cpu.instructions;
    if ((++k & 1023) !== 0 && i - seen < 5_000_000) return;
    seen = i;
    const now = performance.now();
    if (now - last < 1000) return;
    last = now;
    report(i);
  });
};

/** Simulate a run; the result is not compared with native. */
export const simulate = (s: Simulation): Either<string, Simulated> => {
  const { strategy, options, workload, params, profile, isa } = s;
  const kernel = strategy.kernelOptions?.(options);
  const userKernel = s.kernelImage ? right(s.kernelImage) : s.kernelFile === undefined ? undefined : loadUserKernel(s.kernelFile, strategy.kernelBuild, kernel);
  if (userKernel && isLeft(userKernel)) return left(userKernel.left);
  const kernelImage = userKernel?.right;
  const image = s.program
    ? bootProgram({ program: s.program, n: params.n, build: strategy.kernelBuild, kernel, boot: s.boot, kernelImage })
    : bootImage({ workload, n: params.n, threads: params.threads, build: strategy.kernelBuild, kernel, boot: s.boot, kernelImage });
  if (isLeft(image)) return left(image.left);
  const started = startVirtualMachine({
    strategy,
    options,
    profile,
    guestMemoryBytes: GUEST_MEMORY_BYTES,
    load: (p) => image.right.loadInto(p),
    isa,
    vcpus: s.boot.cpus,
    ...s.settings,
    engine: s.engine,
  });
  if (isLeft(started)) return left(started.left);
  const vm = started.right;
  const cpu = vm.cpus[0];
  const tracer = s.traceFile ? attachTracers(vm.cpus, profile, { strategy: strategy.name, workload }) : null;
  // the measured region: every CPU's counts between the markers, and the elapsed time on the clock of the CPU that wrote each marker
  const marks: { start?: LedgerSnapshot; end?: LedgerSnapshot } = {};
  const markTimes: { start?: number; end?: number } = {};
  const snapshotAll = (): LedgerSnapshot => sumSnapshots(vm.cpus.map((c) => c.snapshot()));
  for (const c of vm.cpus)
    c.events.listen((e) => {
      if (e.kind !== 'region') return;
      marks[e.mark] = snapshotAll();
      markTimes[e.mark] = c.time;
    });
  if (s.onProgress) watchProgress(cpu, s.onProgress);
  const t0 = performance.now();
  const stop = vm.run(s.budget);
  const wallMs = performance.now() - t0;
  if (tracer && s.traceFile) {
    try {
      tracer.write(s.traceFile);
    } catch (e) {
      return left(`cannot write trace '${s.traceFile}': ${(e as Error).message}`);
    }
  }
  const perCpu = vm.cpus.map((c) => c.snapshot());
  const all = sumSnapshots(perCpu);
  const violations = [...(vm.vmm.isolationViolations?.() ?? []), ...vm.reservedMemoryViolations()];
  const region = marks.start ? diffSnapshots(marks.start, marks.end ?? all) : all;
  // elapsed modelled time: the latest clock (one CPU: its cycles); the region's from marker to marker
  const elapsed = Math.max(...vm.cpus.map((c) => c.time));
  const regionElapsed =
    vm.cpus.length === 1 ? region.cycles : markTimes.start !== undefined ? (markTimes.end ?? elapsed) - markTimes.start : elapsed;
  const result = readResult(vm.platform);
  const exitCode = stop.kind === 'shutdown' ? stop.exitCode : null;
  const digest = createHash('sha256').update(result.bytes).update(String(result.exitCode)).digest('hex');
  const byRing = instructionsByRing(all.counts);
  const instructions = byRing.reduce((a, v) => a + v, 0);
  const n = params.n ?? 1;
  const console = vm.platform.console.text();
  const exitPrice = cpu.ledger.priceOfCounter('vm.exits');
  const simulated: Simulated = {
    result: {
      strategy: strategy.name,
      options,
      workload,
      params,
      boot: s.boot,
      profile: profile.name,
      costOverrides: s.costOverrides,
      isa,
      machine: { tlbEntries: cpu.mmu.tlb.size, tlbWays: cpu.mmu.tlb.ways, diskLatencyUs: vm.platform.disk.latencyUs },
      stop: { ...stop, message: describeStop(stop) },
      exitCode,
      guest: { instructions, byRing, regionInstructions: instructionsByRing(region.counts).reduce((a, v) => a + v, 0) },
      events: eventsView(all.counts),
      cycles: {
        total: all.cycles,
        breakdown: all.byCause,
        region: region.cycles,
        regionBreakdown: region.byCause,
        perOperation: n > 0 ? region.cycles / n : 0,
        byExitReason: Object.fromEntries(
          Object.entries(all.counts['vm.exits'] as Record<string, number>).map(([reason, exits]) => [
            reason,
            { exits, cycles: exits * exitPrice + (vm.vmm.exitHandlerCycles?.()[reason] ?? 0) },
          ]),
        ),
      },
      seconds: elapsed / profile.frequencyHz,
      regionSeconds: regionElapsed / profile.frequencyHz,
      vcpus: vm.cpus.length,
      perVcpu: vm.cpus.map((c, i) => ({ instructions: c.instructions, cycles: perCpu[i].cycles, events: eventsView(perCpu[i].counts) as unknown as Record<string, unknown> })),
      console,
      digest,
      host: { wallMs: Math.round(wallMs * 1000) / 1000, mips: wallMs > 0 ? Math.round((instructions / wallMs / 1000) * 10) / 10 : 0, engine: cpu.engine },
      ...(s.kernelFile === undefined ? {} : { kernelFile: s.kernelFile }),
      ...(violations.length > 0 ? { isolationViolations: violations } : {}),
      ...(s.program || kernelImage
        ? {
            imageDigests: {
              ...(s.program ? { program: imageDigest(s.program.bytes) } : {}),
              ...(kernelImage ? { kernel: imageDigest(kernelImage.bytes) } : {}),
            },
          }
        : {}),
    },
    outcome: {
      console,
      exitCode,
      digest,
      // without a complete measured region there is nothing to compare cycles with
      regionCycles: marks.start && marks.end ? regionElapsed : NaN,
      divergence: vm.vmm.divergence?.() ?? null,
    },
  };
  // the machine is finished (what is read from it is copied out above): its memory serves the next run
  releaseMemory(vm.platform.memory);
  return right(simulated);
};
