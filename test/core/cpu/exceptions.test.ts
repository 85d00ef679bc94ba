import { expect } from 'chai';
import { gateFlags } from '../../../core/cpu/idt';
import { NO_PROGRESS_FAULTS } from '../../../core/cpu/execute';
import type { Cpu } from '../../../core/cpu/cpu';

import { Flag } from '../../../core/isa/table';
import type { IsaVariant } from '../../../core/isa/variant';
import {
  enterUser,
  identity,
  idt,
  iretTo,
  mapPages,
  P,
  PAGING_ON,
  runSnippet,
  stopOf,
  sym,
  U,
  W,
  wordsAt,
} from '../machine-helpers';
import { countsOf } from '../counts';

const R1GATE = gateFlags({ dpl: 0, ring: 1 });
const defines = { R1GATE };

/** The #GP frame pushed on the ring-0 stack (cr4 = 0x2000) for a fault at CPL 3: 5 words. */
const gpFrame = (m: Cpu) => wordsAt(m, 0x2000 - 20, 5);

describe('CPU: exceptions and interrupts through the IDT', () => {
  describe('#GP from ring 3', () => {
    it('pushes sp, flags, cs, pc and error code on the ring-0 stack from cr4', () => {
      const m = runSnippet(`${enterUser('F_CF')}
        li r5, 1
fault:  cli
        hlt
gp:     hlt
${idt({ 13: 'gp' })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      // error code, return pc, cs, flags, old sp (lowest address first)
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 3, Flag.CF, 0x3000]);
      expect(m.regs[15]).to.equal(0x2000 - 20);
      expect(m.cpl).to.equal(0);
      expect(m.regs[5]).to.equal(1);
      expect(countsOf(m).exceptions).to.deep.equal({ 13: 1 });
      expect(countsOf(m).retiredByRing).to.deep.equal([15, 0, 0, 1]);
    });

    const PRIVILEGED = ['cli', 'sti', 'hlt', 'rdcr r2, cr0', 'wrcr cr3, r2', 'lidt r2', 'invlpg r2', 'in r2, 0x3f9', 'out 0x3f8, r2'];
    const FLAWS = ['pushf', 'popf', 'sidt r2', 'smsw r2', 'rdcpl r2', 'iret'];
    const cases: [string, IsaVariant][] = [
      ...PRIVILEGED.flatMap((i): [string, IsaVariant][] => [[i, 'default'], [i, 'virtualizable']]),
      ...FLAWS.map((i): [string, IsaVariant] => [i, 'virtualizable']),
    ];
    for (const [line, variant] of cases) {
      it(`'${line}' at CPL 3 raises #GP(0) on '${variant}'`, () => {
        const m = runSnippet(`${enterUser()}
        li r2, 0x3000
fault:  ${line}
        hlt
gp:     hlt
${idt({ 13: 'gp' })}`, { variant });
        expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
        expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 3, 0, 0x3000]);
        expect(countsOf(m).exceptions).to.deep.equal({ 13: 1 });
        expect(countsOf(m).retiredByRing).to.deep.equal([15, 0, 0, 1]);
      });
    }
  });

  describe('sensitive unprivileged instructions (the flaw rows)', () => {
    const PROGRAM = `${enterUser('F_IF | F_CF', 'li r1, 0x10\nwrcr cr0, r1')}
        pushf
        pop r2
        sidt r3
        smsw r4
        rdcpl r5
        int 0x80
sys:    hlt
${idt({ 13: 'gp', 0x80: ['sys', 'UGATE'] })}
gp:     hlt`;

    it("on 'default' they read the real state at CPL 3 without trapping", () => {
      const m = runSnippet(PROGRAM);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(m.regs[2]).to.equal(Flag.IF | Flag.CF); // the real IF
      expect(m.regs[3]).to.equal(0x800);
      expect(m.regs[4]).to.equal(0x10);
      expect(m.regs[5]).to.equal(3);
      expect(countsOf(m).exceptions).to.deep.equal({});
      expect(countsOf(m).retiredByRing).to.deep.equal([17, 0, 0, 6]);
    });

    it("on 'virtualizable' the first one (pushf) raises #GP at CPL 3", () => {
      const m = runSnippet(PROGRAM, { variant: 'virtualizable' });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'user'), 3, Flag.IF | Flag.CF, 0x3000]);
    });

    for (const variant of ['default', 'virtualizable'] as const) {
      it(`on '${variant}' they work at CPL 0`, () => {
        const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r1, 0x10
        wrcr cr0, r1
        li r1, F_ZF
        push r1
        popf
        pushf
        pop r2
        sidt r3
        smsw r4
        rdcpl r5
${iretTo({ entry: 'back', sp: 0x1800, cpl: 0, flags: 'F_CF' })}
back:   hlt`, { variant });
        expect(stopOf(m).kind).to.equal('halted');
        expect([m.regs[2], m.regs[3], m.regs[4], m.regs[5]]).to.deep.equal([Flag.ZF, 0x800, 0x10, 0]);
        expect(m.regs[15]).to.equal(0x1800);
        expect(m.flags).to.equal(Flag.CF);
        expect(m.instructions).to.equal(23);
      });
    }
  });

  describe('INT n', () => {
    it('from CPL 3 through a gate with DPL 0 raises #GP(vector*8+2) at the INT', () => {
      const m = runSnippet(`${enterUser()}
fault:  int 0x80
        hlt
sys:    hlt
gp:     hlt
${idt({ 13: 'gp', 0x80: 'sys' })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(gpFrame(m)).to.deep.equal([0x80 * 8 + 2, sym(m, 'fault'), 3, 0, 0x3000]);
      expect(countsOf(m).exceptions).to.deep.equal({ 13: 1 });
      expect(countsOf(m).softwareInterrupts).to.deep.equal({});
    });

    it('from CPL 3 through a DPL 3 interrupt gate: ring 0 on the cr4 stack, IF cleared, no error code', () => {
      const m = runSnippet(`${enterUser('F_IF | F_SF')}
        int 0x80
after:  hlt
sys:    hlt
${idt({ 0x80: ['sys', 'UGATE'] })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'after'), 3, Flag.IF | Flag.SF, 0x3000]);
      expect(m.regs[15]).to.equal(0x2000 - 16);
      expect(m.cpl).to.equal(0);
      expect(m.flags).to.equal(Flag.SF);
      expect(countsOf(m).softwareInterrupts).to.deep.equal({ 128: 1 });
      expect(countsOf(m).exceptions).to.deep.equal({});
    });

    it('through a trap gate keeps IF (so the handler HLT waits: idle)', () => {
      const m = runSnippet(`${enterUser('F_IF')}
        int 0x80
sys:    hlt
${idt({ 0x80: ['sys', 'UTRAP'] })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'idle', pc: sym(m, 'sys') });
      expect(m.flags).to.equal(Flag.IF);
    });

    it('at CPL 0 does not switch stacks', () => {
      const m = runSnippet(`
        li sp, 0x1800
        li r1, 0x2000
        wrcr cr4, r1
        li r1, IDT
        lidt r1
        int 0x30
after:  hlt
h:      hlt
${idt({ 0x30: 'h' })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'h') });
      expect(wordsAt(m, 0x1800 - 16, 4)).to.deep.equal([sym(m, 'after'), 0, 0, 0x1800]);
      expect(m.regs[15]).to.equal(0x1800 - 16);
    });

    it('a gate whose handler runs in ring 3 keeps the user stack', () => {
      const m = runSnippet(`${enterUser()}
        int 0x40
after:  hlt
h:      rdcpl r6
        int 0x80
sys:    hlt
${idt({ 0x40: ['h', 'RING3GATE'], 0x80: ['sys', 'UGATE'] })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(m.regs[6]).to.equal(3);
      expect(wordsAt(m, 0x3000 - 16, 4)).to.deep.equal([sym(m, 'after'), 3, 0, 0x3000]);
      expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'sys'), 3, 0, 0x3000 - 16]);
    });

    it('INT 13 by software pushes no error code', () => {
      const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        int 13
after:  hlt
gp:     hlt
${idt({ 13: 'gp' })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(m.regs[15]).to.equal(0x2000 - 16);
      expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'after'), 0, 0, 0x2000]);
      expect(countsOf(m).exceptions).to.deep.equal({});
      expect(countsOf(m).softwareInterrupts).to.deep.equal({ 13: 1 });
    });
  });

  describe('IRET', () => {
    it('a system call round trip: INT to ring 0, IRET back to ring 3 with the user stack and flags', () => {
      const m = runSnippet(`${enterUser('F_CF')}
        li r2, 5
        int 0x80
back:   rdcpl r7
        mov r8, sp
        pushf
        pop r9
        int 0x81
sys:    addi r2, r2, 10
        iret
done:   hlt
${idt({ 0x80: ['sys', 'UGATE'], 0x81: ['done', 'UGATE'] })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'done') });
      expect(m.regs[2]).to.equal(15);
      expect(m.regs[7]).to.equal(3);
      expect(m.regs[8]).to.equal(0x3000);
      expect(m.regs[9]).to.equal(Flag.CF);
      expect(countsOf(m).irets).to.equal(2);
      expect(countsOf(m).softwareInterrupts).to.deep.equal({ 128: 1, 129: 1 });
      // ring 0: 14 prologue + addi + iret + hlt; ring 3: li, int, rdcpl, mov, pushf, pop, int
      expect(countsOf(m).retiredByRing).to.deep.equal([17, 0, 0, 7]);
    });

    it('at CPL 3 to ring 0 raises #GP(0)', () => {
      const m = runSnippet(`${enterUser()}
        ${iretTo({ entry: 'user', sp: 0x3000, cpl: 0 }).replace('iret', 'fault: iret')}
gp:     hlt
${idt({ 13: 'gp' })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 3, 0, 0x3000 - 16]);
    });

    it("at CPL 3 to ring 3 on 'default' returns but keeps IOPL and IF", () => {
      const m = runSnippet(`${enterUser('F_IF')}
        ${iretTo({ entry: 'next', sp: 0x2800, cpl: 3, flags: 'IOPL3 | F_ZF' })}
next:   pushf
        pop r4
        int 0x80
sys:    hlt
${idt({ 0x80: ['sys', 'UGATE'] })}`);
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(m.regs[4]).to.equal(Flag.IF | Flag.ZF);
      expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'sys'), 3, Flag.IF | Flag.ZF, 0x2800]);
    });
  });

  describe('IN and OUT outside ring 0 depend on IOPL', () => {
    const io = (cpl: number, flags: string) =>
      runSnippet(`${enterUser(flags, '', cpl)}
        li r2, 'A'
fault:  out CONSOLE, r2
        in r3, CONSOLE_STATUS
        int 0x80
sys:    hlt
gp:     hlt
${idt({ 13: 'gp', 0x80: ['sys', 'UGATE'] })}`);

    it('CPL 3, IOPL 0: #GP', () => {
      const m = io(3, '0');
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(gpFrame(m)[1]).to.equal(sym(m, 'fault'));
      expect(m.platform.console.text()).to.equal('');
    });
    it('CPL 3, IOPL 1: #GP', () => {
      const m = io(3, 'IOPL1');
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
    });
    it('CPL 3, IOPL 3: allowed', () => {
      const m = io(3, 'IOPL3');
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(m.platform.console.text()).to.equal('A');
      expect(m.regs[3]).to.equal(1);
      expect(countsOf(m).io).to.deep.equal({ in: { 0x3f9: 1 }, out: { 0x3f8: 1 }, emulated: {} });
    });
    it('CPL 1, IOPL 1: allowed', () => {
      const m = io(1, 'IOPL1');
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'sys') });
      expect(m.platform.console.text()).to.equal('A');
      expect(countsOf(m).retiredByRing).to.deep.equal([15, 4, 0, 0]);
    });
    it('CPL 2, IOPL 1: #GP', () => {
      const m = io(2, 'IOPL1');
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 2, 1 << 12, 0x3000]);
    });
  });

  describe('POPF and PUSHF', () => {
    const popf = (flags: string, value: string) =>
      runSnippet(`${enterUser(flags)}
        li r2, ${value}
        push r2
        popf
        pushf
        pop r3
        int 0x80
sys:    hlt
${idt({ 0x80: ['sys', 'UGATE'] })}`);

    it('at CPL 3 with IOPL 0 silently ignores IF and IOPL changes', () => {
      const m = popf('0', 'IOPL3 | F_IF | F_CF | F_ZF');
      expect(m.regs[3]).to.equal(Flag.CF | Flag.ZF);
      expect(countsOf(m).exceptions).to.deep.equal({});
    });

    it('at CPL 3 silently keeps IF = 1 when popping IF = 0', () => {
      const m = popf('F_IF', 'F_OF');
      expect(m.regs[3]).to.equal(Flag.IF | Flag.OF);
    });

    it('at CPL 3 with IOPL 3 changes IF but not IOPL', () => {
      const m = popf('IOPL3', 'F_IF | F_CF');
      expect(m.regs[3]).to.equal((3 << 12) | Flag.IF | Flag.CF);
    });

    it('at CPL 0 changes IF and IOPL, and drops bits that do not exist', () => {
      const m = runSnippet(`
        li sp, 0x2000
        li r2, IOPL3 | F_IF
        push r2
        popf
        pushf
        pop r3
        li r2, 0xffffffff
        push r2
        popf
        pushf
        pop r4
        li r2, 0
        push r2
        popf
        hlt`);
      expect(stopOf(m).kind).to.equal('halted');
      expect(m.regs[3]).to.equal((3 << 12) | Flag.IF);
      expect(m.regs[4]).to.equal(0x3ac1);
      expect(m.flags).to.equal(0);
    });

    it("PUSHF at CPL 3 reveals the real IF = 0 even after POPF 'set' it", () => {
      const m = popf('0', 'F_IF');
      expect(m.regs[3]).to.equal(0);
    });

    it("on 'virtualizable' POPF at CPL 3 raises #GP", () => {
      const m = runSnippet(`${enterUser()}
        li r2, F_CF
        push r2
fault:  popf
gp:     hlt
${idt({ 13: 'gp' })}`, { variant: 'virtualizable' });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'gp') });
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 3, 0, 0x3000 - 4]);
    });
  });

  describe('double and triple fault', () => {
    const GP_THROUGH_RING1 = (cr4: number) => `
        li sp, 0x2000
        li r1, ${cr4}
        wrcr cr4, r1
        li r1, 0x7ffff000
        wrcr cr5, r1
        li r1, IDT
        lidt r1
${iretTo({ entry: 'user', sp: 0x3000 })}
user:   li r5, 1
fault:  cli
        hlt
df:     hlt
gp:     hlt
${idt({ 8: 'df', 13: ['gp', 'R1GATE'] })}`;

    it('a #GP whose handler stack is outside memory becomes a double fault on the ring-0 stack', () => {
      const m = runSnippet(GP_THROUGH_RING1(0x2000), { defines });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'df') });
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 3, 0, 0x3000]);
      expect(m.cpl).to.equal(0);
      expect(countsOf(m).exceptions).to.deep.equal({ 8: 1, 13: 1 });
      expect(countsOf(m).retiredByRing).to.deep.equal([17, 0, 0, 1]);
    });

    it('a triple fault when the double fault cannot be delivered either', () => {
      const m = runSnippet(GP_THROUGH_RING1(0x7fffe000), { defines });
      const s = stopOf(m);
      expect(s.kind).to.equal('triple-fault');
      expect(s.kind === 'triple-fault' && s.pc).to.equal(sym(m, 'fault'));
      expect(s.kind === 'triple-fault' && s.detail).to.contain('double-fault handler could not be entered');
      expect(countsOf(m).exceptions).to.deep.equal({ 8: 1, 13: 1 });
      expect(m.cpl).to.equal(3);
      expect(m.regs[15]).to.equal(0x3000);
    });

    const pagedUser = (kernelStackOfPf: string) => `
        li sp, 0x2000
        li r1, 0x2000
        wrcr cr4, r1
        li r1, 0x9000
        wrcr cr5, r1
        li r1, IDT
        lidt r1
${PAGING_ON}
${iretTo({ entry: 'user', sp: 0x3000 })}
user:   li r5, 1
fault:  ld r6, [r0+0x10000]
        hlt
df:     hlt
pf:     hlt
${idt({ 8: 'df', 14: ['pf', kernelStackOfPf] })}`;
    const pagedSetup = (m: Cpu) => mapPages(m, identity(0, 0x4000, P | W | U));

    it('a #PF whose handler stack is unmapped becomes a double fault', () => {
      const m = runSnippet(pagedUser('R1GATE'), { defines, setup: pagedSetup });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'df') });
      expect(gpFrame(m)).to.deep.equal([0, sym(m, 'fault'), 3, 0, 0x3000]);
      expect(countsOf(m).exceptions).to.deep.equal({ 8: 1, 14: 1 });
    });

    it('the same #PF with a mapped handler stack is delivered normally (error code 4: user read, not present)', () => {
      const m = runSnippet(pagedUser('KGATE'), { setup: pagedSetup });
      expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'pf') });
      expect(gpFrame(m)).to.deep.equal([4, sym(m, 'fault'), 3, 0, 0x3000]);
      expect(m.cr[2]).to.equal(0x10000);
      expect(countsOf(m).exceptions).to.deep.equal({ 14: 1 });
    });

    it('a #PF at CPL 0 with an unmapped kernel stack is a triple fault (the #DF uses the same stack)', () => {
      const m = runSnippet(`
        li sp, 0x9000
        li r1, IDT
        lidt r1
${PAGING_ON}
fault:  ld r6, [r0+0x10000]
        hlt
df:     hlt
pf:     hlt
${idt({ 8: 'df', 14: 'pf' })}`, { setup: pagedSetup });
      const s = stopOf(m);
      expect(s.kind === 'triple-fault' && s.pc).to.equal(sym(m, 'fault'));
      expect(countsOf(m).exceptions).to.deep.equal({ 8: 1, 14: 1 });
    });
  });

  describe('exception counts', () => {
    it('counts exceptions by vector; handlers that skip the faulting instruction resume exactly', () => {
      const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        .word 0xff000000
        li r2, 0
        div r3, r2, r2
        .word 0xff000000
        ld r4, [r0+0x7ffff000]
        hlt
skip4:  ld r9, [sp]
        addi r9, r9, 4
        st [sp], r9
        iret
skip8:  ld r9, [sp+4]
        addi r9, r9, 8
        st [sp+4], r9
        addi sp, sp, 4
        iret
${idt({ 0: 'skip4', 6: 'skip4', 13: 'skip8' })}`);
      expect(stopOf(m).kind).to.equal('halted');
      expect(countsOf(m).exceptions).to.deep.equal({ 0: 1, 6: 2, 13: 1 });
      expect(countsOf(m).irets).to.equal(4);
      expect(m.regs[15]).to.equal(0x2000);
      expect(m.instructions).to.equal(5 + 3 * 4 + 5);
    });

    it('a faulting load or store changes nothing (precise exceptions)', () => {
      const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r4, 0x77
        li r8, 0x3fffe         ; the last 2 bytes of memory: a word there straddles the end
        li r9, 0xaabbccdd
        st [r8], r9            ; #GP: nothing written
        ld r4, [r8]            ; #GP: r4 unchanged
        hlt
skip8:  ld r10, [sp+4]
        addi r10, r10, 8
        st [sp+4], r10
        addi sp, sp, 4
        iret
${idt({ 13: 'skip8' })}`);
      expect(stopOf(m).kind).to.equal('halted');
      expect(countsOf(m).exceptions).to.deep.equal({ 13: 2 });
      expect(m.regs[4]).to.equal(0x77);
      expect(Array.from(m.memory.u8.subarray(0x3fffe))).to.deep.equal([0, 0]);
    });
  });
});

