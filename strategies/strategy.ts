/**
 * The Strategy interface: how a virtualization strategy plugs in. A strategy configures the
 * platform and each vCPU for the guest (ring of the guest kernel, monitor, VMCS controls,
 * page tables the MMU walks) and returns the VMM's handler of each vCPU's exits; the one
 * vCPU run loop (core/cpu/vcpu-loop.ts) runs the CPUs and hands exits to the handlers. It
 * declares its own counters with their pricing (core/cost/counters.ts) and counts its work
 * in the CPU's ledger beside the machine's architectural events; the ledger prices both as
 * they happen.
 * @category Strategies
 */
import type { Cpu } from '../core/cpu/cpu';
import type { VcpuHandler } from '../core/cpu/exit';
import type { CounterTable } from '../core/cost/counters';
import type { CostProfile } from '../core/cost/profile';
import type { KernelBuild, KernelOptions } from '../core/guest/kernel-image';
import type { Platform } from '../core/platform/platform';
import type { OptionSpecs, OptionValuesOf } from './options';
import type { ReservedRange } from './reserved-memory';

/** What a strategy is given to start a virtual machine. */
export interface StrategyContext<O> {
  /** guest memory (holding the loaded image at guest-physical = machine-physical addresses) and shared devices */
  readonly platform: Platform;
  /** the virtual machine's CPUs, one per vCPU, at reset */
  readonly cpus: readonly Cpu[];
  readonly profile: CostProfile;
  readonly options: O;
  /** bytes of guest RAM (machine memory beyond it belongs to the VMM) */
  readonly guestMemoryBytes: number;
  /** guest reset address (ring 0, paging off, IF = 0 as on bare metal) */
  readonly entry: number;
}

/** The VMM of one virtual machine, as started. */
export interface Vmm {
  /** the handler of each vCPU's exits (index = CPU index); an empty handler runs bare metal */
  readonly vcpus: readonly VcpuHandler[];
  /**
   * The first place the guest saw behaviour native hardware would not have shown, if the
   * strategy can tell (trap-and-emulate on a non-virtualizable ISA); null if none.
   */
  divergence?(): string | null;
  /** Modelled cycles the VMM's exit handlers added, by exit reason (hardware-assisted VMMs). */
  exitHandlerCycles?(): Readonly<Record<string, number>>;
  /** Violations of the VMM's isolation invariants as memory stands now (checked after runs); empty if none. */
  isolationViolations?(): string[];
  /**
   * The machine memory beyond guest RAM the VMM uses, range by range, with what the guest may
   * be given of each and whether the VMM changes it while the guest runs (asked once, after
   * start). Reserved memory outside these ranges must stay untouched and unmapped; a VMM
   * without this method declares it all so. Checked after every run (strategies/reserved-memory.ts).
   */
  reservedMemory?(): readonly ReservedRange[];
}

/** A virtualization strategy, with its options declared as codecs (strategies/options.ts). */
export interface Strategy<S extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  readonly description: string;
  readonly kernelBuild: KernelBuild;
  /**
   * Options of the kernel build that depend on the strategy's options (e.g. `paravirt`'s
   * batching selects PV_BATCHING); the runner passes them to the boot image. Default: none.
   */
  kernelOptions?(options: OptionValuesOf<S>): KernelOptions;
  readonly options: S;
  /**
   * The strategy can only be equivalent on the classically virtualizable ISA variant (pure
   * trap-and-emulate); on the default ISA it must report where equivalence broke.
   */
  readonly requiresVirtualizableIsa?: boolean;
  /** the counters the VMM counts, with their pricing (declared next to the code that counts them) */
  readonly counters: readonly CounterTable[];
  /** machine memory the VMM needs beyond guest RAM (for shadow tables, translation cache ...) */
  readonly reservedBytes: number;
  /**
   * The most vCPUs the strategy runs a guest on with these options (default 1: a strategy
   * written for uniprocessor guests). A run asking for more is refused with this number.
   */
  maxVcpus?(options: OptionValuesOf<S>): number;
  /** Refuse option values that do not apply to a profile (e.g. nested paging before EPT); null if fine. */
  check(options: OptionValuesOf<S>, profile: CostProfile): string | null;
  /**
   * Refuse a loaded guest the VMM cannot run (a paravirtual VMM given a native kernel, too
   * little memory), with the reason; null if fine. Called before `start`.
   */
  checkGuest?(platform: Platform, options: OptionValuesOf<S>, guestMemoryBytes: number): string | null;
  /** Configure the platform and the CPUs for the guest; return the VMM's handlers. */
  start(ctx: StrategyContext<OptionValuesOf<S>>): Vmm;
}

/**
 * The strategy-module API version: the major version of this interface (and of what a
 * module loaded with `--strategy-module` may rely on). A module may export `apiVersion` (a
 * number); one declaring another major version (`Math.trunc`) is refused with both versions
 * named; one without it is taken to be written for this version. Raised when the interface
 * changes incompatibly (see the README's migration notes).
 */
export const STRATEGY_API_VERSION = 1;

/** Define a strategy with its option types inferred from the declarations. */
export const defineStrategy = <S extends OptionSpecs>(s: Strategy<S>): Strategy<S> => s;
