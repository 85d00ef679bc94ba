import { expect } from 'chai';
import type { MachineEvent } from '../../../core/events/events';
import { Flag } from '../../../core/isa/table';
import { boot, enterUser, idt, runSnippet, stopOf, sym, wordsAt } from '../machine-helpers';
import { countsOf } from '../counts';

/**
 * Programs the timer with `period` by an OUT that is the first instruction after LIDT, at
 * time 4 (so its first tick is due at 4 + period), then runs `body` (sti first if wanted).
 */
const timed = (period: number, body: string, handler: string, extra = '') => `
        li sp, 0x2000
        li r2, IDT
        li r1, ${period}
        lidt r2
        out TIMER, r1
${body}
tick:
${handler}
${extra}
${idt({ 0x20: 'tick' })}`;

const EOI_HANDLER = `
        addi r5, r5, 1
        out PIC_CMD, r0
        iret`;

describe('devices: timer and interrupt controller', () => {
  it('the timer interrupts every period while IF = 1 (vector 0x20), exact count', () => {
    const m = runSnippet(timed(100, 'sti\nloop: jmp loop', EOI_HANDLER), { budget: 1000 });
    expect(stopOf(m)).to.deep.equal({ kind: 'budget', budget: 'instructions', instructions: 1000, cycles: 1000 });
    // ticks due at 104, 204, ..., 904
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 9 });
    expect(m.regs[5]).to.equal(9);
    expect(m.timer.ticks).to.equal(9);
    expect(countsOf(m).irets).to.equal(9);
    expect(countsOf(m).io.out).to.deep.equal({ 0x40: 1, 0x20: 9 });
  });

  it('the timer counts guest-visible time: at two reference cycles per cycle it ticks every period / 2 cycles', () => {
    // as a host runs the CPU at half the profile's frequency: the OUT at cycle 4 is at time 8
    const m = runSnippet(timed(100, 'sti\nloop: jmp loop', EOI_HANDLER), { budget: 1000, setup: (c) => c.setWallClock(0, 2) });
    // ticks due at time 108, 208 ... = cycles 54, 104, ..., 954
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 19 });
    expect(m.now()).to.equal(2 * m.time);
  });

  it('time that passes while the CPU is not running (a new wall-clock base) makes the ticks due at once: one interrupt, every tick counted', () => {
    const m = runSnippet(timed(100, 'sti\nloop: jmp loop', EOI_HANDLER), { budget: 50 });
    expect(m.timer.ticks).to.equal(0);
    m.setWallClock(m.now() + 1000, 1); // descheduled for 1000 reference cycles
    m.run(10);
    expect(m.timer.ticks).to.equal(10);
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 1 });
  });

  it('an interrupt is accepted at the instruction boundary where the tick falls due', () => {
    const m = runSnippet(timed(10, 'sti\nloop: jmp loop', 'hlt'), { budget: 1000 });
    // first tick at 14: 5 instructions + sti + 8 jumps, then the handler's hlt (IF = 0)
    expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'tick') });
    expect(m.instructions).to.equal(15);
    expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'loop'), 0, Flag.IF, 0x2000]);
    expect(m.flags & Flag.IF).to.equal(0);
  });

  it('programs the timer at the exact time of the OUT even mid-burst', () => {
    const events: MachineEvent[] = [];
    const m = boot(`
        li r1, 100
        nop
        nop
        nop
        out TIMER, r1
        cli
        hlt`);
    m.events.listen((e) => events.push(e));
    m.run(100);
    expect(m.timer.deadline).to.equal(104);
    expect(events.filter((e) => e.kind === 'io').map((e) => e.t)).to.deep.equal([4]);
    expect(events.filter((e) => e.kind === 'halt').map((e) => e.t)).to.deep.equal([6]);
  });

  it('no interrupts while IF = 0; the tick stays pending', () => {
    const m = runSnippet(timed(100, 'loop: jmp loop', EOI_HANDLER), { budget: 1000 });
    expect(countsOf(m).interrupts).to.deep.equal({});
    expect(m.pic.pending).to.equal(1);
    expect(m.timer.ticks).to.equal(9);
  });

  it('without EOI the in-service line blocks a second timer interrupt', () => {
    const m = runSnippet(timed(100, 'sti\nloop: jmp loop', 'addi r5, r5, 1\niret'), { budget: 1000 });
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 1 });
    expect(m.regs[5]).to.equal(1);
    expect([m.pic.inService, m.pic.pending]).to.deep.equal([1, 1]);
  });

  it('a late EOI lets the pending tick in at once', () => {
    const m = runSnippet(
      timed(
        100,
        `       sti
loop:   addi r6, r6, 1
        cmpi r6, 300
        jnz loop
        out PIC_CMD, r0
spin:   jmp spin`,
        'addi r5, r5, 1\niret',
      ),
      { budget: 1000 },
    );
    // tick at 104 is taken; ticks from 204 on stay pending until the EOI after the loop
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 2 });
    expect(m.regs[5]).to.equal(2);
  });

  it('a masked line is not delivered; the mask reads back', () => {
    const m = runSnippet(timed(100, 'li r3, 1\nout PIC_MASK, r3\nin r4, PIC_MASK\nsti\nloop: jmp loop', EOI_HANDLER), {
      budget: 1000,
    });
    expect(countsOf(m).interrupts).to.deep.equal({});
    expect(m.regs[4]).to.equal(1);
    expect(m.pic.pending).to.equal(1);
  });

  it('the task-priority register cr8 holds back vectors with vector >> 4 <= cr8', () => {
    const run = (tpr: number) =>
      runSnippet(timed(100, `li r3, ${tpr}\nwrcr cr8, r3\nsti\nloop: jmp loop`, EOI_HANDLER), { budget: 1000 });
    expect(countsOf(run(2)).interrupts).to.deep.equal({});
    expect(countsOf(run(1)).interrupts).to.deep.equal({ 32: 9 });
  });

  it('HLT with IF = 1 waits for the timer: time advances, the instruction count does not', () => {
    const m = runSnippet(timed(100, 'sti\nhlt\nafter: cli\nhlt', 'out PIC_CMD, r0\niret'));
    expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'after') + 4 });
    expect(m.instructions).to.equal(11);
    expect(m.time).to.equal(108);
    expect(countsOf(m).halts).to.equal(2);
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 1 });
    expect(wordsAt(m, 0x2000 - 16, 4)).to.deep.equal([sym(m, 'after'), 0, Flag.IF, 0x2000]);
  });

  it('HLT with IF = 1 and no device that can interrupt stops as idle', () => {
    const m = runSnippet('sti\nnop\nhlt');
    expect(stopOf(m)).to.deep.equal({ kind: 'idle', pc: 8 });
  });

  it('a cycle budget that ends while halted stops at the budget with time = budget (halted cycles count)', () => {
    const m = runSnippet(timed(1000, 'sti\nhlt\nafter: cli\nhlt', 'out PIC_CMD, r0\niret'), { maxCycles: 500 });
    expect(stopOf(m)).to.deep.equal({ kind: 'budget', budget: 'cycles', instructions: 7, cycles: 500 });
    expect(m.time).to.equal(500);
    expect(countsOf(m).retiredByRing[0]).to.equal(7);
  });

  it('an instruction budget does not count halted time: the timer wakes the CPU and it runs on', () => {
    const m = runSnippet(timed(1000, 'sti\nhlt\nafter: cli\nhlt', 'out PIC_CMD, r0\niret'), { budget: 500 });
    expect(stopOf(m).kind).to.equal('halted');
    expect(m.time).to.be.greaterThan(1000);
  });

  it('the timer port reads the ticks so far; period 0 stops the timer', () => {
    const m = runSnippet(timed(10, 'sti\nloop: addi r6, r6, 1\ncmpi r6, 20\njnz loop\nout TIMER, r0\nin r7, TIMER\nspin: jmp spin', EOI_HANDLER), {
      budget: 1000,
    });
    expect(m.regs[7]).to.equal(m.timer.ticks);
    expect(m.timer.deadline).to.equal(Infinity);
    expect(countsOf(m).interrupts[32]).to.equal(m.timer.ticks);
    expect(m.regs[7]).to.be.greaterThan(3);
  });

  // BUG: STI's interrupt shadow lasts until the end of the interpreter's burst instead of one
  // instruction. interpret() clears interruptShadow on entry and then keeps executing
  // non-system instructions without looking at interruptCheck, so a pending interrupt is
  // recognised only at the next system instruction or checkpoint. Here IRQ 0 is pending
  // before STI: expected delivery right after `li r1, 1` (return pc = label 'second', one
  // interrupt, r2 = r3 = 0 at the handler's hlt); actual: li r2, li r3 and CLI run first and
  // the interrupt is never delivered (interrupts {}, halted at the final hlt).
  it('after STI a pending interrupt is taken after exactly one more instruction', () => {
    const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r1, 0
        sti
        li r1, 1
second: li r2, 2
        li r3, 3
        cli
        hlt
tick:   hlt
${idt({ 0x20: 'tick' })}`, { setup: (m) => m.raiseIrq(0) });
    expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'tick') });
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 1 });
    expect(wordsAt(m, 0x2000 - 16, 1)).to.deep.equal([sym(m, 'second')]);
    expect([m.regs[1], m.regs[2], m.regs[3]]).to.deep.equal([1, 0, 0]);
  });

  it('after STI a pending interrupt is not taken before the next instruction', () => {
    const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        sti
        hlt
tick:   rdcr r9, cr2
        hlt
${idt({ 0x20: 'tick' })}`, { setup: (m) => m.raiseIrq(0) });
    // STI; HLT: the interrupt wakes the HLT, so the return address is after the HLT
    expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'tick') + 4 });
    expect(wordsAt(m, 0x2000 - 16, 1)).to.deep.equal([sym(m, 'tick')]);
    expect(countsOf(m).halts).to.equal(2);
  });

  it('POPF setting IF delivers a pending interrupt before the next instruction', () => {
    const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r1, F_IF
        push r1
        popf
next:   li r2, 2
        cli
        hlt
tick:   hlt
${idt({ 0x20: 'tick' })}`, { setup: (m) => m.raiseIrq(0) });
    expect(stopOf(m)).to.deep.equal({ kind: 'halted', pc: sym(m, 'tick') });
    expect(wordsAt(m, 0x2000 - 16, 1)).to.deep.equal([sym(m, 'next')]);
    expect(m.regs[2]).to.equal(0);
  });

  it('fixed priority: with two lines pending the lower line number is delivered first', () => {
    const m = runSnippet(`
        li sp, 0x2000
        li r1, IDT
        lidt r1
        li r1, F_IF
        push r1
        popf
        cli
        hlt
t0:     li r5, 0x20
        hlt
t2:     li r5, 0x22
        hlt
${idt({ 0x20: 't0', 0x22: 't2' })}`, {
      setup: (m) => {
        m.raiseIrq(2);
        m.raiseIrq(0);
      },
    });
    expect(m.regs[5]).to.equal(0x20);
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 1 });
    expect(m.pic.pending).to.equal(4);
  });
  it('a timer interrupt in ring 3 enters ring 0 on the cr4 stack and IRET returns to ring 3', () => {
    const m = runSnippet(`${enterUser('F_IF', 'li r1, 100\nout TIMER, r1')}
loop:   addi r6, r6, 1
        jmp loop
tick:   addi r5, r5, 1
        out PIC_CMD, r0
        iret
${idt({ 0x20: 'tick' })}`, { budget: 1000 });
    // the OUT runs at time 6: ticks at 106, 206, ..., 906
    expect(countsOf(m).interrupts).to.deep.equal({ 32: 9 });
    expect(countsOf(m).retiredByRing).to.deep.equal([16 + 9 * 3, 0, 0, 1000 - 16 - 9 * 3]);
    const [, cs, flags, sp] = wordsAt(m, 0x2000 - 16, 4);
    expect([cs, flags, sp]).to.deep.equal([3, Flag.IF, 0x3000]);
    expect(m.cpl).to.equal(3);
    expect(m.regs[15]).to.equal(0x3000);
  });
});
