/** xchg, cmpxchg and pause: the multiprocessor additions of the ISA, each one atomic step. */
import { expect } from 'chai';
import { Flag } from '../../../core/isa/table';
import { runSnippet, stopOf, word } from '../machine-helpers';

const DATA = 0x3000;

describe('cpu: xchg, cmpxchg, pause', () => {
  it('xchg swaps a register with a word in memory', () => {
    const m = runSnippet(`li r2, ${DATA}\nli r3, 7\nst [r2+4], r3\nli r4, 99\nxchg r4, [r2+4]\nhlt`);
    expect(stopOf(m).kind).to.equal('halted');
    expect([m.regs[4], word(m, DATA + 4)]).to.deep.equal([7, 99]);
  });

  it('cmpxchg stores when the word equals r1 and sets ZF', () => {
    const m = runSnippet(`li sp, 0x2000\nli r2, ${DATA}\nli r3, 5\nst [r2], r3\nli r1, 5\nli r4, 42\ncmpxchg r4, [r2]\npushf\npop r6\nhlt`);
    expect([word(m, DATA), m.regs[1], m.regs[6] & Flag.ZF]).to.deep.equal([42, 5, Flag.ZF]);
  });

  it('cmpxchg loads the word into r1 and clears ZF when they differ, leaving memory as it was', () => {
    const m = runSnippet(`li sp, 0x2000\nli r2, ${DATA}\nli r3, 6\nst [r2], r3\nli r1, 5\nli r4, 42\ncmpxchg r4, [r2]\npushf\npop r6\nhlt`);
    expect([word(m, DATA), m.regs[1], m.regs[6] & Flag.ZF]).to.deep.equal([6, 6, 0]);
  });

  it('a spinlock acquired with cmpxchg and released with a store', () => {
    const m = runSnippet(`li r2, ${DATA}\nli r5, 1\nspin: li r1, 0\ncmpxchg r5, [r2]\njz got\npause\njmp spin\ngot: li r7, 1\nst [r2], r0\nhlt`);
    expect([m.regs[7], word(m, DATA)]).to.deep.equal([1, 0]);
  });

  it('counts the instructions of spin-wait iterations: those since the previous pause, if at most 64 before it', () => {
    // 10 iterations of a 4-instruction loop: the 9 pauses after the first each close an iteration of 4
    const loop = 'li r1, 10\nspin: pause\nsubi r1, r1, 1\ncmpi r1, 0\njnz spin\nhlt';
    for (const engine of ['interp', 'jit'] as const) {
      const m = runSnippet(loop, { engine });
      expect([m.instructions, m.spinInstructions], engine).to.deep.equal([42, 36]);
    }
    // pauses further apart are not a spin: 70 instructions between them
    const far = runSnippet(`pause\n${'nop\n'.repeat(70)}pause\nhlt`);
    expect(far.spinInstructions).to.equal(0);
  });

  it('pause retires as one instruction and changes nothing else', () => {
    const m = runSnippet('li r1, 3\npause\nhlt');
    expect([m.instructions, m.regs[1]]).to.deep.equal([3, 3]);
  });
});
