/**
 * A kernel that jumps to a pc off a word boundary takes a general-protection fault, under
 * every strategy as on the native machine. Found by `ringlab fuzz --kernel-mode --seed 1`
 * (program 10): trap-and-emulate's monitor took the #GP for a privileged instruction to
 * emulate, decoded the unaligned word at pc and reflected an invalid opcode instead.
 */
import { expect } from 'chai';
import { EXIT_HANDLERS, exitIdt, runKernel } from '../kernel-fixture';

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
${EXIT_HANDLERS}
${exitIdt()}
`;

describe('a pc off a word boundary', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted', 'hybrid'])
    it(`${strategy}: a jump or call to 0x2002, 0x00900002 or 0xfffffffd is a #GP, as natively`, () => {
      for (const target of ['0x2002', '0x00900002', '0xfffffffd'])
        for (const how of ['jmpr', 'callr'] as const) {
          const r = runKernel(strategy, kernel(target, how));
          expect(r.exitCode, `${how} ${target}`).to.equal(113);
          expect(r.equivalent, `${how} ${target}`).to.equal(true);
        }
    });
});
