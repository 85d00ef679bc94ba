/**
 * The Strategy interface: how a virtualization strategy plugs in. A strategy configures the
 * machine for the guest (ring of the guest kernel, monitor, VMCS controls, page tables the
 * MMU walks), runs it, and handles what comes back. It declares its own counters with their
 * pricing (core/cost/counters.ts) and counts its work in the CPU's ledger, beside the
 * machine's architectural events; the ledger prices both as they happen.
 * @category Strategies
 */
import type { Machine } from '../core/cpu/machine';
import type { StopReason } from '../core/cpu/stop';
import type { CostProfile } from '../core/cost/profile';
import type { CounterTable } from '../core/cost/counters';
import type { KernelOptions } from '../core/guest/boot';

/** Which build of the guest kernel a strategy runs. */
export type KernelBuild = 'native' | 'paravirt';

/** A declared strategy option: a fixed set of choices, or an integer range. */
export type StrategyOption =
  | { readonly kind: 'choice'; readonly description: string; readonly choices: readonly string[]; readonly default: string }
  | { readonly kind: 'integer'; readonly description: string; readonly min: number; readonly max: number; readonly default: number };

/** Resolved option values (every declared option present). */
export type OptionValues = Readonly<Record<string, string | number>>;

/** What a strategy is given to start a virtual machine. */
export interface StrategyContext {
  /** the machine, with the guest image already loaded at guest-physical = machine-physical addresses */
  readonly machine: Machine;
  readonly profile: CostProfile;
  readonly options: OptionValues;
  /** bytes of guest RAM (machine memory beyond it belongs to the VMM) */
  readonly guestMemoryBytes: number;
  /** guest reset address (ring 0, paging off, IF = 0 as on bare metal) */
  readonly entry: number;
}

/** A running virtual machine. */
export interface VirtualMachine {
  /** Run the guest until it stops or `budget` more instructions retire. */
  run(budget: number): StopReason;
  /**
   * The first place the guest saw behaviour native hardware would not have shown, if the
   * strategy can tell (trap-and-emulate on a non-virtualizable ISA); null if none.
   */
  divergence?(): string | null;
  /** Modelled cycles the VMM's exit handlers added, by exit reason (hardware-assisted VMMs). */
  exitHandlerCycles?(): Readonly<Record<string, number>>;
}

/** A virtualization strategy. */
export interface Strategy {
  readonly name: string;
  readonly description: string;
  readonly kernelBuild: KernelBuild;
  /**
   * Options of the kernel build that depend on the strategy's options (e.g. `paravirt`'s
   * batching selects PV_BATCHING); the runner passes them to the boot image. Default: none.
   */
  kernelOptions?(options: OptionValues): KernelOptions;
  readonly options: Readonly<Record<string, StrategyOption>>;
  /**
   * The strategy can only be equivalent on the classically virtualizable ISA variant (pure
   * trap-and-emulate); on the default ISA it must report where equivalence broke.
   */
  readonly requiresVirtualizableIsa?: boolean;
  /** the counters the VMM counts, with their pricing (declared next to the code that counts them) */
  readonly counters: readonly CounterTable[];
  /** machine memory the VMM needs beyond guest RAM (for shadow tables, translation cache ...) */
  readonly reservedBytes: number;
  /** Refuse option values that do not apply to a profile (e.g. nested paging before EPT); null if fine. */
  check(options: OptionValues, profile: CostProfile): string | null;
  /** Configure the machine for the guest and return the virtual machine. */
  start(ctx: StrategyContext): VirtualMachine;
}
