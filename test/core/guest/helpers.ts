/** Shared helpers of the guest tests: boot a workload or a test program and run it. */
import * as E from 'fp-ts/Either';
import { assemble, formatAsmError, type Program } from '../../../core/asm';
import type { Cpu } from '../../../core/cpu/cpu';
import { uniprocessor, type MachineConfig } from '../../../core/platform/uniprocessor';
import type { StopReason } from '../../../core/cpu/stop';
import { bootImage, bootProgram, type BootImage } from '../../../core/guest/boot-image';
import { GuestLayout } from '../../../core/guest/layout';
import { GUEST_DIR, type KernelBuild } from '../../../core/guest/kernel-image';
import { readResult, type GuestResult } from '../../../core/guest/result';
import { type WorkloadName } from '../../../core/guest/workloads';
import * as path from 'path';
import { countsOf, type MachineCounts } from '../counts';

/** Default instruction budget of a guest run in the tests. */
export const BUDGET = 50_000_000;

/** Everything a test looks at after a run. */
export interface GuestRun {
  readonly m: Cpu;
  readonly stop: StopReason;
  readonly output: string;
  readonly result: GuestResult;
  readonly counts: MachineCounts;
}

/** Unwrap an Either, failing the test with its message. */
export const right = <A>(e: E.Either<string, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left);
  return e.right;
};

/**
 * The guest tests' machine: one cycle per instruction at 5 MHz, so the kernel's default
 * 250 Hz tick comes every 20,000 instructions.
 */
export const TEST_MACHINE: MachineConfig = { frequencyHz: 5e6 };

/** Run a boot image on a fresh machine. */
export const runImage = (image: BootImage, config: MachineConfig = {}, budget = BUDGET): GuestRun => {
  const m = uniprocessor({ ...TEST_MACHINE, ...config });
  image.loadInto(m);
  const stop = m.run(budget);
  return { m, stop, output: m.platform.console.text(), result: readResult(m), counts: countsOf(m) };
};

/** Run a workload natively (or under the given build: only native runs without a hypervisor). */
export const runWorkload = (workload: WorkloadName, n?: number, config: MachineConfig = {}, budget = BUDGET): GuestRun =>
  runImage(right(bootImage({ workload, n, build: 'native' })), config, budget);

/** Assemble a test program (user mode, origin 0x00400000) that can include ../lib/user.s. */
export const userProgram = (source: string): Program => {
  const r = assemble(source, { file: path.join(GUEST_DIR, 'workloads', 'test-program.s'), origin: GuestLayout.userBase });
  if (E.isLeft(r)) throw new Error(r.left.map(formatAsmError).join('\n'));
  return r.right;
};

/** Run a test program natively with parameter n. */
export const runProgram = (source: string, n = 0, budget = BUDGET, build: KernelBuild = 'native'): GuestRun =>
  runImage(right(bootProgram({ program: userProgram(source), n, build })), {}, budget);

/** A count from a breakdown (0 when absent). */
export const count = (b: Record<string, number>, key: number | string): number => b[key] ?? 0;
