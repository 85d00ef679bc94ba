/**
 * Translated code that the monitor's own writes overwrite (an emulated PUSHF, an exception
 * frame) is dropped like code a guest store overwrites: the next run of it runs what memory
 * now holds, as natively. Found by `ringlab fuzz --kernel-mode --programs 10000 --seed 1`
 * (programs 444 and 5703): a kernel whose stack ran down into its own code kept running the
 * stale translations under binary translation.
 */
import { expect } from 'chai';
import { EXIT_HANDLERS, exitIdt, runKernel } from '../kernel-fixture';

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
${EXIT_HANDLERS}
${exitIdt()}
`;

describe('binary translation: code the monitor itself overwrites', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted'])
    it(`${strategy}: an emulated PUSHF over translated code makes its next run fault, as natively`, () => {
      const r = runKernel(strategy, KERNEL);
      expect(r.exitCode).to.equal(106);
      expect(r.equivalent).to.equal(true);
    });
});
