/**
 * Small kernels for equivalence tests of the strategies: handlers that shut down with
 * 100 + their vector (the exit code names the exception), their interrupt table, and a run of
 * such a kernel from reset under one strategy, compared with native.
 */
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../core/asm/assembler';
import { runOne } from '../../experiments/run/run-one';
import type { RunResult } from '../../experiments/run/result';
import type { IsaVariant } from '../../core/isa/variant';

/** Handlers `h0`..`h15`: each shuts down with 100 + its vector. */
export const EXIT_HANDLERS = [...Array(16)].map((_, v) => `h${v}:    li r1, ${100 + v}\n        out 244, r1\n        hlt`).join('\n');

/** An aligned table `idt` of 16 gates; gate v leads to `handler(v)` (default `h<v>`) with `flags(v)` (default 1: present, ring 0). */
export const exitIdt = (handler: (v: number) => string = (v) => `h${v}`, flags: (v: number) => number = () => 1): string =>
  ['        .align 8', 'idt:', ...[...Array(16)].map((_, v) => `        .word ${handler(v)}, ${flags(v)}`)].join('\n');

/** Assemble `source` at 0 and boot it under `strategy` on `isa` (default the virtualizable ISA; 10,000 instructions at most). */
export const runKernel = (strategy: string, source: string, isa: IsaVariant = 'virtualizable'): RunResult => {
  const image = assemble(source, { origin: 0 });
  if (isLeft(image)) throw new Error(JSON.stringify(image.left));
  const r = runOne({ strategy, workload: 'syscall', params: { n: 1 }, profile: 'netburst-2006', kernelImage: image.right, isa, maxInstructions: 10_000 });
  if (isLeft(r)) throw new Error(r.left.join('; '));
  return r.right;
};
