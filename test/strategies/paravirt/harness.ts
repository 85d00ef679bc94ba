/**
 * Running the paravirtual guest under the `paravirt` strategy in the tests, with the kernel
 * build its options select (the strategy's kernelOptions), the measured region's events,
 * and access to the hypervisor behind the machine's monitor.
 */
import * as E from 'fp-ts/Either';
import * as path from 'path';
import { assemble, formatAsmError, type Program } from '../../../core/asm';
import type { Cpu } from '../../../core/cpu/cpu';
import type { StopReason } from '../../../core/cpu/stop';
import { diffSnapshots, type LedgerSnapshot } from '../../../core/cost/ledger';
import { loadProfile, type CostProfile } from '../../../core/cost/profile';
import { bootImage, bootProgram, type BootImage } from '../../../core/guest/boot-image';
import { GUEST_DIR } from '../../../core/guest/kernel-image';
import { GUEST_MEMORY_BYTES, GuestLayout } from '../../../core/guest/layout';
import { readResult, type GuestResult } from '../../../core/guest/result';
import { type WorkloadName } from '../../../core/guest/workloads';
import { resolveOptions } from '../../../strategies/options';
import type { Hypervisor } from '../../../strategies/paravirt/hypervisor';
import { paravirt } from '../../../strategies/paravirt/paravirt';
import type { OptionValuesOf } from '../../../strategies/options';

/** Resolved options of the paravirt strategy. */
type OptionValues = OptionValuesOf<(typeof paravirt)['options']>;
import { startVirtualMachine, type VirtualMachine } from '../../../strategies/virtual-machine';
import { countsOf, type MachineCounts } from '../../core/counts';
import { vmmCountsOf, type VmmCounts } from '../vmm-counts';

/** Counts by kind: the machine's and the VMM's. */
export interface RunEvents {
  readonly machine: MachineCounts;
  readonly vmm: VmmCounts;
}

/** Modelled cycles, with the breakdown by cause. */
export interface Cycles {
  readonly total: number;
  readonly breakdown: Readonly<Record<string, number>>;
}

const diffDeep = (a: unknown, b: unknown): unknown => {
  if (typeof b === 'number') return b - (typeof a === 'number' ? a : 0);
  if (Array.isArray(b)) return b.map((v, i) => diffDeep((a as unknown[] | undefined)?.[i], v));
  if (b !== null && typeof b === 'object')
    return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, diffDeep((a as Record<string, unknown> | undefined)?.[k], v)]));
  return b;
};

/** Instruction budget of a test run. */
export const BUDGET = 50_000_000;

/** Unwrap an Either, failing the test with its message. */
export const right = <A>(e: E.Either<string | string[], A>): A => {
  if (E.isLeft(e)) throw new Error(([] as string[]).concat(e.left).join('\n'));
  return e.right;
};

/** The profile of the tests. */
export const profile = (): CostProfile => right(loadProfile('netburst-2006'));

/** Options of the strategy, resolved (defaults filled). */
export const pvOptions = (given: Record<string, string> = {}): OptionValues => right(resolveOptions(paravirt, given));

/** Everything a test looks at after a run. */
export interface PvRun {
  readonly m: Cpu;
  readonly vm: VirtualMachine;
  readonly hv: Hypervisor;
  readonly stop: StopReason;
  readonly output: string;
  readonly result: GuestResult;
  /** the whole run */
  readonly all: RunEvents;
  /** the measured region (between the workload's marks) */
  readonly region: RunEvents;
  readonly regionCycles: Cycles;
  readonly vmm: VmmCounts;
}

/** Start the strategy on a machine holding `image` (its kernel built for `options`). */
export const startPv = (image: BootImage, options: OptionValues): { m: Cpu; vm: VirtualMachine } => {
  const vm = right(startVirtualMachine({ strategy: paravirt, options, profile: profile(), guestMemoryBytes: GUEST_MEMORY_BYTES, load: (p) => image.loadInto(p) }));
  return { m: vm.cpus[0], vm };
};

/** Run a boot image to the end under `paravirt`. */
export const runPvImage = (image: BootImage, options: OptionValues, budget = BUDGET): PvRun => {
  const { m, vm } = startPv(image, options);
  const snapshot = (): RunEvents & { ledger: LedgerSnapshot } => ({ machine: countsOf(m), vmm: vmmCountsOf(m), ledger: m.snapshot() });
  const marks: { start?: ReturnType<typeof snapshot>; end?: ReturnType<typeof snapshot> } = {};
  m.events.listen((e) => {
    if (e.kind === 'region') marks[e.mark] = snapshot();
  });
  const stop = vm.run(budget);
  const all = snapshot();
  const region = marks.start ? (diffDeep(marks.start, marks.end ?? all) as RunEvents) : all;
  const regionLedger = marks.start ? diffSnapshots(marks.start.ledger, (marks.end ?? all).ledger) : all.ledger;
  return {
    m,
    vm,
    hv: vm.vmm.vcpus[0] as Hypervisor,
    stop,
    output: m.platform.console.text(),
    result: readResult(m),
    all,
    region,
    regionCycles: { total: regionLedger.cycles, breakdown: regionLedger.byCause },
    vmm: all.vmm,
  };
};

/** Run a workload under `paravirt` with the given options. */
export const runPv = (workload: WorkloadName, n: number, given: Record<string, string> = {}, budget = BUDGET): PvRun => {
  const options = pvOptions(given);
  const image = right(bootImage({ workload, n, build: 'paravirt', kernel: paravirt.kernelOptions?.(options) }));
  return runPvImage(image, options, budget);
};

/** Assemble a test program (user mode, origin 0x00400000) that can include ../lib/user.s. */
export const userProgram = (source: string): Program => {
  const r = assemble(source, { file: path.join(GUEST_DIR, 'workloads', 'test-program.s'), origin: GuestLayout.userBase });
  if (E.isLeft(r)) throw new Error(r.left.map(formatAsmError).join('\n'));
  return r.right;
};

/** Run a hand-written user program on the paravirtual kernel under `paravirt`. */
export const runPvProgram = (source: string, given: Record<string, string> = {}, n = 0): PvRun => {
  const options = pvOptions(given);
  const image = right(bootProgram({ program: userProgram(source), n, build: 'paravirt', kernel: paravirt.kernelOptions?.(options) }));
  return runPvImage(image, options);
};

/** Total of a breakdown. */
export const total = (b: Record<string, number>): number => Object.values(b).reduce((a, v) => a + v, 0);

/** Hypervisor entries: hypercalls plus traps into the hypervisor. */
export const entries = (v: VmmCounts): number => total(v.hypercalls) + total(v.traps);
