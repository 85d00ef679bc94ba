/**
 * An emulated instruction's own memory access that fails raises the fault the machine
 * raises: with paging off, an address past physical memory is the #GP of the memory check,
 * not a page fault. Found beside `ringlab fuzz --kernel-mode --programs 10000 --seed 1`
 * (program 444): the monitors' emulated PUSHF, POPF and IRET turned every failed access into
 * a page fault with a guessed error code. (PUSHF cannot show it: its fault's frame would go
 * where its own store failed.)
 */
import { expect } from 'chai';
import { EXIT_HANDLERS, exitIdt, runKernel } from '../kernel-fixture';
import { GUEST_MEMORY_BYTES } from '../../../core/guest/layout';

/**
 * Handlers that shut down with 100 + their vector; the kernel runs `op` with sp at `sp`, where
 * what it reads lies (in part) past the 8 MiB of memory while the fault's frame below fits.
 */
const kernel = (op: string, sp: number): string => `
        li r1, idt
        lidt r1
        li sp, ${sp}
        ${op}
        li r1, 1
        out 244, r1
        hlt
${EXIT_HANDLERS}
${exitIdt()}
`;

describe('an emulated access past memory with paging off', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted'])
    it(`${strategy}: POPF and IRET reading a stack past memory are a #GP, as natively`, () => {
      for (const [op, sp] of [['popf', GUEST_MEMORY_BYTES], ['iret', GUEST_MEMORY_BYTES - 8]] as const) {
        const r = runKernel(strategy, kernel(op, sp));
        expect(r.exitCode, op).to.equal(113);
        expect(r.equivalent, op).to.equal(true);
      }
    });
});
