/**
 * The result of one run, as printed by `ringlab run --json` and stored in results files:
 * one io-ts codec (which validates result rows when written and read), and its type, with
 * the stop reason and the events view made precise.
 * @category Results
 */
import * as t from 'io-ts';
import type { StopReason } from '../../core/cpu/stop';
import { ENGINES } from '../../core/cpu/engine';
import type { Breakdown } from '../../core/cost/ledger';

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
  /** inter-processor interrupts: total sent (one per destination), by `sent line N`, and `received` */
  readonly ipis: Tally;
  /** spin-wait: PAUSEs retired and pause-loop exits */
  readonly spinWait: Tally;
  /** TLB flushes a paravirtual hypervisor made on other vCPUs (tlb_flush_multi) */
  readonly remoteFlushes: Tally;
  /** hybrid's exit clusters: runs (total), clusters formed, their mean length and exiting instructions, exits avoided */
  readonly clusters: Tally;
}

const Num = t.number;
const NumRecord = t.record(t.string, Num);
const NullableNumber = t.union([Num, t.null]);
const Tally = t.type({ total: Num, by: NumRecord });
const OptionRecord = t.record(t.string, t.union([t.string, Num]));
const StopCodec = t.intersection([t.type({ kind: t.string, message: t.string }), t.record(t.string, t.unknown)]);

/** Codec of a run's result. */
export const RunResultCodec = t.intersection([
  t.type({
  strategy: t.string,
  options: OptionRecord,
  workload: t.string,
  params: NumRecord,
  /** the kernel's boot parameters (hz ...) */
  boot: NumRecord,
  profile: t.string,
  /** per-event costs that replaced the profile's (cost sensitivity); {} if none */
  costOverrides: NumRecord,
  isa: t.keyof({ default: null, virtualizable: null }),
  /** machine settings of the run (TLB size and associativity, disk latency) */
  machine: t.type({ tlbEntries: Num, tlbWays: Num, diskLatencyUs: Num }),
  stop: StopCodec,
  exitCode: NullableNumber,
  guest: t.type({ instructions: Num, byRing: t.array(Num), regionInstructions: Num }),
  events: t.record(t.string, t.intersection([Tally, t.record(t.string, t.unknown)])),
  cycles: t.type({
    /** CPU time: the vCPUs' clocks at the end, summed (= the sum of the breakdown) */
    total: Num,
    breakdown: NumRecord,
    /** cycles of the measured region */
    region: Num,
    regionBreakdown: NumRecord,
    /** region cycles per operation (region / n) */
    perOperation: Num,
    /**
     * per VM-exit reason (whole run): the exits, and the cycles they cost: the exit/entry
     * round trip times the exits, plus what the VMM's handler for that reason added
     */
    byExitReason: t.record(t.string, t.type({ exits: Num, cycles: Num })),
  }),
  /** modelled seconds of the whole run (elapsed: the latest vCPU clock) at the profile's frequency */
  seconds: Num,
  /** modelled seconds of the measured region, elapsed from its start marker to its end marker */
  regionSeconds: Num,
  /** measured-region cycles against native's on the same workload, params, profile, ISA and settings */
  slowdown: NullableNumber,
  /** same console output, exit code and result digest as native */
  equivalent: t.boolean,
  /** why not equivalent: the first difference found */
  divergence: t.union([t.string, t.null]),
  console: t.string,
  /** sha256 of the workload's declared result bytes and its exit code */
  digest: t.string,
  /** host metadata: wall time, simulated MIPS and the engine that ran it (no modelled number depends on these) */
  host: t.intersection([t.type({ wallMs: Num, mips: Num }), t.partial({ engine: t.keyof(ENGINES) })]),
  }),
  t.partial({
    /** virtual CPUs of the run (results written before multiprocessor VMs lack it: 1) */
    vcpus: Num,
    /** per vCPU: instructions retired, its modelled cycles (CPU time) and its events; totals are their sums */
    perVcpu: t.array(t.type({ instructions: Num, cycles: Num, events: t.record(t.string, t.unknown) })),
    /** the user's kernel file booted instead of the shipped kernel (`run --kernel`) */
    kernelFile: t.string,
    /** violations of the VMM's isolation invariants found after the run (present only if any) */
    isolationViolations: t.array(t.string),
    /** sha256 of the user's program or kernel image as run */
    imageDigests: t.partial({ program: t.string, kernel: t.string }),
  }),
]);

/** One run: the codec's type, with the stop reason and the events view made precise. */
export type RunResult = Omit<t.TypeOf<typeof RunResultCodec>, 'stop' | 'events'> & {
  readonly stop: StopReason & { readonly message: string };
  readonly events: RunEventsView;
};
