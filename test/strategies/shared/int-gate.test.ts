/**
 * A guest kernel's INT n through a gate that is not present, or whose handler runs in a less
 * privileged ring, is an ordinary general-protection fault naming the gate, under every
 * strategy as on the native machine (a software interrupt's failed delivery does not
 * escalate to a double fault). Found by `ringlab fuzz --kernel-mode --seed 1` (programs 127
 * and 335): trap-and-emulate and binary translation delivered through the unusable gate and
 * ended in a triple fault or a halt where the native machine shut down.
 */
import { expect } from 'chai';
import { isLeft } from 'fp-ts/Either';
import { assemble } from '../../../core/asm/assembler';
import { runOne } from '../../../experiments/run/run-one';

/** Gate 3 with `flags`, the others present for ring 0; handler v shuts down with 100 + v, and the #GP handler with 200 + its error code's gate. */
const kernel = (flags: number): string => `
        li sp, 0x9000
        li r1, idt
        lidt r1
        int 3
        li r1, 1
        out 244, r1
        hlt
${[...Array(16)].map((_, v) => `h${v}:    li r1, ${100 + v}\n        out 244, r1\n        hlt`).join('\n')}
gp:     pop r1
        shri r1, r1, 3
        addi r1, r1, 200
        out 244, r1
        hlt
        .align 8
idt:
${[...Array(16)].map((_, v) => `        .word ${v === 13 ? 'gp' : `h${v}`}, ${v === 3 ? flags : 1}`).join('\n')}
`;

describe('INT n through an unusable gate', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted', 'hybrid'])
    it(`${strategy}: a gate not present or for ring 3 is a #GP naming gate 3; a usable one is taken`, () => {
      for (const [flags, exit] of [[0, 203], [0x18 | 1, 203], [1, 103]] as const) {
        const image = assemble(kernel(flags), { origin: 0 });
        if (isLeft(image)) throw new Error(JSON.stringify(image.left));
        const r = runOne({ strategy, workload: 'syscall', params: { n: 1 }, profile: 'netburst-2006', kernelImage: image.right, isa: 'virtualizable', maxInstructions: 10_000 });
        if (isLeft(r)) throw new Error(r.left.join('; '));
        expect(r.right.exitCode, `gate flags ${flags}`).to.equal(exit);
        expect(r.right.equivalent, `gate flags ${flags}`).to.equal(true);
      }
    });
});
