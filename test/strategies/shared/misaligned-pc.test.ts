/**
 * A kernel that jumps to a pc off a word boundary takes a general-protection fault, under
 * every strategy as on the native machine. Found by `ringlab fuzz --kernel-mode --seed 1`
 * (program 10): trap-and-emulate's monitor took the #GP for a privileged instruction to
 * emulate, decoded the unaligned word at pc and reflected an invalid opcode instead.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../../core/asm/assembler';
import { runOne } from '../../../experiments/run/run-one';

/** Handlers that shut down with 100 + their vector; the kernel jumps (or calls) to `target`. */
const kernel = (target: string, how: 'jmpr' | 'callr'): string => `
        li sp, 0x9000
        li r1, idt
        lidt r1
        li r2, ${target}
        ${how} r2
        li r1, 1
        out 244, r1
        hlt
${[...Array(16)].map((_, v) => `h${v}:    li r1, ${100 + v}\n        out 244, r1\n        hlt`).join('\n')}
        .align 8
idt:
${[...Array(16)].map((_, v) => `        .word h${v}, 1`).join('\n')}
`;

describe('a pc off a word boundary', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted', 'hybrid'])
    it(`${strategy}: a jump or call to 0x2002, 0x00900002 or 0xfffffffd is a #GP, as natively`, () => {
      for (const target of ['0x2002', '0x00900002', '0xfffffffd'])
        for (const how of ['jmpr', 'callr'] as const) {
          const image = assemble(kernel(target, how), { origin: 0 });
          if (isLeft(image)) throw new Error(JSON.stringify(image.left));
          const r = runOne({ strategy, workload: 'syscall', params: { n: 1 }, profile: 'netburst-2006', kernelImage: image.right, isa: 'virtualizable', maxInstructions: 10_000 });
          if (isLeft(r)) throw new Error(r.left.join('; '));
          expect(r.right.exitCode, `${how} ${target}`).to.equal(113);
          expect(r.right.equivalent, `${how} ${target}`).to.equal(true);
        }
    });
});
