/**
 * Running the paravirtual guest under the `paravirt` strategy in the tests, with the kernel
 * build its options select (the strategy's kernelOptions), the measured region's events,
 * and access to the hypervisor behind the machine's monitor.
 */
import * as E from 'fp-ts/Either';
import * as path from 'path';
import { assemble, formatAsmError, type Program } from '../../../core/asm';
import { Machine } from '../../../core/cpu/machine';
import type { StopReason } from '../../../core/cpu/stop';
import { diffEvents, modelCycles, type Cycles, type RunEvents } from '../../../core/cost/model';
import { loadProfile, type CostProfile } from '../../../core/cost/profile';
import type { VmmEvents } from '../../../core/cost/vmm-events';
import {
  bootImage,
  bootProgram,
  GUEST_DIR,
  GUEST_MEMORY_BYTES,
  GuestLayout,
  readResult,
  type BootImage,
  type GuestResult,
  type WorkloadName,
} from '../../../core/guest/boot';
import { resolveOptions } from '../../../strategies/options';
import type { Hypervisor } from '../../../strategies/paravirt/hypervisor';
import { paravirt } from '../../../strategies/paravirt/paravirt';
import type { OptionValues, VirtualMachine } from '../../../strategies/strategy';

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
  readonly m: Machine;
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
  readonly vmm: VmmEvents;
}

/** Start the strategy on a machine holding `image` (its kernel built for `options`). */
export const startPv = (image: BootImage, options: OptionValues): { m: Machine; vm: VirtualMachine } => {
  const m = new Machine({ memoryBytes: GUEST_MEMORY_BYTES + paravirt.reservedBytes });
  image.loadInto(m);
  const vm = paravirt.start({ machine: m, profile: profile(), options, guestMemoryBytes: GUEST_MEMORY_BYTES, entry: 0 });
  return { m, vm };
};

/** Run a boot image to the end under `paravirt`. */
export const runPvImage = (image: BootImage, options: OptionValues, budget = BUDGET): PvRun => {
  const { m, vm } = startPv(image, options);
  const snapshot = (): RunEvents => ({ machine: m.counts(), vmm: vm.vmmEvents() });
  const marks: { start?: RunEvents; end?: RunEvents } = {};
  m.events.listen((e) => {
    if (e.kind === 'region') marks[e.mark] = snapshot();
  });
  const stop = vm.run(budget);
  const all = snapshot();
  const region = marks.start ? diffEvents(marks.start, marks.end ?? all) : all;
  return {
    m,
    vm,
    hv: m.monitor as Hypervisor,
    stop,
    output: m.console.text(),
    result: readResult(m),
    all,
    region,
    regionCycles: modelCycles(region, profile()),
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
export const entries = (v: VmmEvents): number => total(v.hypercalls) + total(v.traps);
