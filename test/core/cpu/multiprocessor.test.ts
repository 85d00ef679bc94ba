/**
 * Several CPUs on one platform: start-up IPIs, fixed IPIs, RDPID, PAUSE pricing and pause-loop
 * exiting, and the deterministic interleaving of runVcpus (a contended spinlock counter).
 */
import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { assemble, formatAsmError } from '../../../core/asm';
import { Cpu } from '../../../core/cpu/cpu';
import { runVcpus } from '../../../core/cpu/vcpu-loop';
import { Platform } from '../../../core/platform/platform';
import { Port } from '../../../core/devices/ports';
import { DEFINES } from '../machine-helpers';
import { UNIT_PRICES } from '../../../core/cost/ledger';

const DATA = 0x3000;

/** A platform with `n` CPUs, the program loaded at 0; CPUs other than 0 wait for a start-up IPI. */
const machine = (n: number, source: string, prices = UNIT_PRICES): Cpu[] => {
  const p = assemble(source, { defines: { ...DEFINES, ICR: Port.icr, DATA } });
  if (E.isLeft(p)) throw new Error(p.left.map(formatAsmError).join('\n'));
  const platform = new Platform({ memoryBytes: 1 << 20 });
  const cpus = Array.from({ length: n }, () => new Cpu(platform, { prices }));
  cpus[0].load(0, p.right.bytes);
  for (const c of cpus.slice(1)) c.init();
  return cpus;
};


// CPU 0 starts the others at 0x1000 (INIT, then STARTUP page 1 to all but self); each
// increments a shared counter `n` times under a spinlock, then counts itself done; CPU 0
// waits for all and powers off with the counter.
const spinlockCounter = (cpus: number, n: number) => `
        li r1, 0x00000500 | (3 << 12)      ; INIT, all but self
        out ICR, r1
        li r1, 0x00000601 | (3 << 12)      ; STARTUP page 1, all but self
        out ICR, r1
        jmp 0x1000
        .org 0x1000
        li r2, DATA
        li r5, 1
        li r6, ${n}
again:  li r1, 0
        cmpxchg r5, [r2]                    ; lock
        jz locked
        pause
        jmp again
locked: ld r3, [r2+4]
        addi r3, r3, 1
        st [r2+4], r3
        st [r2], r0                         ; unlock
        subi r6, r6, 1
        jnz again
        li r3, 1
        li r4, DATA + 8
        xchg r3, [r4]                       ; count myself done: atomic add by a cmpxchg loop
inc:    ld r1, [DATA+12]
        addi r7, r1, 1
        cmpxchg r7, [DATA+12]
        jnz inc
        rdpid r8
        cmpi r8, 0
        jnz park
wait:   ld r1, [DATA+12]
        cmpi r1, ${cpus}
        jnz wait
        ld r1, [DATA+4]
        out POWER, r1
park:   pause
        jmp park
`;

describe('cpu: multiprocessor machines', () => {
  it('start-up IPIs start the secondary CPUs, and a contended spinlock counter is exact', () => {
    const cpus = machine(4, spinlockCounter(4, 200));
    const stop = runVcpus(cpus, [null, null, null, null], { maxInstructions: 1e6 });
    expect(stop).to.deep.equal({ kind: 'shutdown', exitCode: 800 });
    // every CPU ran (each took the lock 200 times) and some spun on it
    for (const c of cpus) expect(c.instructions).to.be.greaterThan(200 * 8);
    expect(cpus.reduce((a, c) => a + (c.snapshot().counts['spin.pauses'] as number), 0)).to.be.greaterThan(0);
  });

  it('is reproducible: the same machine gives the same counts', () => {
    const counts = () => {
      const cpus = machine(3, spinlockCounter(3, 50));
      runVcpus(cpus, [null, null, null], { maxInstructions: 1e6 }, 37);
      return cpus.map((c) => [c.instructions, c.time, (c.snapshot().counts['spin.pauses'] as number)]);
    };
    expect(counts()).to.deep.equal(counts());
  });

  it('a fixed IPI raises its line on the destination only, counted by the sender and the receiver', () => {
    const cpus = machine(
      2,
      `
        li r1, 0x00000500 | (3 << 12)
        out ICR, r1
        li r1, 0x00000601 | (3 << 12)
        out ICR, r1
spin0:  ld r1, [DATA]
        cmpi r1, 1
        jnz spin0
        li r1, 0x00000003 | (1 << 16)     ; fixed, line 3, to CPU 1
        out ICR, r1
spin1:  ld r1, [DATA+4]
        cmpi r1, 1
        jnz spin1
        li r1, 7
        out POWER, r1
        .org 0x1000
        li sp, 0x2000
        li r1, 0x2800
        lidt r1
        li r1, 0
        out PIC_MASK, r1
        li r1, 1
        st [DATA], r1
        sti
idle:   hlt
        jmp idle
handler: rdpid r2
        addi r2, r2, 0
        li r3, 1
        st [DATA+4], r3
        out PIC_CMD, r0
        iret
        .org 0x2800 + 0x23 * 8
        .word handler, KGATE
`,
    );
    const stop = runVcpus(cpus, [null, null], { maxInstructions: 1e5 });
    expect(stop).to.deep.equal({ kind: 'shutdown', exitCode: 7 });
    expect(cpus[0].snapshot().counts['ipis.sent']).to.deep.equal({ 3: 1 });
    expect(cpus[1].snapshot().counts['ipis.received']).to.deep.equal({ 3: 1 });
    expect(cpus[1].snapshot().counts.interrupts).to.deep.equal({ 35: 1 });
    expect(cpus[1].regs[2]).to.equal(1);
  });

  it('PAUSE is priced at the profile cost on top of the instruction', () => {
    const prices = (key: string) => (key === 'instruction' || key === 'idleCycle' ? 1 : key === 'pause' ? 139 : 0);
    const [cpu] = machine(1, 'pause\npause\nhlt', prices);
    cpu.run(10);
    expect(cpu.snapshot().counts['spin.pauses']).to.equal(2);
    expect(cpu.time).to.equal(3 + 2 * 139);
  });
});
