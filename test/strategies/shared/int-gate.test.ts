/**
 * A guest kernel's INT n through a gate that is not present, or whose handler runs in a less
 * privileged ring, is an ordinary general-protection fault naming the gate, under every
 * strategy as on the native machine (a software interrupt's failed delivery does not
 * escalate to a double fault). Found by `ringlab fuzz --kernel-mode --seed 1` (programs 127
 * and 335): trap-and-emulate and binary translation delivered through the unusable gate and
 * ended in a triple fault or a halt where the native machine shut down.
 */
import { expect } from 'chai';
import { EXIT_HANDLERS, exitIdt, runKernel } from '../kernel-fixture';

/** Gate 3 with `flags`, the others present for ring 0; handler v shuts down with 100 + v, and the #GP handler with 200 + its error code's gate. */
const kernel = (flags: number, user = false): string => `
        li sp, 0x9000
        li r1, idt
        lidt r1
${user ? `        li r1, 0x8000
        wrcr cr4, r1
        li r1, ring3
        li r2, 0x7000
        sysexit r1, r2
ring3:` : ''}
        int 3
        li r1, 1
        out 244, r1
        hlt
${EXIT_HANDLERS}
gp:     pop r1
        shri r1, r1, 3
        addi r1, r1, 200
        out 244, r1
        hlt
${exitIdt((v) => (v === 13 ? 'gp' : `h${v}`), (v) => (v === 3 ? flags : 1))}
`;

describe('INT n through an unusable gate', function () {
  this.timeout(60_000);
  for (const strategy of ['native', 'trap-and-emulate', 'binary-translation', 'hardware-assisted', 'hybrid'])
    it(`${strategy}: a gate not present, for ring 3, or (from ring 3) of DPL 0 is a #GP naming gate 3; a usable one is taken`, () => {
      for (const [flags, exit, user] of [[0, 203, false], [0x18 | 1, 203, false], [1, 103, false], [0, 203, true], [1, 203, true], [1 | 6, 103, true]] as const) {
        const r = runKernel(strategy, kernel(flags, user));
        expect(r.exitCode, `gate flags ${flags}${user ? ' from ring 3' : ''}`).to.equal(exit);
        expect(r.equivalent, `gate flags ${flags}${user ? ' from ring 3' : ''}`).to.equal(true);
      }
    });
});
