/**
 * A virtual machine ready to run: a platform holding the guest image, its CPUs (each with
 * a ledger priced by the profile and the strategy's counters declared), and the strategy's
 * VMM started on them. Running it is the one vCPU run loop.
 * @category Strategies
 */
import { left, right, type Either } from 'fp-ts/Either';
import { Cpu } from '../core/cpu/cpu';
import type { StopReason } from '../core/cpu/stop';
import { DEFAULT_QUANTUM_CYCLES, runVcpus, type RunLimits } from '../core/cpu/vcpu-loop';
import type { Engine } from '../core/cpu/engine';
import { pricesOf, type CostProfile } from '../core/cost/profile';
import type { IsaVariant } from '../core/isa/variant';
import { Platform } from '../core/platform/platform';
import { warmUpInterpreter } from '../core/platform/warm-up';
import type { OptionValues } from './options';
import { ReservedMemoryGuard } from './reserved-memory';
import type { Strategy, Vmm } from './strategy';

/** What a virtual machine is made of. */
export interface VirtualMachineSpec {
  readonly strategy: Strategy;
  /** resolved options of the strategy */
  readonly options: OptionValues;
  readonly profile: CostProfile;
  /** bytes of guest RAM; the machine has the strategy's reserved bytes on top */
  readonly guestMemoryBytes: number;
  /** writes the guest image into the platform's memory */
  readonly load: (platform: Platform) => void;
  readonly isa?: IsaVariant;
  readonly tlbEntries?: number;
  readonly tlbWays?: number;
  /** block request latency in microseconds (default DISK_LATENCY_US) */
  readonly diskLatencyUs?: number;
  /** guest reset address; default 0 */
  readonly entry?: number;
  /** virtual CPUs (default 1): CPU 0 starts at the reset address, the others wait for a start-up IPI (or the hypervisor's vCPU start) */
  readonly vcpus?: number;
  /** modelled cycles per turn in the interleaving of the vCPUs (default DEFAULT_QUANTUM_CYCLES) */
  readonly quantum?: number;
  /** the simulator engine (no modelled number depends on it); default the CPU's default */
  readonly engine?: Engine;
}

/** A started virtual machine. */
export interface VirtualMachine {
  readonly platform: Platform;
  readonly cpus: readonly Cpu[];
  readonly vmm: Vmm;
  /** Run until the guest stops or a budget runs out (a number: instructions). */
  run(budget: RunLimits | number): StopReason;
  /** Violations of the reserved-memory invariant so far (strategies/reserved-memory.ts); empty if none. */
  reservedMemoryViolations(): string[];
}

/** Build the platform and CPUs, load the guest, start the VMM; an error if the profile lacks a cost the strategy needs. */
export const startVirtualMachine = (spec: VirtualMachineSpec): Either<string, VirtualMachine> => {
  // host machinery, once per process: V8 optimizes the interpreter having seen all of it run
  warmUpInterpreter();
  const platform = new Platform({ memoryBytes: spec.guestMemoryBytes + spec.strategy.reservedBytes, diskLatencyUs: spec.diskLatencyUs });
  // the guest's devices address guest-physical memory: DMA stops at guest RAM, as on the native machine
  platform.dmaBytes = spec.guestMemoryBytes;
  const cpus: Cpu[] = [];
  try {
    for (let i = 0; i < (spec.vcpus ?? 1); i++) {
      const cpu = new Cpu(platform, {
        variant: spec.isa,
        tlbEntries: spec.tlbEntries,
        tlbWays: spec.tlbWays,
        prices: pricesOf(spec.profile),
        frequencyHz: spec.profile.frequencyHz,
        engine: spec.engine,
      });
      for (const t of spec.strategy.counters) cpu.ledger.declare(t);
      if (i > 0) cpu.init();
      cpus.push(cpu);
    }
  } catch (e) {
    // a profile that lacks a cost the machine's or the strategy's counters need
    return left(`strategy '${spec.strategy.name}' on profile '${spec.profile.name}': ${(e as Error).message}`);
  }
  spec.load(platform);
  const refused = spec.strategy.checkGuest?.(platform, spec.options, spec.guestMemoryBytes) ?? null;
  if (refused !== null) return left(refused);
  const vmm = spec.strategy.start({ platform, cpus, profile: spec.profile, options: spec.options, guestMemoryBytes: spec.guestMemoryBytes, entry: spec.entry ?? 0 });
  const quantum = spec.quantum ?? DEFAULT_QUANTUM_CYCLES;
  const guard = new ReservedMemoryGuard(platform.memory, spec.guestMemoryBytes, vmm.reservedMemory?.() ?? []);
  guard.watch(cpus);
  return right({
    platform,
    cpus,
    vmm,
    reservedMemoryViolations: () => guard.violations(),
    run: (budget) => runVcpus(cpus, cpus.map((c) => vmm.vcpus[c.index] ?? null), typeof budget === 'number' ? { maxInstructions: budget } : budget, quantum),
  });
};
