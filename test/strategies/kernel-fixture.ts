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

/**
 * The start of a kernel that leaves reset for `ring` with IOPL `iopl` by an IRET to label
 * `outer` (which the caller writes next): its own stack at 0x9000, the stack entries from outer
 * rings switch to at 0x8000 (cr4), the table `idt`, the outer ring's stack at 0x7000.
 */
export const iretToRing = (ring: number, iopl: number): string => `
        li sp, 0x9000
        li r1, 0x8000
        wrcr cr4, r1
        li r1, idt
        lidt r1
        li r1, 0x7000
        push r1
        li r1, ${iopl << 12}
        push r1
        li r1, ${ring}
        push r1
        li r1, outer
        push r1
        iret
`;

/** Assemble `source` at 0 and boot it under `strategy` on `isa` (default the virtualizable ISA; 10,000 instructions at most). */
export const runKernel = (strategy: string, source: string, isa: IsaVariant = 'virtualizable'): RunResult => {
  const image = assemble(source, { origin: 0 });
  if (isLeft(image)) throw new Error(JSON.stringify(image.left));
  const r = runOne({ strategy, workload: 'syscall', params: { n: 1 }, profile: 'netburst-2006', kernelImage: image.right, isa, maxInstructions: 10_000 });
  if (isLeft(r)) throw new Error(r.left.join('; '));
  return r.right;
};
