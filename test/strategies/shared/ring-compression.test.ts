/**
 * A guest that runs code in rings 1 and 2 gets what the native machine gives there, although
 * the deprivileging monitors run guest rings 0, 1 and 2 alike in real ring 1 (ring
 * compression): privileged instructions fault, IOPL-checked port I/O follows the guest's
 * IOPL, RDCPL reads the ring, and a fault enters the ring-0 handler on the ring-0 stack with
 * the outer ring in its frame. Found by `ringlab fuzz --kernel-mode --programs 10000 --seed 1`
 * (programs 1356 and 9925): trap-and-emulate and binary translation took a kernel that had
 * IRET to ring 1 for ring 0, emulated its `in` and ran on where the native machine faulted.
 */
import { expect } from 'chai';
import { EXIT_HANDLERS, exitIdt, iretToRing, runKernel } from '../kernel-fixture';
import type { IsaVariant } from '../../../core/isa/variant';

/**
 * IRET to `ring` with IOPL `iopl`, then `body`; the #GP handler shuts down with 200 + the
 * ring in its frame, or 99 if it did not run on the ring-0 stack (cr4) below its frame.
 */
const kernel = (ring: number, iopl: number, body: string): string => `${iretToRing(ring, iopl)}
outer:
${body}
${EXIT_HANDLERS}
gp:     li r2, 0x7fec
        cmp sp, r2
        jnz wrong
        ld r1, [sp+8]
        addi r1, r1, 200
        out 244, r1
        hlt
wrong:  li r1, 99
        out 244, r1
        hlt
${exitIdt((v) => (v === 13 ? 'gp' : `h${v}`))}
`;

const shutdown = (code: string) => `        li r1, ${code}\n        out 244, r1\n        hlt`;

/** Cases: ring, IOPL, body, and the native exit code on each ISA. */
const CASES: readonly { what: string; ring: number; iopl: number; body: string; exit: Record<IsaVariant, number> }[] = [
  { what: 'IN above IOPL faults', ring: 1, iopl: 0, body: `        in r2, 0xf0\n${shutdown('7')}`, exit: { default: 201, virtualizable: 201 } },
  { what: 'IN within IOPL runs', ring: 1, iopl: 1, body: `        in r2, 0xf0\n${shutdown('7')}`, exit: { default: 7, virtualizable: 7 } },
  { what: 'CLI faults whatever the IOPL', ring: 1, iopl: 3, body: `        cli\n${shutdown('7')}`, exit: { default: 201, virtualizable: 201 } },
  { what: 'HLT faults', ring: 1, iopl: 3, body: `        hlt\n${shutdown('7')}`, exit: { default: 201, virtualizable: 201 } },
  { what: 'SYSEXIT faults', ring: 1, iopl: 3, body: `        sysexit r1, r2\n${shutdown('7')}`, exit: { default: 201, virtualizable: 201 } },
  { what: 'IRET to ring 0 faults', ring: 1, iopl: 3, body: `        li r1, 0\n        push r1\n        push r1\n        push r1\n        li r1, 0x100\n        push r1\n        iret\n${shutdown('7')}`, exit: { default: 201, virtualizable: 201 } },
  // RDCPL is unprivileged on the default ISA, privileged on the virtualizable one
  { what: 'RDCPL reads ring 2', ring: 2, iopl: 3, body: `        rdcpl r1\n        out 244, r1\n        hlt`, exit: { default: 2, virtualizable: 202 } },
];

/** Trap-and-emulate runs only on the virtualizable ISA: on the default one, ring 1's untrapped RDCPL, PUSHF and IRET give it away. */
const STRATEGIES: readonly { strategy: string; isas: readonly IsaVariant[] }[] = [
  { strategy: 'native', isas: ['default', 'virtualizable'] },
  { strategy: 'trap-and-emulate', isas: ['virtualizable'] },
  { strategy: 'binary-translation', isas: ['default', 'virtualizable'] },
  { strategy: 'hardware-assisted', isas: ['default', 'virtualizable'] },
  { strategy: 'hybrid', isas: ['default', 'virtualizable'] },
];

describe('guest rings 1 and 2', function () {
  this.timeout(120_000);
  for (const { strategy, isas } of STRATEGIES)
    for (const isa of isas)
      it(`${strategy} (${isa} ISA): privileged instructions fault, IN follows IOPL, RDCPL reads the ring, faults enter ring 0 on its stack`, () => {
        for (const c of CASES) {
          const r = runKernel(strategy, kernel(c.ring, c.iopl, c.body), isa);
          expect(r.exitCode, c.what).to.equal(c.exit[isa]);
          expect(r.equivalent, c.what).to.equal(true);
        }
      });

  it('trap-and-emulate on the default ISA: an untrapped IRET into ring 1 is reported as the divergence it is', () => {
    const r = runKernel('trap-and-emulate', kernel(1, 0, `        in r2, 0xf0\n${shutdown('7')}`), 'default');
    expect(r.stop.kind).to.equal('stopped');
    expect(r.stop.kind === 'stopped' && r.stop.detail).to.match(/iret at 0x[0-9a-f]+ entered ring 1 unseen/);
  });
});
