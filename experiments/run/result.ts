/**
 * The result of one run, as printed by `ringlab run --json` and stored in results files.
 * @category Results
 */
import type { StopReason } from '../../core/cpu/stop';
import type { Breakdown } from '../../core/cost/ledger';
import type { IsaVariant } from '../../core/isa/variant';

/** A count with its breakdown by cause. */
export interface Tally {
  readonly total: number;
  readonly by: Breakdown;
}

/** Events of a run, one object per kind. */
export interface RunEventsView {
  readonly traps: Tally;
  readonly exits: Tally;
  readonly hypercalls: Tally & { readonly updates: number; readonly validationFailures: number; readonly updatesPerMmuUpdate: number };
  readonly callouts: Tally;
  readonly emulations: Tally;
  readonly injections: Tally;
  readonly translation: Tally;
  readonly shadowPaging: Tally;
  readonly tlb: Tally;
  readonly io: Tally;
  readonly interrupts: Tally;
  readonly exceptions: Tally;
  readonly systemCalls: Tally;
  readonly upcalls: Tally;
  /** system calls delivered straight to a paravirtual guest kernel */
  readonly directSyscalls: Tally;
}

/** Modelled cycles of a run. */
export interface CyclesView {
  readonly total: number;
  readonly breakdown: Readonly<Record<string, number>>;
  /** cycles of the measured region */
  readonly region: number;
  readonly regionBreakdown: Readonly<Record<string, number>>;
  /** region cycles per operation (region / n) */
  readonly perOperation: number;
  /**
   * per VM-exit reason (whole run): the exits, and the cycles they cost: the exit/entry round
   * trip times the exits, plus what the VMM's handler for that reason added
   */
  readonly byExitReason: Readonly<Record<string, { readonly exits: number; readonly cycles: number }>>;
}

/** One run. */
export interface RunResult {
  readonly strategy: string;
  readonly options: Readonly<Record<string, string | number>>;
  readonly workload: string;
  readonly params: Readonly<Record<string, number>>;
  readonly profile: string;
  readonly isa: IsaVariant;
  /** machine settings of the run (TLB size and associativity) */
  readonly machine: { readonly tlbEntries: number; readonly tlbWays: number };
  readonly stop: StopReason & { readonly message: string };
  readonly exitCode: number | null;
  readonly guest: { readonly instructions: number; readonly byRing: readonly number[]; readonly regionInstructions: number };
  readonly events: RunEventsView;
  readonly cycles: CyclesView;
  /** modelled time of the measured region at the profile's frequency */
  readonly regionSeconds: number;
  /** measured-region cycles against native's on the same workload, params, profile and ISA */
  readonly slowdown: number | null;
  /** same console output, exit code and result digest as native */
  readonly equivalent: boolean;
  /** why not equivalent: the first difference found */
  readonly divergence: string | null;
  readonly console: string;
  /** sha256 of the workload's declared result bytes and its exit code */
  readonly digest: string;
  readonly host: { readonly wallMs: number; readonly mips: number };
}
