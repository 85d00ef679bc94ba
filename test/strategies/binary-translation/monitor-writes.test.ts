/**
 * Translated code that the monitor's own writes overwrite (an emulated PUSHF, an exception
 * frame) is dropped like code a guest store overwrites: the next run of it runs what memory
 * now holds, as natively. Found by `ringlab fuzz --kernel-mode --programs 10000 --seed 1`
 * (programs 444 and 5703): a kernel whose stack ran down into its own code kept running the
 * stale translations under binary translation.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../../core/asm/assembler';
import { runOne } from '../../../experiments/run/run-one';

/** `target` runs once (and is translated), then PUSHF with the stack at its end writes the flags over its RET; calling it again must fault (#UD: vector 6, exit 106). */
const KERNEL = `
        li sp, 0x9000
        li r1, idt
        lidt r1
        call target
        li sp, target_end
        pushf
        li sp, 0x9000
        call target
        li r1, 1
        out 244, r1
        hlt
target:
        nop
        ret
target_end:
${[...Array(16)].map((_, v) => `h${v}:    li r1, ${100 + v}\n        out 244, r1\n        hlt`).join('\n')}
        .align 8
idt:
${[...Array(16)].map((_, v) => `        .word h${v}, 1`).join('\n')}
`;

describe('binary translation: code the monitor itself overwrites', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted'])
    it(`${strategy}: an emulated PUSHF over translated code makes its next run fault, as natively`, () => {
      const image = assemble(KERNEL, { origin: 0 });
      if (isLeft(image)) throw new Error(JSON.stringify(image.left));
      const r = runOne({ strategy, workload: 'syscall', params: { n: 1 }, profile: 'netburst-2006', kernelImage: image.right, isa: 'virtualizable', maxInstructions: 10_000 });
      if (isLeft(r)) throw new Error(r.left.join('; '));
      expect(r.right.exitCode).to.equal(106);
      expect(r.right.equivalent).to.equal(true);
    });
});