describe('fault loops', () => {
  it('a handler that faults before retiring anything ends as no-progress, not after a fault per stack word', () => {
    // every gate points beyond physical memory: each delivery's fetch faults again, on a deep stack
    const gates = Array.from({ length: 32 }, (_, v) => `        .org IDT + ${v}*8\n        .word 0x7ff0000, KGATE`).join('\n');
    const m = runSnippet(`li sp, 0x7f0000\nli r2, IDT\nlidt r2\nli r1, 0\ndiv r3, r3, r1\nhlt\n${gates}`, { memoryBytes: 8 << 20, budget: 1000 });
    expect(stopOf(m)).to.deep.include({ kind: 'no-progress', faults: NO_PROGRESS_FAULTS });
    expect(m.instructions).to.equal(4);
  });

  it('faults with instructions retired between them are not a loop', () => {
    // a #DE handler that skips the faulting div and returns: 20,000 faults, each followed by progress
    const m = runSnippet(
      `li sp, 0x2000\nli r2, IDT\nlidt r2\nli r5, 20000\nagain: li r1, 0\ndiv r3, r3, r1\nsubi r5, r5, 1\njnz again\nhlt\nde: pop r6\naddi r6, r6, 4\npush r6\niret\n        .org IDT\n        .word de, KGATE`,
      { budget: 1_000_000 },
    );
    expect(stopOf(m).kind).to.equal('halted');
  });
});
